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
// Open windows live in memory (a map by key, each key holding its few open
// windows) and are written to the store at checkpoints; a fired window is
// deleted from the store if it had been written. A record whose windows have
// all fired is late and goes to the dead-letter queue.
type aggNode struct {
	op       *ir.Operator
	window   ir.Window
	lateness int64
	keyProgs []*eval.Program
	agg      *eval.Aggregator
	out      *eval.Layout
	emit     *route
	prefix   []byte

	keys   map[string]*aggKey
	timers timerHeap[*aggKey]
	fired  int64 // windows with end <= fired have fired
	dirty  []*aggKey

	kbuf []byte
	wbuf []eval.Interval
	sbuf []eval.Interval
	due  []aggWin
}

type aggKey struct {
	kb    string
	key   *eval.Record // the key fields
	wins  []aggWin
	dirty bool
	saved bool // has an entry in the store
}

type aggWin struct {
	iv  eval.Interval
	acc *eval.Acc
}

func newAggregate(op *ir.Operator, in *eval.Layout, c eval.Consts) (*aggNode, error) {
	a := op.Aggregate
	if a == nil {
		return nil, fmt.Errorf("native: %s has no aggregate settings", op.ID)
	}
	roots := []eval.Root{{Name: "record", Layout: in}}
	n := &aggNode{
		op:       op,
		window:   a.Window,
		lateness: a.AllowedLatenessMs,
		prefix:   opPrefix(op.ID),
		keys:     map[string]*aggKey{},
		fired:    math.MinInt64,
	}
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

func (n *aggNode) push(e *Engine, _ int, x rec) error {
	f := eval.Frame{x.r}
	kb := n.kbuf[:0]
	for _, p := range n.keyProgs {
		v, err := p.Eval(f)
		if err != nil {
			return e.deadLetter(n.op.ID, ReasonEval, fmt.Errorf("key: %w", err))
		}
		kb = appendKey(kb, v)
	}
	n.kbuf = kb

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
		key, err := n.agg.Key(f)
		if err != nil {
			return e.deadLetter(n.op.ID, ReasonEval, fmt.Errorf("key: %w", err))
		}
		ks = &aggKey{kb: string(kb), key: key}
		n.keys[ks.kb] = ks
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
		acc := n.agg.NewAcc()
		if err := n.agg.Add(acc, f, x.ts); err != nil {
			return e.deadLetter(n.op.ID, ReasonEval, err)
		}
		ks.wins = append(ks.wins, aggWin{iv: iv, acc: acc})
		n.timers.push(iv.End, ks)
	}
	return nil
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
	racc := n.agg.NewAcc()
	if err := n.agg.Add(racc, f, ts); err != nil {
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
			if acc == nil {
				acc = w.acc
			} else {
				n.agg.Merge(acc, w.acc)
			}
			continue
		}
		keep = append(keep, w)
	}
	if acc == nil {
		acc = racc
	} else {
		n.agg.Merge(acc, racc)
	}
	clear(ks.wins[len(keep):])
	ks.wins = keep
	i := 0
	for i < len(ks.wins) && ks.wins[i].iv.Start < m.Start {
		i++
	}
	ks.wins = slices.Insert(ks.wins, i, aggWin{iv: m, acc: acc})
	n.timers.push(m.End, ks)
	return nil
}

func (n *aggNode) advance(e *Engine, wm int64) error {
	return n.fire(e, satSub(wm, n.lateness))
}

// fire emits every window with end <= wm, in end order.
func (n *aggNode) fire(e *Engine, wm int64) error {
	if wm <= n.fired {
		return nil
	}
	n.fired = wm
	for len(n.timers) > 0 && n.timers.peek() <= wm {
		ks := n.timers.pop().v
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
			continue
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
			r := n.agg.Result(ks.key, w.acc, w.iv)
			if err := e.emit(n.emit, rec{r: r, ts: w.iv.End - 1}); err != nil {
				return err
			}
		}
		clear(due)
	}
	return nil
}

func (n *aggNode) drain(e *Engine) error { return n.fire(e, math.MaxInt64) }

func (n *aggNode) stateKey(kb string) []byte {
	b := append(append([]byte(nil), n.prefix...), 'w')
	return append(b, kb...)
}

// save writes every changed key's open windows: one entry per key holding
// the key record and each window's bounds and accumulator.
func (n *aggNode) save(e *Engine) error {
	for _, ks := range n.dirty {
		ks.dirty = false
		if n.keys[ks.kb] != ks {
			continue
		}
		sk := n.stateKey(ks.kb)
		if len(ks.wins) == 0 {
			if ks.saved {
				e.st.del(sk)
			}
			delete(n.keys, ks.kb)
			continue
		}
		b := appendBytes(nil, ks.key.AppendJSON(nil))
		for _, w := range ks.wins {
			b = appendTime(b, w.iv.Start)
			b = appendTime(b, w.iv.End)
			ab, err := w.acc.MarshalBinary()
			if err != nil {
				return err
			}
			b = appendBytes(b, ab)
		}
		e.st.set(sk, b, nil)
		ks.saved = true
	}
	n.dirty = n.dirty[:0]
	e.saveInt(n.prefix, "fired", n.fired)
	return nil
}

func (n *aggNode) load(e *Engine) error {
	n.keys = map[string]*aggKey{}
	n.timers = n.timers[:0]
	n.dirty = n.dirty[:0]
	fired, err := e.loadInt(n.prefix, "fired", math.MinInt64)
	if err != nil {
		return err
	}
	n.fired = fired
	lo := append(append([]byte(nil), n.prefix...), 'w')
	return e.st.scan(lo, prefixEnd(lo), func(k, v []byte) error {
		ks := &aggKey{kb: string(k[len(lo):]), saved: true}
		kj, rest, err := readBytes(v)
		if err != nil {
			return err
		}
		if ks.key, err = eval.DecodeJSON(n.agg.KeyLayout(), kj); err != nil {
			return fmt.Errorf("corrupt aggregate key: %w", err)
		}
		for len(rest) > 0 {
			if len(rest) < 16 {
				return fmt.Errorf("corrupt aggregate state")
			}
			w := aggWin{iv: eval.Interval{Start: readTime(rest), End: readTime(rest[8:])}}
			ab, r2, err := readBytes(rest[16:])
			if err != nil {
				return err
			}
			rest = r2
			if w.acc, err = eval.UnmarshalAcc(n.agg, ab); err != nil {
				return fmt.Errorf("corrupt accumulator: %w", err)
			}
			ks.wins = append(ks.wins, w)
			n.timers.push(w.iv.End, ks)
		}
		n.keys[ks.kb] = ks
		return nil
	})
}

// satSub subtracts without overflowing past math.MinInt64.
func satSub(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}
