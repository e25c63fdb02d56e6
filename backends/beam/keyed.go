package beam

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/timers"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

type (
	stateProvider = state.Provider
	timerProvider = timers.Provider
)

func init() {
	register.DoFn8x1[context.Context, beam.EventTime, stateProvider, timerProvider, string, element,
		func(beam.EventTime, element), func(DeadLetter), error](&keyedFn{})
}

// keyedFn runs a dedupe or a join for one key: the one stateful DoFn.
//
// Elements are not processed as they arrive, since Beam delivers a key's
// elements, and the two sides of a join, in no particular order: they wait
// (queue.go) until the event-time watermark reaches them, and are then
// processed in stage arrival order (Record.Seq), as the native engine
// processes them. On a bounded input every element is pending before the
// watermark moves, so the result is exactly native's; on an unbounded one an
// element waits for the watermark, which is the price of a deterministic
// order.
//
// There is one timer family with one timer per key ("wake"): Prism hangs
// when a DoFn declares two or more families. Its firing time is the next
// thing the key waits for (the first pending element, the
// expiry of a buffered join record, the end of a dedupe horizon) and its
// output timestamp holds the output watermark at the earliest event time
// the key may still emit. A firing processes what is pending up to the
// latest time the watermark is known to have reached: a firing at time t
// tells the DoFn instance that the stage's input watermark, the same for
// every key, has reached t (wm), and a later firing of any key goes up to
// there, which saves Prism bundles when keys wait for different times.
// (A second timer per key, a tag at the latest pending time, would let a
// hot key's firings run inline in one bundle, but Prism 2.77 then panics
// now and then on a negative watermark hold count.) Taking
// several event times in one firing and expiring once after them gives
// what one firing each would: expiry only drops what no element at or
// after the horizon can still match, and lateness is decided by the
// watermark each element carries (element.WmMs).
type keyedFn struct {
	fnBase
	// Index makes it the table index of a stream–table join
	// (tableindex.go), keyed by table key, rather than the join itself.
	Index bool
	// Pending holds the elements that arrived since the last timer
	// firing, Queue and QueueIndex the rest of the key's pending elements
	// in order (queue.go).
	Pending    state.Bag[element]
	Queue      state.Map[int64, []element]
	QueueIndex state.Value[queueIndex]
	Store      state.Value[keyState]
	Wake       state.Value[wake]
	Timer      timers.EventTime

	// wm is the latest firing time this instance has seen: the stage's
	// input watermark has reached it. Per instance, so per job.
	wm int64
	// wakes is the Wake state of the keys this bundle has read or
	// written, so that a key's next elements in the bundle need not read
	// it again (a runner gives a key's state to one bundle at a time).
	wakes map[string]wake
}

// slowKeyedElement, when set, runs before keyedFn takes an element: a test
// (TestSlowBundlesKeepArrivalOrder) slows the keyed stage down so that a
// runner that splits slow bundles would split it. Loopback workers are
// goroutines of the test's process, so they see it.
var slowKeyedElement func()

func newKeyedFn(b fnBase) *keyedFn {
	return &keyedFn{
		fnBase:     b,
		Pending:    state.MakeBagState[element]("pending"),
		Queue:      state.MakeMapState[int64, []element]("queue"),
		QueueIndex: state.MakeValueState[queueIndex]("queueindex"),
		Store:      state.MakeValueState[keyState]("state"),
		Wake:       state.MakeValueState[wake]("wake"),
		Timer:      timers.InEventTime("wake"),
	}
}

// keyState is one key's operator state.
type keyState struct {
	// dedupe: the event time of the last record let through.
	Seen   bool
	SeenTs int64
	HasRow bool   // stream–table: the table row
	Row    []byte // its JSON
	RowKey []byte // its table key
	// table index (tableindex.go), by table key: the row's join key.
	HasJoinKey bool
	JoinKey    string
	Left       []entry // stream–stream: buffered records
	Right      []entry
	// session aggregates: the open sessions, in start order
	Sessions []session
	// top: the open groups (one per window), in no order
	Groups []topGroup
	// continuous aggregate (changelog.go): the group's record count net
	// of retractions (0: no row) and its accumulator; continuous top: the
	// ranking, best first, and the records ranked so far; both: the
	// changes emitted (element.Ver), kept while the key lives.
	CaggN   int64
	CaggAcc []byte
	Ranking []rankedRow
	Arrived int64
	Ver     int64
}

