package native

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
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
	// changed are the groups changed since the last save (each once: its
	// dirty flag), gone the ids of the groups fired since.
	changed []*topGroup
	gone    []string
	fired   int64 // the input watermark groups have fired up to
	seq     uint64
	wins    []eval.Interval
	kbuf    []byte
	left    []eval.Ranked // scratch: the rows a continuous offer pushed out
	vbuf    []eval.Value  // scratch: the order_by values of the record ranked
}

type topGroup struct {
	id     string
	fireAt int64
	// rows are sorted best first, then by arrival (Seq), as Ranker.Keep
	// leaves them; a continuous top keeps exactly its ranking.
	rows  []eval.Ranked
	dirty bool
}

// touch marks g changed since the last save.
func (n *topNode) touch(g *topGroup) {
	if !g.dirty {
		g.dirty = true
		n.changed = append(n.changed, g)
	}
}

func newTop(e *Engine, op *ir.Operator, in *eval.Layout, c eval.Consts) (*topNode, error) {
	rk, diags := eval.NewRanker(op.Top, in, c)
	if err := diagErr(op, "top", diags); err != nil {
		return nil, err
	}
	n := &topNode{op: op, rk: rk, out: e.route(op.ID), prefix: opPrefix(op.StateAddress()),
		groups: map[string]*topGroup{}, fired: math.MinInt64}
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
	vals, err := n.rk.AppendSortValues(f, n.vbuf[:0])
	n.vbuf = vals
	if err != nil {
		return e.deadLetter(n.op.ID, ReasonEval, err)
	}
	n.seq++
	if n.rk.Continuous() {
		return n.offer(e, key, eval.Ranked{Vals: vals, Rec: x.r, TS: x.ts, Seq: n.seq})
	}
	row := eval.Ranked{Vals: slices.Clone(vals), Rec: eval.CloneRecord(x.r), TS: x.ts, Seq: n.seq}
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
	id := appendBytes(win, key)
	g := n.groups[string(id)]
	if g == nil {
		g = &topGroup{id: string(id), fireAt: fireAt}
		n.groups[g.id] = g
	}
	g.fireAt = max(g.fireAt, fireAt)
	g.rows = append(g.rows, row)
	if len(g.rows) >= 2*n.rk.Limit()+8 {
		g.rows = n.rk.Keep(g.rows)
	}
	n.touch(g)
}

// offer ranks row in its group of a continuous top (one group per key,
// over all time, never fired) and emits the change to the ranking: a
// delete for each row it pushed out, in arrival order, then an insert for
// row if it entered. Event times are the arriving record's. row.Rec is
// the input record and row.Vals scratch: both are copied only when the
// row enters.
//
// This is eval.Ranker.Offer without its allocations: the group's rows are
// sorted (by the ranker's order, then arrival), and row arrived last, so
// it goes after every row it does not rank before; the ranking is then
// the first Limit rows and the rows tied with the Limit-th, as Keep cuts.
func (n *topNode) offer(e *Engine, key []byte, row eval.Ranked) error {
	g := n.groups[string(key)]
	if g == nil {
		g = &topGroup{id: string(key), fireAt: math.MaxInt64}
		n.groups[g.id] = g
	}
	rows, limit := g.rows, n.rk.Limit()
	pos := len(rows)
	for pos > 0 && n.rk.Compare(rows[pos-1].Vals, row.Vals) > 0 {
		pos--
	}
	if pos >= limit && n.rk.Compare(rows[limit-1].Vals, row.Vals) != 0 {
		return nil // ranks below the limit-th row: no change
	}
	row.Rec, row.Vals = keepRow(row.Rec, row.Vals)
	rows = slices.Insert(rows, pos, row)
	cut := len(rows)
	if cut > limit {
		cut = limit
		for cut < len(rows) && n.rk.Compare(rows[cut].Vals, rows[limit-1].Vals) == 0 {
			cut++
		}
	}
	// The rows pushed out, in arrival order (row itself is never among
	// them: it is at most tied with the limit-th, and ties stay).
	left := append(n.left[:0], rows[cut:]...)
	clear(rows[cut:])
	g.rows = rows[:cut]
	slices.SortFunc(left, func(a, b eval.Ranked) int { return cmp.Compare(a.Seq, b.Seq) })
	n.touch(g)
	for _, l := range left {
		if err := e.emit(n.out, rec{r: l.Rec, ts: row.TS, kind: eval.Delete}); err != nil {
			return err
		}
	}
	clear(left)
	n.left = left[:0]
	return e.emit(n.out, rec{r: row.Rec, ts: row.TS, kind: eval.Insert})
}

// keepRow copies a record and its order_by values for a group to keep, in
// one slice of values.
func keepRow(r *eval.Record, vals []eval.Value) (*eval.Record, []eval.Value) {
	nv := len(r.Values)
	buf := make([]eval.Value, nv+len(vals))
	copy(buf, r.Values)
	copy(buf[nv:], vals)
	return &eval.Record{Layout: r.Layout, Values: buf[:nv:nv]}, buf[nv:]
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
		n.gone = append(n.gone, id)
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
	for _, id := range n.gone {
		if n.groups[id] == nil {
			e.st.del(n.groupKey(id))
		}
	}
	clear(n.gone)
	n.gone = n.gone[:0]
	for _, g := range n.changed {
		g.dirty = false
		if n.groups[g.id] != g {
			continue // fired since
		}
		g.rows = n.rk.Keep(g.rows)
		b := appendTime(nil, g.fireAt)
		for _, r := range g.rows {
			b = appendTime(b, r.TS)
			b = binary.BigEndian.AppendUint64(b, r.Seq)
			b = appendBytes(b, r.Rec.AppendJSON(nil))
		}
		e.st.set(n.groupKey(g.id), b, nil)
	}
	clear(n.changed)
	n.changed = n.changed[:0]
	e.saveInt(n.prefix, "fired", n.fired)
	e.saveInt(n.prefix, "seq", int64(n.seq))
	return nil
}

func (n *topNode) load(e *Engine) error {
	n.groups, n.changed, n.gone = map[string]*topGroup{}, nil, nil
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
		g.id = string(k[len(lo):])
		n.groups[g.id] = g
		return nil
	})
}
