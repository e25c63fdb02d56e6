package beam

import (
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// A stream–table join keeps, under each join key, the latest table row
// with that join key. When the join is on a field that is not the table's
// key, an update can move a row to another join key, and a tombstone can
// delete it: the row must then leave its old join key, or a stream record
// would still match a row the table no longer has (issue 16.2). Beam
// state lives per key, so the old join key's state cannot be reached from
// the update's. The table index is a keyed step before the join, keyed by
// table key and processing each key's rows in arrival order like every
// keyed step (keyedFn with Index set): it remembers each row's join key,
// and on an update to another join key or a tombstone sends the join a
// retraction for the old one, which removes the row there unless another
// table key has put its row under that join key since. Native keeps the
// same index in its state store (runtime/native, joinNode.rowKey).

func init() {
	register.DoFn3x1[element, func(string, element), func(DeadLetter), error](&tableKeyFn{})
	register.Function1x2(byJoinKey)
}

// tableIndex builds the right input of stream–table join c through its
// table index: table rows keyed by join key (with their retractions),
// ready to flatten with the keyed left input.
func (b *builder) tableIndex(s beam.Scope, c *compiledOp, rows beam.PCollection) beam.PCollection {
	byTableKey, dead := beam.ParDo2(s.Scope("key"), &tableKeyFn{fnBase: b.base(c.op.ID)}, rows)
	b.dead = append(b.dead, dead)
	index := newKeyedFn(b.base(c.op.ID))
	index.Index = true
	indexed, dead := beam.ParDo2(s.Scope("index"), index, byTableKey)
	b.dead = append(b.dead, dead)
	return beam.ParDo(s.Scope("by join key"), byJoinKey, indexed)
}

// tableKeyFn keys table rows by table key, with their join key in
// JoinKey; tombstones arrive with their table key already set.
type tableKeyFn struct{ fnBase }

func (f *tableKeyFn) Setup() error { return f.setup() }

func (f *tableKeyFn) ProcessElement(el element, emit func(string, element), dead func(DeadLetter)) error {
	el.Side = 1
	if el.Retract {
		emit(string(el.TableKey), el)
		return nil
	}
	c := f.c
	r, err := decode(c.in[1], el)
	if err != nil {
		return fmt.Errorf("beam: %s: %w", c.op.ID, err)
	}
	key, ok := c.joinKey(el, 1, r, dead)
	if !ok {
		return nil
	}
	tk, err := c.tableKey.Eval(eval.Frame{r})
	if err != nil {
		dead(el.deadLetter(c.op.ID, ReasonEval, fmt.Errorf("table key: %w", err)))
		return nil
	}
	// The table key as the Kafka key carries it, so that a tombstone
	// (which has only the Kafka key) finds the row.
	el.TableKey, el.JoinKey = stateless.AppendKey(nil, tk), string(key)
	emit(string(el.TableKey), el)
	return nil
}

// indexRow is the table index's step for one row or tombstone of a
// table key, in arrival order: it retracts the row from its previous join
// key when the row moves or is deleted, and passes the row on.
func (k *keyed) indexRow(el element) {
	if k.ks.HasJoinKey && (el.Retract || k.ks.JoinKey != el.JoinKey) {
		r := el
		r.Value, r.Retract, r.JoinKey = nil, true, k.ks.JoinKey
		k.out(r)
	}
	if el.Retract {
		k.ks.HasJoinKey, k.ks.JoinKey = false, ""
		return
	}
	k.ks.HasJoinKey, k.ks.JoinKey = true, el.JoinKey
	k.out(el)
}

// byJoinKey keys the table index's output by join key for the join.
func byJoinKey(el element) (string, element) { return el.JoinKey, el }