// topGroup is one window of a top's key: its records so far, pruned to
// the limit (ties kept), and when it fires.
type topGroup struct {
	Win    string
	FireAt int64
	Rows   []element
}

// entry is a buffered stream–stream join record.
type entry struct {
	El      element
	Matched bool
}

// wake is the key's timer: when it fires and what it holds.
type wake struct {
	Set  bool
	At   int64
	Hold int64
}

func (f *keyedFn) Setup() error {
	f.wm = math.MinInt64
	return f.setup()
}

func (f *keyedFn) StartBundle(context.Context, func(beam.EventTime, element), func(DeadLetter)) {
	clear(f.wakes)
}

// readWake reads key's Wake state ({} when there is none).
func (f *keyedFn) readWake(sp stateProvider, key string) (wake, error) {
	if w, ok := f.wakes[key]; ok {
		return w, nil
	}
	w, _, err := f.Wake.Read(sp)
	if err != nil {
		return wake{}, err
	}
	if f.wakes == nil {
		f.wakes = map[string]wake{}
	}
	f.wakes[key] = w
	return w, nil
}

func (f *keyedFn) ProcessElement(ctx context.Context, _ beam.EventTime, sp stateProvider, tp timerProvider, key string, el element,
	_ func(beam.EventTime, element), _ func(DeadLetter)) error {
	if slowKeyedElement != nil {
		slowKeyedElement()
	}
	if err := f.Pending.Add(sp, el); err != nil {
		return err
	}
	w, err := f.readWake(sp, key)
	if err != nil {
		return err
	}
	if w.Set && w.At <= el.TsMs && w.Hold <= el.TsMs {
		return nil
	}
	if !w.Set {
		w = wake{Set: true, At: el.TsMs, Hold: el.TsMs}
	}
	w.At, w.Hold = min(w.At, el.TsMs), min(w.Hold, el.TsMs)
	return f.setWake(sp, tp, key, w)
}

// setWake sets key's timer to w.
func (f *keyedFn) setWake(sp stateProvider, tp timerProvider, key string, w wake) error {
	if f.wakes == nil {
		f.wakes = map[string]wake{}
	}
	if !w.Set {
		f.wakes[key] = wake{}
		f.Timer.Clear(tp)
		return f.Wake.Clear(sp)
	}
	w.Hold = min(w.Hold, w.At)
	f.Timer.Set(tp, msTime(w.At), timers.WithOutputTimestamp(msTime(w.Hold)))
	f.wakes[key] = w
	return f.Wake.Write(sp, w)
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms) }

