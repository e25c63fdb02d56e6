package native

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// topNode keeps the best records per key and window (eval.Ranker) and
// emits each group, best first, once its input watermark reaches the
// group's fire time: the window's end for a top with its own window, one
// past the records' event time for a top over a windowed result (whose
// records all carry their window's end - 1 ms). Emitted records keep the
// fire time - 1 ms as their event time, as an aggregate's results do.
//
// Groups live in memory, pruned to the limit (ties kept) as they grow;
// save writes the changed ones to the store under prefix+'g'+group id, so a
// checkpoint holds them, and load reads them back. A record for a group
// that has fired is late: it goes to the dead-letter queue.
type topNode struct {
	op     *ir.Operator
	rk     *eval.Ranker
	window ir.Window // Kind "" when the top ranks its input's windows
	out    *route
	prefix []byte
	groups map[string]*topGroup
	dirty  map[string]bool
	fired  int64 // the input watermark groups have fired up to
	seq    uint64
	wins   []eval.Interval
	kbuf   []byte
}

type topGroup struct {
	fireAt int64
	rows   []eval.Ranked
}

func newTop(e *Engine, op *ir.Operator, in *eval.Layout, c eval.Consts) (*topNode, error) {
	rk, diags := eval.NewRanker(op.Top, in, c)
	if err := diagErr(op, "top", diags); err != nil {
		return nil, err
	}
	n := &topNode{op: op, rk: rk, out: e.route(op.ID), prefix: opPrefix(op.StateAddress()),
		groups: map[string]*topGroup{}, dirty: map[string]bool{}, fired: math.MinInt64}
	if op.Top.Window != nil {
		n.window = *op.Top.Window
	}
	return n, nil
}

func (n *topNode) operator() *ir.Operator { return n.op }

func (n *topNode) push(e *Engine, _ int, x rec) error {
	f := eval.Frame{x.r}
	key, err := n.rk.AppendKey(f, n.kbuf[:0])
	n.kbuf = key
	if err != nil {
		return e.deadLetter(n.op.ID, ReasonEval, err)
	}
	vals, err := n.rk.SortValues(f)
	if err != nil {
		return e.deadLetter(n.op.ID, ReasonEval, err)
	}
	n.seq++
	row := eval.Ranked{Vals: vals, Rec: eval.CloneRecord(x.r), TS: x.ts, Seq: n.seq}
	if n.rk.Continuous() {
		return n.offer(e, key, row)
	}
	if n.rk.OwnWindow() {
		n.wins = eval.AssignWindows(n.window, x.ts, n.wins[:0])
		added := false
		for _, iv := range n.wins {
			if iv.End <= n.fired {
				continue // this window has fired
			}
			n.add(appendTime(nil, iv.End), key, iv.End, row)
			added = true
		}
		if !added {
			return e.deadLetter(n.op.ID, ReasonLate, errors.New("every window of the record has fired"))
		}
		return nil
	}
	fireAt := satAdd(x.ts, 1)
	if fireAt <= n.fired {
		return e.deadLetter(n.op.ID, ReasonLate, errors.New("the record's window has fired"))
	}
	n.add(n.rk.InputWindowEnd(x.r, nil), key, fireAt, row)
	return nil
}

// add puts row in the group of (window, key).
func (n *topNode) add(win, key []byte, fireAt int64, row eval.Ranked) {
	id := string(appendBytes(win, key))
	g := n.groups[id]
	if g == nil {
		g = &topGroup{fireAt: fireAt}
		n.groups[id] = g
	}
	g.fireAt = max(g.fireAt, fireAt)
	g.rows = append(g.rows, row)
	if len(g.rows) >= 2*n.rk.Limit()+8 {
		g.rows = n.rk.Keep(g.rows)
	}
	n.dirty[id] = true
}

// offer ranks row in its group of a continuous top (one group per key,
// over all time, never fired) and emits the change to the ranking: a
// delete for each row it pushed out, then an insert for row if it
// entered. Event times are the arriving record's.
func (n *topNode) offer(e *Engine, key []byte, row eval.Ranked) error {
	id := string(key)
	g := n.groups[id]
	if g == nil {
		g = &topGroup{fireAt: math.MaxInt64}
		n.groups[id] = g
	}
	kept, entered, left := n.rk.Offer(g.rows, row)
	g.rows = kept
	if !entered && len(left) == 0 {
		return nil
	}
	n.dirty[id] = true
	for _, l := range left {
		if err := e.emit(n.out, rec{r: l.Rec, ts: row.TS, kind: eval.Delete}); err != nil {
			return err
		}
	}
	if entered {
		return e.emit(n.out, rec{r: row.Rec, ts: row.TS, kind: eval.Insert})
	}
	return nil
}

