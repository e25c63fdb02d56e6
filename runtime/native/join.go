package native

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// joinNode joins Inputs[0] (left) with Inputs[1] (right).
//
// Stream–table (the right input is a table source): the latest right record
// per key is kept in the store; each left record looks it up. Stream–stream:
// both sides are buffered by key; a pair matches when its event times are
// within WithinMs and the on condition holds, and is emitted when the second
// of the two arrives. Buffered records expire when the watermark passes
// their time + within; a left join then emits each never-matched left record
// with right bound to a record of nulls.
//
// Stream–stream buffers are a write-back cache like an aggregate's: keys
// live in memory with a timer per buffered record, and are written to the
// store at checkpoints and when more than the cache limit of keys are in
// memory (then all are evicted), with an expiry index entry per record, so
// that expiry finds records not in memory with a range scan. A restore
// reads nothing back; a key is loaded when a record or an expiry touches
// it.
type joinNode struct {
	op        *ir.Operator
	table     bool
	left      bool // left join
	within    int64
	leftKeys  []*eval.Program
	rightKeys []*eval.Program
	on        *eval.Program
	pk        *eval.Program // the table's key (its source's key), for updates and tombstones
	fields    *eval.ObjectProgram
	lLayout   *eval.Layout
	rLayout   *eval.Layout
	nullL     *eval.Record
	nullR     *eval.Record
	prefix    []byte
	kbuf      []byte
	out       *route
	res       eval.Record // joined records are built here: consumers copy what they keep

	// stream–stream state: keys in memory, with timers; stored: the
	// store may hold keys not in memory; idx: the expiry index of the
	// records written to the store.
	keys   map[string]*ssKey
	timers timerHeap[string]
	limit  int
	stored bool
	idx    *timeIndex
}

// ssEntry is a buffered record. It holds the record itself, not a pointer:
// one allocation (its values) per buffered record instead of two.
type ssEntry struct {
	r       eval.Record
	ts      int64
	matched bool
	indexed bool // has an expiry index entry in the store
}

type ssKey struct {
	k           string // the key bytes, as in keys (timers reuse the string)
	left, right []ssEntry
	dirty       bool
	saved       bool // has an entry in the store
}

// Join state key tags.
const (
	tagJoinTable  = 'r' // stream–table: join key bytes -> table key, right record
	tagJoinRow    = 'q' // stream–table: table key -> join key bytes
	tagJoinStream = 's' // stream–stream: key bytes -> buffered records
	tagJoinIndex  = 'y' // stream–stream: expiry time, key bytes -> nothing
)

func newJoin(e *Engine, op *ir.Operator, l, r *eval.Layout, c eval.Consts) (*joinNode, error) {
	j := op.Join
	if j == nil {
		return nil, fmt.Errorf("native: %s has no join settings", op.ID)
	}
	if len(j.LeftKeys) != len(j.RightKeys) {
		return nil, fmt.Errorf("native: %s: %d left keys but %d right keys", op.ID, len(j.LeftKeys), len(j.RightKeys))
	}
	roots := []eval.Root{{Name: "left", Layout: l}, {Name: "right", Layout: r}}
	n := &joinNode{
		op:      op,
		left:    j.Type == ir.JoinLeft,
		within:  j.WithinMs,
		lLayout: l,
		rLayout: r,
		nullL:   eval.NewRecord(l),
		nullR:   eval.NewRecord(r),
		prefix:  opPrefix(op.StateAddress()),
		keys:    map[string]*ssKey{},
		out:     e.route(op.ID),
		limit:   e.cfg.cacheLimit,
	}
	if n.limit <= 0 {
		n.limit = defaultCacheLimit
	}
	n.idx = newTimeIndex(n.prefix, tagJoinIndex)
	if right := e.plan.Pipeline.Operator(op.Inputs[1]); right != nil && right.Source != nil && right.Source.Table {
		n.table = true
		if right.Source.Key != nil {
			p, diags := eval.Compile(*right.Source.Key, []eval.Root{{Name: "record", Layout: r}}, c)
			if err := diagErr(op, "table key", diags); err != nil {
				return nil, err
			}
			n.pk = p
		}
	}
	for i := range j.LeftKeys {
		p, diags := eval.Compile(j.LeftKeys[i], roots, c)
		if err := diagErr(op, "left key", diags); err != nil {
			return nil, err
		}
		n.leftKeys = append(n.leftKeys, p)
		p, diags = eval.Compile(j.RightKeys[i], roots, c)
		if err := diagErr(op, "right key", diags); err != nil {
			return nil, err
		}
		n.rightKeys = append(n.rightKeys, p)
	}
	if !(&j.On).IsZero() {
		p, diags := eval.Compile(j.On, roots, c)
		if err := diagErr(op, "on", diags); err != nil {
			return nil, err
		}
		n.on = p
	}
	o, diags := eval.CompileObject(j.Fields, roots, c)
	if err := diagErr(op, "fields", diags); err != nil {
		return nil, err
	}
	n.fields = o
	return n, nil
}

