package native

import (
	"fmt"
	"math"
	"slices"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// aggNode groups records by key within event-time windows and emits one
// record per key and window when the watermark (the stage watermark minus
// allowed_lateness) reaches the window's end. Window bounds, session merging
// and aggregate math are eval's; this node keeps the accumulators, the
// timers and the fired-through watermark.
//
// State is a write-back cache in front of the store. Keys being worked on
// live in memory (a map by key, each key holding its few open windows, and
// timers by window end). A key's open windows are written to the
// store as one entry at checkpoints, and when the number of keys in memory
// passes the cache limit, in which case every key is written and dropped
// from memory. Beside each written window the store holds a fire index
// entry ordered by window end, so that firing reads the due windows of keys
// not in memory with a range scan. Nothing is read back eagerly: after a
// restore a key is loaded when a record or a due window touches it, so
// restore time does not depend on how much state there is.
//
// A fired window's store entries are deleted (or rewritten) if it had been
// written. A record whose windows have all fired is late and goes to the
// dead-letter queue.
type aggNode struct {
	op       *ir.Operator
	window   ir.Window
	lateness int64
	keyProgs []*eval.Program
	agg      *eval.Aggregator
	out      *eval.Layout
	emit     *route
	prefix   []byte
	limit    int // keys in memory before they are written out and evicted

	keys map[string]*aggKey
	// Timers: the keys with a window ending at each time, in a heap by
	// end. Keys share buckets (every key's window of one tumbling interval
	// ends alike), which makes a timer an append, and firing a bucket
	// visits keys in the order their windows opened, which is mostly the
	// order they were allocated in.
	timers  timerHeap[*bucket]
	buckets map[int64]*bucket
	last    *bucket // the bucket pushed to last
	spare   []*bucket
	fired   int64 // windows with end <= fired have fired
	dirty   []*aggKey

	// stored: the store may hold keys of this operator that are not in
	// memory. idx is the fire index of the windows written to the store.
	stored bool
	idx    *timeIndex

	free []*eval.Acc // reset accumulators of fired windows, for reuse
	res  eval.Record // the output record, reused: consumers copy what they keep
	// bounds caches the formatted bounds of the last window fired: every
	// key's window of one interval fires together.
	bounds     eval.Interval
	boundsOK   bool
	start, end string
	kbuf       []byte
	wbuf       []eval.Interval
	sbuf       []eval.Interval
	due        []aggWin
}

type aggKey struct {
	kb    string
	key   *eval.Record // the key fields
	wins  []aggWin
	dirty bool
	saved bool // has an entry in the store
}

type aggWin struct {
	iv      eval.Interval
	acc     *eval.Acc
	indexed bool // has a fire index entry in the store
}

// bucket is the keys with a window ending at end (or that had one: firing
// a key with no due window does nothing).
type bucket struct {
	end  int64
	keys []*aggKey
}

// State key tags of an aggregate.
const (
	tagAggKey   = 'w' // key bytes -> key record and open windows
	tagAggIndex = 'x' // window end, key bytes -> nothing
)

func newAggregate(op *ir.Operator, in *eval.Layout, c eval.Consts, limit int) (*aggNode, error) {
	a := op.Aggregate
	if a == nil {
		return nil, fmt.Errorf("native: %s has no aggregate settings", op.ID)
	}
	if limit <= 0 {
		limit = defaultCacheLimit
	}
	roots := []eval.Root{{Name: "record", Layout: in}}
	n := &aggNode{
		op:       op,
		window:   a.Window,
		lateness: a.AllowedLatenessMs,
		prefix:   opPrefix(op.StateAddress()),
		limit:    limit,
		keys:     map[string]*aggKey{},
		buckets:  map[int64]*bucket{},
		fired:    math.MinInt64,
	}
	n.idx = newTimeIndex(n.prefix, tagAggIndex)
	for _, f := range a.Key {
		p, diags := eval.Compile(f.Expr, roots, c)
		if err := diagErr(op, "key "+f.Name, diags); err != nil {
			return nil, err
		}
		n.keyProgs = append(n.keyProgs, p)
	}
	agg, diags := eval.NewAggregator(a, in, c)
	if err := diagErr(op, "fields", diags); err != nil {
		return nil, err
	}
	n.agg = agg
	n.out = agg.OutputLayout()
	return n, nil
}

func (n *aggNode) operator() *ir.Operator  { return n.op }
func (n *aggNode) outLayout() *eval.Layout { return n.out }

// tagged returns a new state key: the operator prefix and tag.
func (n *aggNode) tagged(tag byte) []byte {
	return append(append(make([]byte, 0, len(n.prefix)+1+64), n.prefix...), tag)
}

func (n *aggNode) stateKey(kb string) []byte { return append(n.tagged(tagAggKey), kb...) }

// timer makes ks fire when the watermark reaches end.
func (n *aggNode) timer(end int64, ks *aggKey) {
	b := n.last
	if b == nil || b.end != end {
		if b = n.buckets[end]; b == nil {
			if k := len(n.spare); k > 0 {
				b, n.spare = n.spare[k-1], n.spare[:k-1]
				b.end = end
			} else {
				b = &bucket{end: end}
			}
			n.buckets[end] = b
			n.timers.push(end, b)
		}
		n.last = b
	}
	b.keys = append(b.keys, ks)
}

// clearTimers drops every timer.
func (n *aggNode) clearTimers() {
	for _, t := range n.timers {
		clear(t.v.keys)
		t.v.keys = t.v.keys[:0]
		n.spare = append(n.spare, t.v)
	}
	clear(n.timers)
	n.timers = n.timers[:0]
	clear(n.buckets)
	n.last = nil
}

func (n *aggNode) newAcc() *eval.Acc {
	if k := len(n.free); k > 0 {
		acc := n.free[k-1]
		n.free[k-1] = nil
		n.free = n.free[:k-1]
		return acc
	}
	return n.agg.NewAcc()
}

func (n *aggNode) release(acc *eval.Acc) {
	n.agg.Reset(acc)
	n.free = append(n.free, acc)
}

func (n *aggNode) push(e *Engine, _ int, x rec) error {
	f := eval.Frame{x.r}
	kb := n.kbuf[:0]
	for _, p := range n.keyProgs {
		v, err := p.Eval(f)
		if err == nil {
			err = eval.Finite(v)
		}
		if err != nil {
			return e.deadLetter(n.op.ID, ReasonEval, fmt.Errorf("key: %w", err))
		}
		if v.Kind == eval.KindNull {
			n.kbuf = kb
			return e.deadLetter(n.op.ID, ReasonNullKey, errNullKey)
		}
		kb = appendKey(kb, v)
	}
	n.kbuf = kb

	if n.window.Time == ir.WindowProcessingTime && !e.cfg.eventClock {
		x.ts = e.cfg.clock() // the record's time in this operator is its arrival
	}
	n.wbuf = eval.AssignWindows(n.window, x.ts, n.wbuf[:0])
	if len(n.wbuf) == 0 {
		return nil // a hopping window with slide > size leaves gaps
	}
	open := n.wbuf[:0]
	for _, iv := range n.wbuf {
		if iv.End > n.fired {
			open = append(open, iv)
		}
	}
	if len(open) == 0 {
		return e.deadLetter(n.op.ID, ReasonLate, fmt.Errorf("event time %s is behind the watermark %s: all its windows have fired",
			eval.FormatTimestamp(x.ts), eval.FormatTimestamp(n.fired)))
	}

	ks := n.keys[string(kb)]
	if ks == nil {
		var err error
		if ks, err = n.lookup(e, kb); err != nil {
			return err
		}
		if ks == nil {
			key, err := n.agg.Key(f)
			if err != nil {
				return e.deadLetter(n.op.ID, ReasonEval, fmt.Errorf("key: %w", err))
			}
			ks = &aggKey{kb: string(kb), key: key}
			n.keys[ks.kb] = ks
		}
	}
	if !ks.dirty {
		ks.dirty = true
		n.dirty = append(n.dirty, ks)
	}
	if n.window.Kind == ir.WindowSession {
		return n.addSession(e, ks, open[0], f, x.ts)
	}
	for _, iv := range open {
		// Add leaves the accumulator unchanged on error, and fails alike
		// for every window of the record, so a failure leaves no trace; a
		// window is created only once a record is in it.
		if w := ks.win(iv); w != nil {
			if err := n.agg.Add(w.acc, f, x.ts); err != nil {
				return e.deadLetter(n.op.ID, ReasonEval, err)
			}
			continue
		}
		acc := n.newAcc()
		if err := n.agg.Add(acc, f, x.ts); err != nil {
			n.release(acc)
			return e.deadLetter(n.op.ID, ReasonEval, err)
		}
		ks.wins = append(ks.wins, aggWin{iv: iv, acc: acc})
		n.timer(iv.End, ks)
	}
	return nil
}

// lookup returns the key kb from the store, or nil when the store does not
// have it, and makes it resident. Before that it evicts every key when the
// memory budget is used up.
func (n *aggNode) lookup(e *Engine, kb []byte) (*aggKey, error) {
	if len(n.keys) >= n.limit {
		if err := n.evict(e); err != nil {
			return nil, fmt.Errorf("native: %s: %w", n.op.ID, err)
		}
	}
	if !n.stored {
		return nil, nil
	}
	ks, err := n.read(e, string(kb))
	if err != nil {
		return nil, fmt.Errorf("native: %s: %w", n.op.ID, err)
	}
	if ks != nil {
		n.keys[ks.kb] = ks
	}
	return ks, nil
}

// read decodes key kb's entry from the store; nil when there is none. The
// windows it returns are indexed, so they need no timers in memory.
func (n *aggNode) read(e *Engine, kb string) (*aggKey, error) {
	v, ok, err := e.st.read(n.stateKey(kb))
	if err != nil || !ok {
		return nil, err
	}
	ks := &aggKey{kb: kb, saved: true}
	kj, rest, err := readBytes(v)
	if err != nil {
		return nil, err
	}
	if ks.key, err = eval.DecodeJSON(n.agg.KeyLayout(), kj); err != nil {
		return nil, fmt.Errorf("corrupt aggregate key: %w", err)
	}
	for len(rest) > 0 {
		if len(rest) < 16 {
			return nil, fmt.Errorf("corrupt aggregate state")
		}
		w := aggWin{iv: eval.Interval{Start: readTime(rest), End: readTime(rest[8:])}, indexed: true}
		ab, r2, err := readBytes(rest[16:])
		if err != nil {
			return nil, err
		}
		rest = r2
		if w.acc, err = eval.UnmarshalAcc(n.agg, ab); err != nil {
			return nil, fmt.Errorf("corrupt accumulator: %w", err)
		}
		ks.wins = append(ks.wins, w)
	}
	return ks, nil
}

func (ks *aggKey) win(iv eval.Interval) *aggWin {
	for i := range ks.wins {
		if ks.wins[i].iv == iv {
			return &ks.wins[i]
		}
	}
	return nil
}

// addSession adds the record's proto-session iv to the key's sessions:
// eval.MergeSessions decides which sessions it joins, and the accumulators
// of the joined sessions are merged in start order, the record's last.
func (n *aggNode) addSession(e *Engine, ks *aggKey, iv eval.Interval, f eval.Frame, ts int64) error {
	racc := n.newAcc()
	if err := n.agg.Add(racc, f, ts); err != nil {
		n.release(racc)
		return e.deadLetter(n.op.ID, ReasonEval, err)
	}
	ivs := n.sbuf[:0]
	for _, w := range ks.wins {
		ivs = append(ivs, w.iv)
	}
	ivs = append(ivs, iv)
	n.sbuf = ivs
	var m eval.Interval
	for _, c := range eval.MergeSessions(ivs) {
		if c.Start <= iv.Start && iv.End <= c.End {
			m = c
			break
		}
	}
	// ks.wins is kept in start order, so absorbed sessions merge in order.
	var acc *eval.Acc
	keep := ks.wins[:0]
	for _, w := range ks.wins {
		if m.Start <= w.iv.Start && w.iv.End <= m.End {
			if w.indexed {
				e.st.del(n.idx.key(w.iv.End, ks.kb))
			}
			if acc == nil {
				acc = w.acc
			} else {
				n.agg.Merge(acc, w.acc)
				n.release(w.acc)
			}
			continue
		}
		keep = append(keep, w)
	}
	if acc == nil {
		acc = racc
	} else {
		n.agg.Merge(acc, racc)
		n.release(racc)
	}
	clear(ks.wins[len(keep):])
	ks.wins = keep
	i := 0
	for i < len(ks.wins) && ks.wins[i].iv.Start < m.Start {
		i++
	}
	ks.wins = slices.Insert(ks.wins, i, aggWin{iv: m, acc: acc})
	n.timer(m.End, ks)
	return nil
}

func (n *aggNode) advance(e *Engine, wm int64) error {
	return n.fire(e, satSub(wm, n.lateness))
}

// fire emits every window with end <= wm, in end order across keys, so
// that the event times of the results (end - 1 ms) never decrease: a stage
// reading them from a channel derives its watermark from them. Timers in
// memory and the store's fire index are merged by end; each window has a
// timer or an index entry at its end, and firing one fires the key's
// windows that end by then.
func (n *aggNode) fire(e *Engine, wm int64) error {
	if wm <= n.fired {
		return nil
	}
	n.fired = wm
	for {
		heapDue := len(n.timers) > 0 && n.timers.peek() <= wm
		idx, err := n.idx.peek(e.st, wm)
		if err != nil {
			return fmt.Errorf("native: %s: %w", n.op.ID, err)
		}
		switch {
		case idx != nil && (!heapDue || idx.at <= n.timers.peek()):
			n.idx.pop()
			if ks := n.keys[idx.kb]; ks != nil {
				if err := n.fireKey(e, ks, idx.at); err != nil {
					return err
				}
				continue
			}
			if err := n.fireStored(e, idx.kb, idx.at); err != nil {
				return err
			}
		case heapDue:
			b := n.timers.pop().v
			delete(n.buckets, b.end)
			if n.last == b {
				n.last = nil
			}
			for i, ks := range b.keys {
				if err := n.fireKey(e, ks, b.end); err != nil {
					// Keep the keys not visited yet.
					rest := b.keys[i+1:]
					b.keys = b.keys[:0]
					for _, k := range rest {
						n.timer(b.end, k)
					}
					return err
				}
			}
			clear(b.keys)
			b.keys = b.keys[:0]
			n.spare = append(n.spare, b)
		default:
			return nil
		}
	}
}

// fireStored fires the due windows of a key that is not in memory. A key
// left without windows is deleted from the store without coming into
// memory, so that firing (or draining) state larger than memory does not
// load all of it.
func (n *aggNode) fireStored(e *Engine, kb string, wm int64) error {
	ks, err := n.read(e, kb)
	if err != nil {
		return fmt.Errorf("native: %s: %w", n.op.ID, err)
	}
	if ks == nil {
		return nil // a stale entry: the key has gone
	}
	if !slices.ContainsFunc(ks.wins, func(w aggWin) bool { return w.iv.End > wm }) {
		ks.dirty = true // keeps fireKey from queueing it for save
		if err := n.fireKey(e, ks, wm); err != nil {
			return err
		}
		e.st.del(n.stateKey(kb))
		return e.st.maybeFlush()
	}
	n.keys[ks.kb] = ks
	if err := n.fireKey(e, ks, wm); err != nil {
		return err
	}
	return e.st.maybeFlush()
}

// fireKey emits ks's windows with end <= wm.
func (n *aggNode) fireKey(e *Engine, ks *aggKey, wm int64) error {
	keep, due := ks.wins[:0], n.due[:0]
	for _, w := range ks.wins {
		if w.iv.End <= wm {
			due = append(due, w)
		} else {
			keep = append(keep, w)
		}
	}
	n.due = due
	if len(due) == 0 {
		return nil
	}
	clear(ks.wins[len(keep):])
	ks.wins = keep
	// The key stays in memory without windows until the next save, so
	// that a key with a record in every window is set up only once.
	if !ks.dirty {
		ks.dirty = true
		n.dirty = append(n.dirty, ks)
	}
	for _, w := range due {
		if w.indexed {
			e.st.del(n.idx.key(w.iv.End, ks.kb))
		}
		if !n.boundsOK || n.bounds != w.iv {
			n.bounds, n.boundsOK = w.iv, true
			n.start, n.end = eval.FormatTimestamp(w.iv.Start), eval.FormatTimestamp(w.iv.End)
		}
		n.agg.ResultInto(&n.res, ks.key, w.acc, n.start, n.end)
		if err := eval.FiniteRecord(&n.res); err != nil {
			// Firing happens outside Push: the dead letter carries no input.
			if err := e.deadLetter(n.op.ID, ReasonEval, eval.WindowError(w.iv, err)); err != nil {
				return err
			}
		} else if err := e.emit(n.emit, rec{r: &n.res, ts: w.iv.End - 1}); err != nil {
			return err
		}
		n.release(w.acc)
	}
	clear(due)
	return nil
}

func (n *aggNode) drain(e *Engine) error { return n.fire(e, math.MaxInt64) }

// write writes ks's open windows to the store, one entry holding the key
// record and each window's bounds and accumulator, and a fire index entry
// per window not indexed yet; a key without windows is deleted.
func (n *aggNode) write(e *Engine, ks *aggKey) error {
	sk := n.stateKey(ks.kb)
	if len(ks.wins) == 0 {
		if ks.saved {
			e.st.del(sk)
			ks.saved = false
		}
		return nil
	}
	b := appendBytes(nil, ks.key.AppendJSON(nil))
	for i := range ks.wins {
		w := &ks.wins[i]
		b = appendTime(b, w.iv.Start)
		b = appendTime(b, w.iv.End)
		ab, err := w.acc.MarshalBinary()
		if err != nil {
			return err
		}
		b = appendBytes(b, ab)
		if !w.indexed {
			e.st.set(n.idx.key(w.iv.End, ks.kb), nil, nil)
			w.indexed = true
			n.idx.wrote(w.iv.End)
		}
	}
	e.st.set(sk, b, nil)
	ks.saved = true
	n.stored = true
	return nil
}

// save writes every changed key.
func (n *aggNode) save(e *Engine) error {
	for _, ks := range n.dirty {
		ks.dirty = false
		if n.keys[ks.kb] != ks {
			continue
		}
		if err := n.write(e, ks); err != nil {
			return err
		}
		if len(ks.wins) == 0 {
			delete(n.keys, ks.kb)
		}
	}
	n.dirty = n.dirty[:0]
	e.saveInt(n.prefix, "fired", n.fired)
	return nil
}

// evict writes every changed key and drops all keys from memory; their
// windows fire from the store's index.
func (n *aggNode) evict(e *Engine) error {
	if err := n.save(e); err != nil {
		return err
	}
	for _, ks := range n.keys {
		for _, w := range ks.wins {
			n.release(w.acc)
		}
	}
	clear(n.keys)
	n.clearTimers()
	// Index entries must be in Pebble for scans, which do not read the cache.
	return e.st.flush(true)
}

// load resets the node to the store's state lazily: only the fired-through
// watermark and the position of the fire index are read.
func (n *aggNode) load(e *Engine) error {
	n.keys = map[string]*aggKey{}
	n.clearTimers()
	n.dirty = n.dirty[:0]
	fired, err := e.loadInt(n.prefix, "fired", math.MinInt64)
	if err != nil {
		return err
	}
	n.fired = fired
	if err := n.idx.reset(e.st); err != nil {
		return err
	}
	n.stored = false
	lo := n.tagged(tagAggKey)
	return e.st.iterate(lo, prefixEnd(lo), func([]byte, []byte) bool {
		n.stored = true
		return false
	})
}

// satSub subtracts without overflowing past math.MinInt64.
func satSub(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}