func (n *topNode) advance(e *Engine, wm int64) error {
	if wm <= n.fired {
		return nil
	}
	n.fired = wm
	return n.fire(e, wm)
}

func (n *topNode) drain(e *Engine) error { return n.fire(e, math.MaxInt64) }

// fire emits the groups due by wm in fire time order (then group id, for
// a deterministic order), so the event times of the output never decrease.
func (n *topNode) fire(e *Engine, wm int64) error {
	if n.rk.Continuous() {
		return nil // a continuous top emits as records arrive
	}
	var due []string
	for id, g := range n.groups {
		if g.fireAt <= wm {
			due = append(due, id)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		gi, gj := n.groups[due[i]], n.groups[due[j]]
		if gi.fireAt != gj.fireAt {
			return gi.fireAt < gj.fireAt
		}
		return due[i] < due[j]
	})
	for _, id := range due {
		g := n.groups[id]
		delete(n.groups, id)
		n.dirty[id] = true
		for _, row := range n.rk.Keep(g.rows) {
			if err := e.emit(n.out, rec{r: row.Rec, ts: g.fireAt - 1}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (n *topNode) groupKey(id string) []byte {
	return append(append(append([]byte(nil), n.prefix...), 'g'), id...)
}

// save writes the groups changed since the last save: fire time, then per
// row its event time, arrival number and record JSON.
func (n *topNode) save(e *Engine) error {
	for id := range n.dirty {
		g := n.groups[id]
		if g == nil {
			e.st.del(n.groupKey(id))
			continue
		}
		g.rows = n.rk.Keep(g.rows)
		b := appendTime(nil, g.fireAt)
		for _, r := range g.rows {
			b = appendTime(b, r.TS)
			b = binary.BigEndian.AppendUint64(b, r.Seq)
			b = appendBytes(b, r.Rec.AppendJSON(nil))
		}
		e.st.set(n.groupKey(id), b, nil)
	}
	clear(n.dirty)
	e.saveInt(n.prefix, "fired", n.fired)
	e.saveInt(n.prefix, "seq", int64(n.seq))
	return nil
}

func (n *topNode) load(e *Engine) error {
	n.groups, n.dirty = map[string]*topGroup{}, map[string]bool{}
	var err error
	if n.fired, err = e.loadInt(n.prefix, "fired", math.MinInt64); err != nil {
		return err
	}
	seq, err := e.loadInt(n.prefix, "seq", 0)
	if err != nil {
		return err
	}
	n.seq = uint64(seq)
	lo := append(append([]byte(nil), n.prefix...), 'g')
	return e.st.scan(lo, prefixEnd(lo), func(k, v []byte) error {
		if len(v) < 8 {
			return fmt.Errorf("native: %s: corrupt top state", n.op.ID)
		}
		g := &topGroup{fireAt: readTime(v)}
		for rest := v[8:]; len(rest) > 0; {
			if len(rest) < 16 {
				return fmt.Errorf("native: %s: corrupt top state", n.op.ID)
			}
			ts, seq := readTime(rest), binary.BigEndian.Uint64(rest[8:])
			js, r, err := readBytes(rest[16:])
			if err != nil {
				return fmt.Errorf("native: %s: %w", n.op.ID, err)
			}
			rest = r
			rc, err := eval.DecodeJSON(n.rk.InputLayout(), js)
			if err != nil {
				return fmt.Errorf("native: %s: top state: %w", n.op.ID, err)
			}
			vals, err := n.rk.SortValues(eval.Frame{rc})
			if err != nil {
				return fmt.Errorf("native: %s: top state: %w", n.op.ID, err)
			}
			g.rows = append(g.rows, eval.Ranked{Vals: vals, Rec: rc, TS: ts, Seq: seq})
		}
		n.groups[string(k[len(lo):])] = g
		return nil
	})
}
