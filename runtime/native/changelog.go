package native

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// caggNode is a continuous aggregate (ir.Aggregate.Continuous): it folds
// its input per key over all time and, for every input record that
// changes a group, emits the group's change as a changelog: an insert for
// a new group, an update_before (the old row) and an update_after (the
// new row) for a changed one, a delete when retractions empty it. Input
// records that retract (update_before, delete: the input is itself a
// changelog) are taken back out of the accumulators with
// eval.Aggregator.Retract. Output event times are the input record's.
//
// Groups being worked on live in memory; save writes the changed ones to
// the store under prefix+'c'+key bytes (the key record's JSON, the
// group's record count, the accumulator), past the cache limit every group
// is written and dropped, and a group not in memory is read from the store
// when a record reaches it, so restore does not read state eagerly.
type caggNode struct {
	op     *ir.Operator
	agg    *eval.Aggregator
	out    *route
	prefix []byte
	groups map[string]*caggGroup
	// changed are the groups changed since the last save, each once (its
	// dirty flag).
	changed []*caggGroup
	kbuf    []byte
	limit   int // groups in memory before they are written out and dropped

	// res are the records results are built in: res[0] a group's row
	// before a change (which may wait as pendingOld), res[1] after it.
	// Emitted records are the consumers' to copy (as the stateless core's
	// input records), so two serve every change. winStart and winEnd are
	// the window bounds Result writes for no window, formatted once.
	res              [2]eval.Record
	winStart, winEnd string
	keyRec           eval.Record // input keys are built here; a new group copies its key

	// pending is the group an input update_before was retracted from: its
	// change is emitted once the update_after that follows is folded, as
	// one update, instead of a delete and an insert (or two updates).
	pending    *caggGroup
	pendingKB  string
	pendingOld *eval.Record // the group's row before the update_before
	pendingTS  int64
}

type caggGroup struct {
	kb    string // the key bytes
	key   *eval.Record
	n     int64 // records folded in, net of retractions: 0 is an empty group
	acc   *eval.Acc
	dirty bool
}

// State key tags of a continuous aggregate.
const (
	tagCaggGroup   = 'c' // key bytes -> key record, count, accumulator
	tagCaggPending = 'p' // -> the pending update_before (see save)
)

func newContinuousAggregate(e *Engine, op *ir.Operator, in *eval.Layout, c eval.Consts) (*caggNode, error) {
	limit := e.cfg.cacheLimit
	if limit <= 0 {
		limit = defaultCacheLimit
	}
	agg, diags := eval.NewAggregator(op.Aggregate, in, c)
	if err := diagErr(op, "fields", diags); err != nil {
		return nil, err
	}
	return &caggNode{op: op, agg: agg, out: e.route(op.ID), prefix: opPrefix(op.StateAddress()),
		groups: map[string]*caggGroup{}, limit: limit,
		winStart: eval.FormatTimestamp(0), winEnd: eval.FormatTimestamp(0)}, nil
}

func (n *caggNode) operator() *ir.Operator { return n.op }

// result builds g's row in n.res[i] (eval.Aggregator.Result for no
// window).
func (n *caggNode) result(i int, g *caggGroup) *eval.Record {
	r := &n.res[i]
	n.agg.ResultInto(r, g.key, g.acc, n.winStart, n.winEnd)
	return r
}

// touch marks g changed since the last save.
func (n *caggNode) touch(g *caggGroup) {
	if !g.dirty {
		g.dirty = true
		n.changed = append(n.changed, g)
	}
}

func (n *caggNode) stateKey(kb string) []byte {
	return append(append(append([]byte(nil), n.prefix...), tagCaggGroup), kb...)
}