func (n *joinNode) operator() *ir.Operator { return n.op }
func (n *joinNode) outLayout() *eval.Layout {
	return n.fields.Layout()
}

// keyOf encodes the equality key of a record on port (0 left, 1 right).
func (n *joinNode) keyOf(port int, r *eval.Record) ([]byte, error) {
	progs, f := n.leftKeys, eval.Frame{r, n.nullR}
	if port == 1 {
		progs, f = n.rightKeys, eval.Frame{n.nullL, r}
	}
	b := n.kbuf[:0]
	for _, p := range progs {
		v, err := p.Eval(f)
		if err != nil {
			return nil, err
		}
		if v.Kind == eval.KindNull {
			n.kbuf = b
			return nil, errNullKey
		}
		b = appendKey(b, v)
	}
	n.kbuf = b
	return b, nil
}

// emitPair evaluates on and, when it holds, emits the joined record.
func (n *joinNode) emitPair(e *Engine, l, r *eval.Record, ts int64) (bool, error) {
	f := eval.Frame{l, r}
	if n.on != nil {
		ok, err := n.on.EvalBool(f)
		if err != nil {
			return false, e.deadLetter(n.op.ID, ReasonEval, fmt.Errorf("on: %w", err))
		}
		if !ok {
			return false, nil
		}
	}
	return true, n.emitFields(e, f, ts)
}

func (n *joinNode) emitFields(e *Engine, f eval.Frame, ts int64) error {
	if err := n.fields.EvalInto(f, &n.res); err != nil {
		return e.deadLetter(n.op.ID, ReasonEval, err)
	}
	return e.emit(n.out, rec{r: &n.res, ts: ts})
}

func cloneRecord(r *eval.Record) *eval.Record {
	return &eval.Record{Layout: r.Layout, Values: slices.Clone(r.Values)}
}

// copyRecord is cloneRecord by value.
func copyRecord(r *eval.Record) eval.Record {
	return eval.Record{Layout: r.Layout, Values: slices.Clone(r.Values)}
}

func (n *joinNode) push(e *Engine, port int, x rec) error {
	kb, err := n.keyOf(port, x.r)
	if errors.Is(err, errNullKey) {
		return e.deadLetter(n.op.ID, ReasonNullKey, err)
	}
	if err != nil {
		return e.deadLetter(n.op.ID, ReasonEval, fmt.Errorf("key: %w", err))
	}
	if n.table {
		return n.pushTable(e, port, kb, x)
	}
	return n.pushStream(e, port, kb, x)
}

func (n *joinNode) tableKey(kb []byte) []byte {
	return append(append(append([]byte(nil), n.prefix...), tagJoinTable), kb...)
}

// tableRow is a table row kept under its join key: the row's table key
// (its source's key, empty when the source has none) and the record.
type tableRow struct {
	pk []byte
	r  *eval.Record
}

// rowKey is the state key of a table row's current join key, by its
// table key: the secondary index that lets an update or a tombstone
// remove the row from under its old join key.
func (n *joinNode) rowKey(pk []byte) []byte {
	return append(append(append([]byte(nil), n.prefix...), tagJoinRow), pk...)
}

// readRow returns the row stored under state key sk, or nil.
func (n *joinNode) readRow(e *Engine, sk []byte) (*tableRow, error) {
	en, err := e.st.get(sk)
	if err != nil || en == nil {
		return nil, err
	}
	if row, _ := en.obj.(*tableRow); row != nil {
		return row, nil
	}
	pk, rest, err := readBytes(en.val)
	if err == nil {
		var r *eval.Record
		if r, err = eval.DecodeJSON(n.rLayout, rest); err == nil {
			row := &tableRow{pk: pk, r: r}
			en.obj = row
			return row, nil
		}
	}
	return nil, fmt.Errorf("native: %s: corrupt table state: %w", n.op.ID, err)
}

// unindex removes the row of table key pk from under its current join
// key, unless another row has taken that join key since.
func (n *joinNode) unindex(e *Engine, pk []byte, except []byte) error {
	en, err := e.st.get(n.rowKey(pk))
	if err != nil || en == nil {
		return err
	}
	old := en.val
	if except != nil && string(old) == string(except) {
		return nil
	}
	sk := n.tableKey(old)
	row, err := n.readRow(e, sk)
	if err != nil {
		return err
	}
	if row != nil && string(row.pk) == string(pk) {
		e.st.del(sk)
	}
	return nil
}

