package beam

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// This file holds the fixed set of generic DoFns and the CombineFn every
// translated pipeline is built from. Each carries the serialized plan, the
// stage and an operator ID, compiles them once per process in Setup
// (compileStage) and evaluates records with ir/eval.

func init() {
	beam.RegisterType(typeOf[Record]())
	beam.RegisterType(typeOf[DeadLetter]())
	beam.RegisterType(typeOf[element]())
	beam.RegisterCoder(typeOf[accum](), encodeAccum, decodeAccum)
	beam.RegisterType(typeOf[keyState]())
	beam.RegisterType(typeOf[wake]())
	beam.RegisterType(typeOf[queueIndex]())

	register.DoFn3x1[element, func(string, element), func(DeadLetter), error](&keyFn{})
	register.DoFn3x1[element, func(beam.EventTime, string, element), func(DeadLetter), error](&assignFn{})
	register.Combiner3[accum, element, accum](&combineFn{})
	register.DoFn5x1[beam.Window, string, accum, func(beam.EventTime, element), func(DeadLetter), error](&resultFn{})

	register.Emitter2[beam.EventTime, element]()
	register.Emitter1[element]()
	register.Emitter1[DeadLetter]()
	register.Emitter1[Record]()
	register.Emitter2[string, element]()
	register.Emitter3[beam.EventTime, string, element]()
}

// element is a record flowing between a stage's operators: its value as
// JSON in its stream's layout, its event time, and the position and
// watermark of the stage input that caused it (Record.Seq and
// Record.WatermarkMs), which keyed operators order and time by.
type element struct {
	Value []byte
	TsMs  int64
	Seq   int64
	WmMs  int64
	// Side is the join input (0 left, 1 right) on a join's keyed input,
	// and the output index on a route's output.
	Side int32
	// Target, Topic and Key are set on the outputs of a stateless
	// segment: the sink, channel or tapped stream the element is for, the
	// channel's topic, and the record key.
	Target string
	Topic  string
	Key    []byte
	// PartitionDir: a partitioned file sink's directories for the
	// record (Record.PartitionDir).
	PartitionDir string
	// JoinKey, TableKey and Retract carry a table row from its index to a
	// stream–table join (tableindex.go): the row's join key and table key,
	// and whether it removes the table key's row from under JoinKey rather
	// than setting it. A table tombstone leaves a segment with Retract set,
	// no Value and the Kafka key in TableKey.
	JoinKey  string
	TableKey []byte
	Retract  bool
	// Origin is the stage input the element comes from, for dead letters.
	OriginStream    string
	OriginPartition int32
	OriginOffset    int64
	// Kind is the row kind (eval.RowKind) of a changelog stream's element
	// (changelog.go); 0 (insert) on append-only streams. Before, set with
	// Kind update_after, is the row the update replaces: an update travels
	// as one element, so that its two halves reach every operator
	// together, as they are adjacent on native.
	Kind   uint8
	Before []byte
	// Ver and Sub order a changelog: Ver is the emitting continuous
	// operator key's change number (its changes in emission order), Sub
	// the position among the outputs a stateless segment made of one
	// element. See elementOrder.
	Ver int64
	Sub int32
}