func (n *caggNode) push(e *Engine, _ int, x rec) error {
	f := eval.Frame{x.r}
	key, err := n.agg.KeyInto(f, &n.keyRec)
	if err != nil {
		return e.deadLetter(n.op.ID, ReasonEval, fmt.Errorf("key: %w", err))
	}
	for _, v := range key.Values {
		if v.Kind == eval.KindNull {
			return e.deadLetter(n.op.ID, ReasonNullKey, errNullKey)
		}
	}
	n.kbuf = eval.KeyBytes(key, n.kbuf[:0])
	pairs := n.pending != nil && x.kind == eval.UpdateAfter && n.pendingKB == string(n.kbuf)
	if n.pending != nil && !pairs {
		if err := n.flush(e, x.ts); err != nil {
			return err
		}
	}
	g := n.groups[string(n.kbuf)]
	if g == nil {
		if g, err = n.group(e, string(n.kbuf), key); err != nil {
			return err
		}
	}
	var old *eval.Record
	if pairs {
		old = n.pendingOld
		n.pending, n.pendingOld = nil, nil
	} else if g.n > 0 {
		old = n.result(0, g)
	}
	if x.kind.Retracts() {
		if g.n == 0 {
			return e.deadLetter(n.op.ID, ReasonEval, errors.New("a changelog retracts a row this aggregate does not hold"))
		}
		if err := n.agg.Retract(g.acc, f); err != nil {
			return e.deadLetter(n.op.ID, ReasonEval, err)
		}
		g.n--
	} else {
		if err := n.agg.Add(g.acc, f, x.ts); err != nil {
			return e.deadLetter(n.op.ID, ReasonEval, err)
		}
		g.n++
	}
	n.touch(g)
	if x.kind == eval.UpdateBefore {
		n.pending, n.pendingKB, n.pendingOld, n.pendingTS = g, g.kb, old, x.ts
		return nil
	}
	if err := n.change(e, g, old, x.ts); err != nil {
		return err
	}
	return n.evict(e)
}

// evict writes every changed group and drops all groups from memory when
// there are more than the cache limit; they are read back as records
// reach them.
func (n *caggNode) evict(e *Engine) error {
	if len(n.groups) <= n.limit || n.pending != nil {
		return nil
	}
	if err := n.save(e); err != nil {
		return err
	}
	clear(n.groups)
	return e.st.maybeFlush()
}

// flush emits the change of a pending update_before whose update_after
// went to another group (or has not come).
func (n *caggNode) flush(e *Engine, ts int64) error {
	g, old := n.pending, n.pendingOld
	n.pending, n.pendingOld = nil, nil
	return n.change(e, g, old, ts)
}

// change emits a group's change from its row old (nil: none).
func (n *caggNode) change(e *Engine, g *caggGroup, old *eval.Record, ts int64) error {
	x := rec{ts: ts}
	switch {
	case g.n == 0 && old == nil:
		return nil
	case g.n == 0:
		x.r, x.kind = old, eval.Delete
		return e.emit(n.out, x)
	case old == nil:
		x.r, x.kind = n.result(1, g), eval.Insert
		return e.emit(n.out, x)
	}
	if err := e.emit(n.out, rec{r: old, ts: ts, kind: eval.UpdateBefore}); err != nil {
		return err
	}
	x.r, x.kind = n.result(1, g), eval.UpdateAfter
	return e.emit(n.out, x)
}

// group returns the group of key bytes kb: in memory, else from the
// store, else a new empty one for key.
func (n *caggNode) group(e *Engine, kb string, key *eval.Record) (*caggGroup, error) {
	if g := n.groups[kb]; g != nil {
		return g, nil
	}
	v, ok, err := e.st.read(n.stateKey(kb))
	if err != nil {
		return nil, err
	}
	var g *caggGroup
	if ok {
		if g, err = n.decode(v); err != nil {
			return nil, fmt.Errorf("native: %s: continuous aggregate state: %w", n.op.ID, err)
		}
	} else {
		g = &caggGroup{key: eval.CloneRecord(key), acc: n.agg.NewAcc()}
	}
	g.kb = kb
	n.groups[kb] = g
	return g, nil
}