// tombstone deletes the table row whose table key is pk (a Kafka record
// with a key and no value on the table's topic).
func (n *joinNode) tombstone(e *Engine, pk []byte) error {
	if err := n.unindex(e, pk, nil); err != nil {
		return err
	}
	e.st.del(n.rowKey(pk))
	return nil
}

func (n *joinNode) pushTable(e *Engine, port int, kb []byte, x rec) error {
	sk := n.tableKey(kb)
	if port == 1 {
		r := cloneRecord(x.r)
		var pk []byte
		if n.pk != nil {
			v, err := n.pk.Eval(eval.Frame{r})
			if err != nil {
				return e.deadLetter(n.op.ID, ReasonEval, fmt.Errorf("table key: %w", err))
			}
			pk = stateless.AppendKey(nil, v)
			// The row leaves its old join key before it takes the new one.
			if err := n.unindex(e, pk, kb); err != nil {
				return err
			}
			e.st.set(n.rowKey(pk), append([]byte(nil), kb...), nil)
		}
		e.st.set(sk, append(appendBytes(nil, pk), r.AppendJSON(nil)...), &tableRow{pk: pk, r: r})
		return nil
	}
	row, err := n.readRow(e, sk)
	if err != nil {
		return err
	}
	if row != nil {
		ok, err := n.emitPair(e, x.r, row.r, x.ts)
		if ok || err != nil {
			return err
		}
	}
	if n.left {
		return n.emitFields(e, eval.Frame{x.r, n.nullR}, x.ts)
	}
	return nil
}

func (n *joinNode) pushStream(e *Engine, port int, kb []byte, x rec) error {
	ks := n.keys[string(kb)]
	if ks == nil {
		k := string(kb)
		if len(n.keys) >= n.limit {
			if err := n.evict(e); err != nil {
				return fmt.Errorf("native: %s: %w", n.op.ID, err)
			}
		}
		if n.stored {
			var err error
			if ks, err = n.read(e, k); err != nil {
				return fmt.Errorf("native: %s: %w", n.op.ID, err)
			}
		}
		if ks == nil {
			ks = &ssKey{}
		}
		ks.k = k
		n.keys[k] = ks
	}
	ks.dirty = true
	me := ssEntry{r: copyRecord(x.r), ts: x.ts}
	if port == 0 {
		for i := range ks.right {
			o := &ks.right[i]
			if abs(x.ts-o.ts) > n.within {
				continue
			}
			ok, err := n.emitPair(e, &me.r, &o.r, max(x.ts, o.ts))
			if err != nil {
				return err
			}
			me.matched = me.matched || ok
		}
		ks.left = append(ks.left, me)
	} else {
		for i := range ks.left {
			o := &ks.left[i]
			if abs(x.ts-o.ts) > n.within {
				continue
			}
			ok, err := n.emitPair(e, &o.r, &me.r, max(x.ts, o.ts))
			if err != nil {
				return err
			}
			o.matched = o.matched || ok
		}
		ks.right = append(ks.right, me)
	}
	n.timers.push(satAdd(x.ts, n.within), ks.k)
	return nil
}

func (n *joinNode) advance(e *Engine, wm int64) error {
	if n.table {
		return nil
	}
	return n.expire(e, wm)
}

// expire drops buffered records with time + within < wm, emitting
// unmatched left records of a left join. Timers in memory and the store's
// expiry index are merged by time.
func (n *joinNode) expire(e *Engine, wm int64) error {
	if wm == math.MinInt64 {
		return nil
	}
	for {
		heapDue := len(n.timers) > 0 && n.timers.peek() < wm
		idx, err := n.idx.peek(e.st, wm-1)
		if err != nil {
			return fmt.Errorf("native: %s: %w", n.op.ID, err)
		}
		switch {
		case idx != nil && (!heapDue || idx.at <= n.timers.peek()):
			n.idx.pop()
			key := idx.kb
			ks := n.keys[key]
			if ks == nil {
				if ks, err = n.read(e, key); err != nil {
					return fmt.Errorf("native: %s: %w", n.op.ID, err)
				}
				if ks == nil {
					continue // a stale entry: the key has gone
				}
				n.keys[key] = ks
			}
			if err := n.expireKey(e, key, ks, wm); err != nil {
				return err
			}
			if err := e.st.maybeFlush(); err != nil {
				return err
			}
		case heapDue:
			key := n.timers.pop().v
			if ks := n.keys[key]; ks != nil {
				if err := n.expireKey(e, key, ks, wm); err != nil {
					return err
				}
			}
		default:
			return nil
		}
	}
}