func (el element) deadLetter(op, reason string, err error) DeadLetter {
	return DeadLetter{
		Stream:   el.OriginStream,
		Input:    Record{Partition: el.OriginPartition, Offset: el.OriginOffset, TimestampMs: el.TsMs, Seq: el.Seq, WatermarkMs: el.WmMs},
		Operator: op,
		Reason:   reason,
		Err:      err.Error(),
	}
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

func eventTime(ms int64) beam.EventTime { return mtime.FromMilliseconds(ms) }

// fnBase is what every DoFn carries: the plan payload (encodePlan), the
// stage and the operator it evaluates.
type fnBase struct {
	Plan  []byte
	Stage string
	Op    string

	st *stage
	c  *compiledOp
}

func (f *fnBase) setup() error {
	st, err := compileStage(f.Plan, f.Stage)
	if err != nil {
		return err
	}
	f.st = st
	if f.Op != "" {
		if f.c = st.byID[f.Op]; f.c == nil {
			return fmt.Errorf("beam: stage %s has no operator %s", f.Stage, f.Op)
		}
	}
	return nil
}

// decode decodes an element with layout l.
func decode(l *eval.Layout, el element) (*eval.Record, error) {
	return eval.DecodeJSON(l, el.Value)
}

// keyFn keys the elements of a dedupe or of one join input by the
// operator's key, for the keyed stateful DoFn.
type keyFn struct {
	fnBase
	Side int32
}

func (f *keyFn) Setup() error { return f.setup() }

func (f *keyFn) ProcessElement(el element, emit func(string, element), dead func(DeadLetter)) error {
	if el.Retract {
		return nil // a tombstone of a table without a key: no row to delete
	}
	c := f.c
	r, err := decode(c.in[f.Side], el)
	if err != nil {
		return fmt.Errorf("beam: %s: %w", c.op.ID, err)
	}
	var key []byte
	switch c.op.Kind {
	case ir.KindDedupe:
		v, err := c.key.Eval(eval.Frame{r})
		if err != nil {
			dead(el.deadLetter(c.op.ID, ReasonEval, err))
			return nil
		}
		if v.Kind == eval.KindNull {
			dead(el.deadLetter(c.op.ID, ReasonNullKey, errNullKey))
			return nil
		}
		key = appendKey(key, v)
	case ir.KindJoin:
		var ok bool
		if key, ok = c.joinKey(el, int(f.Side), r, dead); !ok {
			return nil
		}
	case ir.KindTop:
		if key, err = c.ranker.AppendKey(eval.Frame{r}, nil); err != nil {
			dead(el.deadLetter(c.op.ID, ReasonEval, err))
			return nil
		}
	}
	el.Side = f.Side
	emit(string(key), el)
	return nil
}

// joinKey is the join key of record r of element el on side 0 (left) or 1
// (right) of join c; a key that fails to evaluate or is null goes to dead
// with its reason, and ok is false.
func (c *compiledOp) joinKey(el element, side int, r *eval.Record, dead func(DeadLetter)) (key []byte, ok bool) {
	progs, fr := c.leftKeys, eval.Frame{r, c.nullR}
	if side == 1 {
		progs, fr = c.rightKeys, eval.Frame{c.nullL, r}
	}
	for _, p := range progs {
		v, err := p.Eval(fr)
		if err != nil {
			dead(el.deadLetter(c.op.ID, ReasonEval, fmt.Errorf("key: %w", err)))
			return nil, false
		}
		if v.Kind == eval.KindNull {
			dead(el.deadLetter(c.op.ID, ReasonNullKey, errNullKey))
			return nil, false
		}
		key = appendKey(key, v)
	}
	return key, true
}

// errNullKey rejects a record whose key (or a part of it) is null, as
// native does: a null key identifies nothing, so the record goes to the
// dead-letter topic with reason null_key in every keyed operator.
var errNullKey = errors.New("key is null")

// appendKey appends the canonical JSON of v and a separator: equal values
// (1 and 1.0, differently ordered objects) give equal keys.
func appendKey(b []byte, v eval.Value) []byte {
	if v.Kind == eval.KindNumber && v.Float() == 0 {
		v = eval.Number(0) // fold -0
	}
	if v.Kind == eval.KindObject && v.Obj != nil {
		return append(eval.KeyBytes(v.Obj, b), 0)
	}
	return append(eval.AppendValueJSON(b, v), 0)
}

// assignFn prepares an aggregate's input for Beam's windowing: it evaluates
// the key, assigns windows with eval.AssignWindows, and dead-letters a
// record as late when all its windows have fired by the watermark it
// arrived under (element.WmMs minus allowed_lateness), as native does.
// A tumbling or hopping record is emitted once per open window, stamped
// with the window's end minus 1 ms (see Build); a session record once,
// stamped with its event time.
type assignFn struct {
	fnBase
	// WallClock: the aggregate's windows are in processing time, read
	// from the wall clock (proctime.go).
	WallClock bool
	scratch   *eval.Acc
}

func (f *assignFn) Setup() error {
	if err := f.setup(); err != nil {
		return err
	}
	f.scratch = f.c.agg.NewAcc()
	return nil
}

func (f *assignFn) ProcessElement(el element, emit func(beam.EventTime, string, element), dead func(DeadLetter)) error {
	c := f.c
	in := el // dead letters carry the input's own time
	if f.WallClock {
		el = arrive(el)
	}
	r, err := decode(c.in[0], el)
	if err != nil {
		return fmt.Errorf("beam: %s: %w", c.op.ID, err)
	}
	fr := eval.Frame{r}
	key, err := c.agg.Key(fr)
	if err != nil {
		dead(in.deadLetter(c.op.ID, ReasonEval, err))
		return nil
	}
	for _, v := range key.Values {
		if err := eval.Finite(v); err != nil {
			dead(in.deadLetter(c.op.ID, ReasonEval, fmt.Errorf("key: %w", err)))
			return nil
		}
		if v.Kind == eval.KindNull {
			dead(in.deadLetter(c.op.ID, ReasonNullKey, errNullKey))
			return nil
		}
	}
	// Add evaluates every argument: a record it rejects goes to the
	// dead-letter topic here, since a CombineFn cannot emit one.
	f.c.agg.Reset(f.scratch)
	if err := c.agg.Add(f.scratch, fr, el.TsMs); err != nil {
		dead(in.deadLetter(c.op.ID, ReasonEval, err))
		return nil
	}
	fired := satSub(el.WmMs, c.op.Aggregate.AllowedLatenessMs)
	w := c.op.Aggregate.Window
	var open []eval.Interval
	for _, iv := range eval.AssignWindows(w, el.TsMs, nil) {
		if iv.End > fired {
			open = append(open, iv)
		}
	}
	if len(open) == 0 {
		if len(eval.AssignWindows(w, el.TsMs, nil)) > 0 {
			dead(in.deadLetter(c.op.ID, ReasonLate, fmt.Errorf("event time %s is behind the watermark %s: all its windows have fired",
				eval.FormatTimestamp(el.TsMs), eval.FormatTimestamp(fired))))
		}
		return nil
	}
	k := string(eval.KeyBytes(key, nil))
	if w.Kind == ir.WindowSession {
		emit(eventTime(el.TsMs), k, el)
		return nil
	}
	for _, iv := range open {
		emit(eventTime(iv.End-1), k, el)
	}
	return nil
}

// accum is an aggregate's accumulator between Beam's combiner phases: an
// eval.Acc, encoded in its deterministic binary form (State) only when it
// leaves a phase (encodeAccum). Within one it stays decoded (acc):
// re-encoding it at every record made an aggregate quadratic in the size
// of its accumulator (the count_distinct sets of Nexmark q15's one key a
// day).
type accum struct {
	State []byte
	acc   *eval.Acc
}

func encodeAccum(a accum) ([]byte, error) {
	if a.acc != nil {
		return a.acc.MarshalBinary()
	}
	return a.State, nil
}

func decodeAccum(b []byte) (accum, error) { return accum{State: slices.Clone(b)}, nil }

// combineFn folds an aggregate's records with eval's Aggregator.
type combineFn struct{ fnBase }

func (f *combineFn) Setup() error { return f.setup() }

func (f *combineFn) load(a accum) *eval.Acc {
	if a.acc != nil {
		return a.acc
	}
	if len(a.State) == 0 {
		return f.c.agg.NewAcc()
	}
	acc, err := eval.UnmarshalAcc(f.c.agg, a.State)
	if err != nil {
		panic(fmt.Sprintf("beam: %s: %v", f.Op, err)) // written by this stage: a bug
	}
	return acc
}

func (f *combineFn) CreateAccumulator() accum { return accum{} }

func (f *combineFn) AddInput(a accum, el element) accum {
	acc := f.load(a)
	r, err := decode(f.c.in[0], el)
	if err == nil {
		err = f.c.agg.Add(acc, eval.Frame{r}, el.TsMs)
	}
	if err != nil {
		// assignFn dead-lettered every record Add rejects on its own; this
		// is a record whose dynamic type differs from the window's others.
		slog.Warn("beam: aggregate record skipped", "operator", f.Op, "err", err)
	}
	return accum{acc: acc}
}

func (f *combineFn) MergeAccumulators(a, b accum) accum {
	acc := f.load(a)
	f.c.agg.Merge(acc, f.load(b))
	return accum{acc: acc}
}

func (f *combineFn) ExtractOutput(a accum) accum { return a }

// resultFn builds an aggregate's output record from a key, an accumulator
// and the Beam window, whose bounds become window_start and window_end.
type resultFn struct{ fnBase }

func (f *resultFn) Setup() error { return f.setup() }

func (f *resultFn) ProcessElement(w beam.Window, key string, a accum, emit func(beam.EventTime, element), dead func(DeadLetter)) error {
	c := f.c
	iw, ok := w.(window.IntervalWindow)
	if !ok {
		return fmt.Errorf("beam: %s: unexpected window %v", c.op.ID, w)
	}
	iv := eval.Interval{Start: iw.Start.Milliseconds(), End: iw.End.Milliseconds()}
	if aw := c.op.Aggregate.Window; aw.Kind != ir.WindowSession {
		iv.Start = iv.End - aw.SizeMs
	}
	k, err := eval.DecodeJSON(c.agg.KeyLayout(), []byte(key))
	if err != nil {
		return fmt.Errorf("beam: %s: key: %w", c.op.ID, err)
	}
	acc, err := a.acc, error(nil)
	switch {
	case acc != nil:
	case len(a.State) == 0:
		acc = c.agg.NewAcc()
	default:
		acc, err = eval.UnmarshalAcc(c.agg, a.State)
	}
	if err != nil {
		return fmt.Errorf("beam: %s: %w", c.op.ID, err)
	}
	r := c.agg.Result(k, acc, iv)
	if err := eval.FiniteRecord(r); err != nil {
		dead(windowDeadLetter(c.op.ID, iv, err))
		return nil
	}
	ts := iv.End - 1
	emit(eventTime(ts), element{Value: r.AppendJSON(nil), TsMs: ts, WmMs: math.MinInt64, OriginStream: c.op.ID})
	return nil
}

// windowDeadLetter is the dead letter of a window result JSON cannot carry
// (a sum past the largest double): it has no input record, as on native.
func windowDeadLetter(opID string, iv eval.Interval, err error) DeadLetter {
	return DeadLetter{Operator: opID, Reason: ReasonEval, Err: eval.WindowError(iv, err).Error()}
}