func (n *caggNode) decode(v []byte) (*caggGroup, error) {
	js, rest, err := readBytes(v)
	if err != nil {
		return nil, err
	}
	key, err := eval.DecodeJSON(n.agg.KeyLayout(), js)
	if err != nil {
		return nil, err
	}
	cnt, w := binary.Varint(rest)
	if w <= 0 {
		return nil, errors.New("corrupt group count")
	}
	acc, err := eval.UnmarshalAcc(n.agg, rest[w:])
	if err != nil {
		return nil, err
	}
	return &caggGroup{key: key, n: cnt, acc: acc}, nil
}

// advance and drain do nothing: a continuous aggregate emits as records
// arrive, and no window waits for time.
func (n *caggNode) advance(*Engine, int64) error { return nil }

// drain emits a pending change: the input ended between an update_before
// and its update_after.
func (n *caggNode) drain(e *Engine) error {
	if n.pending != nil {
		return n.flush(e, n.pendingTS)
	}
	return nil
}

// save writes the changed groups. A pending update_before (a checkpoint
// between it and its update_after, which a channel allows) is saved too:
// the group's key bytes and key record, the event time and the row before
// it, so that a restored run emits the update from the right row.
func (n *caggNode) save(e *Engine) error {
	pk := append(append([]byte(nil), n.prefix...), tagCaggPending)
	if n.pending != nil {
		b := appendBytes(nil, []byte(n.pendingKB))
		b = appendBytes(b, n.pending.key.AppendJSON(nil))
		b = appendTime(b, n.pendingTS)
		b = appendBytes(b, n.pendingOld.AppendJSON(nil))
		e.st.set(pk, b, nil)
	} else {
		e.st.del(pk)
	}
	for _, g := range n.changed {
		g.dirty = false
		kb := g.kb
		if n.groups[kb] != g {
			continue // replaced since (evicted and read back): not current
		}
		if g.n == 0 {
			e.st.del(n.stateKey(kb))
			delete(n.groups, kb)
			continue
		}
		b := appendBytes(nil, g.key.AppendJSON(nil))
		b = binary.AppendVarint(b, g.n)
		acc, err := g.acc.MarshalBinary()
		if err != nil {
			return fmt.Errorf("native: %s: %w", n.op.ID, err)
		}
		e.st.set(n.stateKey(kb), append(b, acc...), nil)
	}
	clear(n.changed)
	n.changed = n.changed[:0]
	return nil
}

// load forgets the groups in memory: they are read back from the store
// as records reach them. A pending update_before is read back.
func (n *caggNode) load(e *Engine) error {
	n.groups, n.changed = map[string]*caggGroup{}, nil
	n.pending, n.pendingOld = nil, nil
	v, ok, err := e.st.read(append(append([]byte(nil), n.prefix...), tagCaggPending))
	if err != nil || !ok {
		return err
	}
	corrupt := func(err error) error { return fmt.Errorf("native: %s: pending update state: %w", n.op.ID, err) }
	kb, rest, err := readBytes(v)
	if err != nil {
		return corrupt(err)
	}
	keyJS, rest, err := readBytes(rest)
	if err != nil || len(rest) < 8 {
		return corrupt(errors.New("truncated"))
	}
	ts := readTime(rest)
	oldJS, _, err := readBytes(rest[8:])
	if err != nil {
		return corrupt(err)
	}
	key, err := eval.DecodeJSON(n.agg.KeyLayout(), keyJS)
	if err != nil {
		return corrupt(err)
	}
	old, err := eval.DecodeJSON(n.agg.OutputLayout(), oldJS)
	if err != nil {
		return corrupt(err)
	}
	g, err := n.group(e, string(kb), key)
	if err != nil {
		return err
	}
	n.pending, n.pendingKB, n.pendingOld, n.pendingTS = g, string(kb), old, ts
	return nil
}