// expireKey drops key's records with time + within < wm; a key left with
// none is deleted from memory and the store.
func (n *joinNode) expireKey(e *Engine, key string, ks *ssKey, wm int64) error {
	keepL := ks.left[:0]
	var gone []ssEntry
	for _, en := range ks.left {
		if satAdd(en.ts, n.within) < wm {
			gone = append(gone, en)
			if en.indexed {
				e.st.del(n.idx.key(satAdd(en.ts, n.within), key))
			}
		} else {
			keepL = append(keepL, en)
		}
	}
	clear(ks.left[len(keepL):])
	ks.left = keepL
	keepR := ks.right[:0]
	for _, en := range ks.right {
		if satAdd(en.ts, n.within) >= wm {
			keepR = append(keepR, en)
		} else if en.indexed {
			e.st.del(n.idx.key(satAdd(en.ts, n.within), key))
		}
	}
	clear(ks.right[len(keepR):])
	ks.right = keepR
	ks.dirty = true
	if len(ks.left) == 0 && len(ks.right) == 0 {
		delete(n.keys, key)
		if ks.saved {
			e.st.del(n.streamKey([]byte(key)))
		}
	}
	if n.left {
		for _, en := range gone {
			if !en.matched {
				if err := n.emitFields(e, eval.Frame{&en.r, n.nullR}, en.ts); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (n *joinNode) drain(e *Engine) error {
	if n.table {
		return nil
	}
	return n.expire(e, math.MaxInt64)
}

func (n *joinNode) streamKey(kb []byte) []byte {
	return append(append(append([]byte(nil), n.prefix...), tagJoinStream), kb...)
}

// save writes the buffered records of every changed key, and an expiry
// index entry for each record not indexed yet.
func (n *joinNode) save(e *Engine) error {
	if n.table {
		return nil
	}
	for k, ks := range n.keys {
		if !ks.dirty {
			continue
		}
		var b []byte
		for _, side := range [][]ssEntry{ks.left, ks.right} {
			b = binary.AppendUvarint(b, uint64(len(side)))
			for i := range side {
				en := &side[i]
				b = appendTime(b, en.ts)
				if en.matched {
					b = append(b, 1)
				} else {
					b = append(b, 0)
				}
				b = appendBytes(b, en.r.AppendJSON(nil))
				if !en.indexed {
					at := satAdd(en.ts, n.within)
					e.st.set(n.idx.key(at, k), nil, nil)
					n.idx.wrote(at)
					en.indexed = true
				}
			}
		}
		e.st.set(n.streamKey([]byte(k)), b, nil)
		ks.dirty, ks.saved = false, true
		n.stored = true
	}
	return nil
}

// evict writes every changed key and drops all keys from memory; their
// records expire from the store's index.
func (n *joinNode) evict(e *Engine) error {
	if err := n.save(e); err != nil {
		return err
	}
	clear(n.keys)
	clear(n.timers)
	n.timers = n.timers[:0]
	// Index entries must be in Pebble for scans, which do not read the cache.
	return e.st.flush(true)
}

// read decodes key's buffered records from the store; nil when there are
// none. Its records are indexed, so they need no timers in memory.
func (n *joinNode) read(e *Engine, key string) (*ssKey, error) {
	v, ok, err := e.st.read(n.streamKey([]byte(key)))
	if err != nil || !ok {
		return nil, err
	}
	ks := &ssKey{k: key, saved: true}
	for side, l := range []*eval.Layout{n.lLayout, n.rLayout} {
		cnt, w := binary.Uvarint(v)
		if w <= 0 {
			return nil, fmt.Errorf("corrupt join state")
		}
		v = v[w:]
		for range cnt {
			if len(v) < 9 {
				return nil, fmt.Errorf("corrupt join state")
			}
			en := ssEntry{ts: readTime(v), matched: v[8] == 1, indexed: true}
			js, rest, err := readBytes(v[9:])
			if err != nil {
				return nil, err
			}
			v = rest
			r, err := eval.DecodeJSON(l, js)
			if err != nil {
				return nil, fmt.Errorf("corrupt join state: %w", err)
			}
			en.r = *r
			if side == 0 {
				ks.left = append(ks.left, en)
			} else {
				ks.right = append(ks.right, en)
			}
		}
	}
	return ks, nil
}

// load resets the node to the store's state lazily: only the position of
// the expiry index is read.
func (n *joinNode) load(e *Engine) error {
	n.keys = map[string]*ssKey{}
	clear(n.timers)
	n.timers = n.timers[:0]
	n.stored = false
	if n.table {
		return nil
	}
	if err := n.idx.reset(e.st); err != nil {
		return err
	}
	lo := append(append([]byte(nil), n.prefix...), tagJoinStream)
	return e.st.iterate(lo, prefixEnd(lo), func([]byte, []byte) bool {
		n.stored = true
		return false
	})
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// satAdd adds without overflowing past math.MaxInt64.
func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