func (f *keyedFn) OnTimer(ctx context.Context, _ beam.EventTime, sp stateProvider, tp timerProvider, key string, _ timers.Context,
	emit func(beam.EventTime, element), dead func(DeadLetter)) error {
	w, err := f.readWake(sp, key)
	if err != nil || !w.Set {
		return err
	}
	// The watermark has reached now.
	f.wm = max(f.wm, w.At)
	now := f.wm
	q, err := f.openQueue(sp)
	if err != nil {
		return err
	}
	ks, _, err := f.Store.Read(sp)
	if err != nil {
		return err
	}
	k := keyed{key: key, c: f.c, ks: &ks, emit: emit, dead: dead, index: f.Index}
	first, left, err := q.takeReady(now, k.process)
	if err != nil {
		return err
	}
	restMin, _, err := q.save()
	if err != nil {
		return err
	}
	// Nothing that can still arrive is earlier than the watermark, nor
	// than what is pending.
	horizon := min(now, restMin)
	if err := k.expire(horizon); err != nil {
		return err
	}
	next := k.next()
	if left {
		next = wake{Set: true, At: first.TsMs, Hold: min(first.TsMs, restMin)}
		if h := k.hold(); h < next.Hold {
			next.Hold = h
		}
	}
	if ks.empty() {
		err = f.Store.Clear(sp)
	} else {
		err = f.Store.Write(sp, ks)
	}
	if err != nil {
		return err
	}
	return f.setWake(sp, tp, key, next)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (ks *keyState) empty() bool {
	return !ks.Seen && !ks.HasRow && !ks.HasJoinKey && len(ks.Left) == 0 && len(ks.Right) == 0 && len(ks.Sessions) == 0 && len(ks.Groups) == 0 &&
		ks.Ver == 0 && ks.Arrived == 0
}

// keyed is one timer firing's work on one key.
type keyed struct {
	index bool // the table index of a stream–table join
	key   string
	c     *compiledOp
	ks    *keyState
	emit  func(beam.EventTime, element)
	dead  func(DeadLetter)
}

func (k *keyed) out(el element) { k.emit(eventTime(el.TsMs), el) }

// process handles one element, in arrival order.
func (k *keyed) process(el element) error {
	op := k.c.op
	if isContinuous(op) {
		return k.change(el)
	}
	if op.Aggregate != nil {
		return k.session(el)
	}
	if op.Top != nil {
		return k.topAdd(el)
	}
	if op.Dedupe != nil {
		if k.ks.Seen && abs(el.TsMs-k.ks.SeenTs) <= op.Dedupe.WithinMs {
			return nil
		}
		k.ks.Seen, k.ks.SeenTs = true, el.TsMs
		el.Side = 0
		k.out(el)
		return nil
	}
	if k.index {
		k.indexRow(el)
		return nil
	}
	if k.c.table {
		return k.table(el)
	}
	return k.stream(el)
}

// table is a stream–table join: right elements replace the key's row, left
// ones look it up.
func (k *keyed) table(el element) error {
	if el.Side == 1 {
		if !el.Retract {
			k.ks.HasRow, k.ks.Row, k.ks.RowKey = true, el.Value, el.TableKey
		} else if k.ks.HasRow && string(k.ks.RowKey) == string(el.TableKey) {
			// The row moved to another join key or was deleted; a row
			// another table key put here since stays.
			k.ks.HasRow, k.ks.Row, k.ks.RowKey = false, nil, nil
		}
		return nil
	}
	l, err := decode(k.c.in[0], el)
	if err != nil {
		return fmt.Errorf("beam: %s: %w", k.c.op.ID, err)
	}
	if k.ks.HasRow {
		r, err := eval.DecodeJSON(k.c.in[1], k.ks.Row)
		if err != nil {
			return fmt.Errorf("beam: %s: table row: %w", k.c.op.ID, err)
		}
		if ok := k.pair(el, l, r, el.TsMs); ok {
			return nil
		}
	}
	if k.c.op.Join.Type == ir.JoinLeft {
		k.fields(el, eval.Frame{l, k.c.nullR}, el.TsMs)
	}
	return nil
}

// pair evaluates on for a left and right record and, when it holds, emits
// the joined record; an evaluation failure is a dead letter.
func (k *keyed) pair(el element, l, r *eval.Record, ts int64) bool {
	f := eval.Frame{l, r}
	if k.c.on != nil {
		ok, err := k.c.on.EvalBool(f)
		if err != nil {
			k.dead(el.deadLetter(k.c.op.ID, ReasonEval, fmt.Errorf("on: %w", err)))
			return false
		}
		if !ok {
			return false
		}
	}
	k.fields(el, f, ts)
	return true
}

func (k *keyed) fields(el element, f eval.Frame, ts int64) {
	out, err := k.c.fields.Eval(f)
	if err != nil {
		k.dead(el.deadLetter(k.c.op.ID, ReasonEval, err))
		return
	}
	el.Value, el.TsMs, el.Side = out.AppendJSON(nil), ts, 0
	k.out(el)
}

// stream is a stream–stream join. Two records within WithinMs of each
// other pair when native would still have held the one that arrived first
// when the second arrived: its time + within is not before the watermark
// the second arrived under. That decides a pair from the two records
// alone, so the result does not depend on the order Beam delivers them in
// (an upstream keyed operator may deliver a key's records out of arrival
// order).
func (k *keyed) stream(el element) error {
	within := k.c.op.Join.WithinMs
	me, err := decode(k.c.in[el.Side], el)
	if err != nil {
		return fmt.Errorf("beam: %s: %w", k.c.op.ID, err)
	}
	matched := false
	other := &k.ks.Right
	if el.Side == 1 {
		other = &k.ks.Left
	}
	for i := range *other {
		o := &(*other)[i]
		if abs(el.TsMs-o.El.TsMs) > within || !held(o.El, el, within) {
			continue
		}
		or, err := decode(k.c.in[1-el.Side], o.El)
		if err != nil {
			return fmt.Errorf("beam: %s: %w", k.c.op.ID, err)
		}
		l, r := me, or
		if el.Side == 1 {
			l, r = or, me
		}
		if k.pair(el, l, r, max(el.TsMs, o.El.TsMs)) {
			matched = true
			o.Matched = true
		}
	}
	if el.Side == 0 {
		k.ks.Left = append(k.ks.Left, entry{El: el, Matched: matched})
	} else {
		k.ks.Right = append(k.ks.Right, entry{El: el, Matched: matched})
	}
	return nil
}

// held reports whether native still held the first of a and b to arrive
// when the other arrived. Records of unknown arrival order (Seq 0) are
// taken to arrive in the order they are processed: a, then b.
func held(a, b element, within int64) bool {
	if b.Seq != 0 && a.Seq > b.Seq {
		a, b = b, a
	}
	return satAdd(a.TsMs, within) >= b.WmMs
}

// expire drops buffered records with time + within before wm, emitting a
// left join's never-matched left records with nulls on the right, and
// forgets a dedupe key whose horizon has passed.
func (k *keyed) expire(wm int64) error {
	if wm == math.MinInt64 {
		return nil
	}
	op := k.c.op
	if op.Aggregate != nil {
		return k.fireSessions(satSub(wm, op.Aggregate.AllowedLatenessMs))
	}
	if op.Top != nil {
		return k.topFire(wm)
	}
	if op.Dedupe != nil {
		if k.ks.Seen && satAdd(k.ks.SeenTs, op.Dedupe.WithinMs) < wm {
			k.ks.Seen, k.ks.SeenTs = false, 0
		}
		return nil
	}
	if k.c.table {
		return nil
	}
	within := op.Join.WithinMs
	var gone []entry
	k.ks.Left = slices.DeleteFunc(k.ks.Left, func(e entry) bool {
		if satAdd(e.El.TsMs, within) < wm {
			gone = append(gone, e)
			return true
		}
		return false
	})
	k.ks.Right = slices.DeleteFunc(k.ks.Right, func(e entry) bool { return satAdd(e.El.TsMs, within) < wm })
	if op.Join.Type != ir.JoinLeft {
		return nil
	}
	for _, e := range gone {
		if e.Matched {
			continue
		}
		l, err := decode(k.c.in[0], e.El)
		if err != nil {
			return fmt.Errorf("beam: %s: %w", op.ID, err)
		}
		// Native emits it when the watermark passes time + within, but
		// the join's output watermark trails by within (README,
		// "Watermarks and event time"), so downstream it is behind no
		// watermark: it arrives under the one its own time implies.
		el := e.El
		el.WmMs = el.TsMs
		k.fields(el, eval.Frame{l, k.c.nullR}, e.El.TsMs)
	}
	return nil
}

// next is the key's next wake when nothing is pending.
func (k *keyed) next() wake {
	op := k.c.op
	switch {
	case op.Aggregate != nil:
		if len(k.ks.Sessions) > 0 {
			s := k.ks.Sessions[0] // ends first
			return wake{Set: true, At: satAdd(satAdd(s.End, op.Aggregate.AllowedLatenessMs), 1), Hold: s.End - 1}
		}
	case op.Top != nil:
		if len(k.ks.Groups) > 0 {
			at := int64(math.MaxInt64)
			for _, g := range k.ks.Groups {
				at = min(at, g.FireAt)
			}
			return wake{Set: true, At: at, Hold: at - 1}
		}
	case op.Dedupe != nil:
		if k.ks.Seen {
			at := satAdd(satAdd(k.ks.SeenTs, op.Dedupe.WithinMs), 1)
			return wake{Set: true, At: at, Hold: at}
		}
	case !k.c.table:
		w := wake{At: math.MaxInt64, Hold: math.MaxInt64}
		for _, side := range [][]entry{k.ks.Left, k.ks.Right} {
			for _, e := range side {
				w.Set = true
				w.At = min(w.At, satAdd(satAdd(e.El.TsMs, op.Join.WithinMs), 1))
			}
		}
		w.Hold = min(w.At, k.hold())
		return w
	}
	return wake{}
}

// hold is the earliest event time an expiry may still emit: the earliest
// never-matched left record of a left join.
func (k *keyed) hold() int64 {
	h := int64(math.MaxInt64)
	if len(k.ks.Sessions) > 0 {
		return k.ks.Sessions[0].End - 1
	}
	for _, g := range k.ks.Groups {
		h = min(h, g.FireAt-1)
	}
	if k.c.op.Join == nil || k.c.table || k.c.op.Join.Type != ir.JoinLeft {
		return h
	}
	for _, e := range k.ks.Left {
		if !e.Matched {
			h = min(h, e.El.TsMs)
		}
	}
	return h
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
