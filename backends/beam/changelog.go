package beam

import (
	"errors"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// Continuous (un-windowed) aggregates and tops on Beam: changelogs, with
// the native engine's semantics (runtime/native changelog.go and top.go).
//
// Both run in the keyed DoFn (keyed.go), one key per group, processing a
// key's elements in order (elementOrder) once the watermark reaches them,
// so that on bounded input a key sees its records in native's arrival
// order. Native emits as records arrive; here a change waits for the
// watermark to reach its record, which is the price of that order.
//
//   - A continuous aggregate folds each record into its group's
//     accumulator (eval.Aggregator, retracting update_before and delete
//     records with Aggregator.Retract) and emits the group's change: an
//     insert for a new group, an update for a changed one, a delete when
//     retractions empty it. Event times are the input record's.
//   - A continuous top offers each record to its group's ranking
//     (eval.Ranker.Offer) and emits a delete for each row pushed out, then
//     an insert for the record if it entered.
//
// An update travels as one element (Kind update_after with Before set):
// native relies on an update_before being immediately followed by its
// update_after, which Beam's bundles do not promise between elements, so
// the two halves stay together through stateless segments (segmentFn) and
// into a downstream aggregate. They are split only where they leave as
// records (sinks, channels, taps), and where they belong to two groups
// of the aggregate reading them (changelogKeyFn), where native too
// handles them apart.
//
// Each change carries its key's change number (element.Ver, in keyState):
// Beam promises no order between elements, so writers of a changelog (a
// file sink, a test's outputs) and a downstream aggregate order a key's
// changes by it. Ver survives when a group empties, so that a re-inserted
// row sorts after its delete.

func init() {
	register.DoFn3x1[element, func(string, element), func(DeadLetter), error](&changelogKeyFn{})
}

// elementOrder is the order a keyed operator processes a key's elements
// in: arrival position (Seq), then change number (Ver: the changes of a
// changelog, which carry Seq 0), then position among the outputs a
// segment made of one element (Sub).
func elementOrder(a, b element) int {
	if c := cmpInt(a.Seq, b.Seq); c != 0 {
		return c
	}
	if c := cmpInt(a.Ver, b.Ver); c != 0 {
		return c
	}
	return cmpInt(int64(a.Sub), int64(b.Sub))
}

// recordOrder is elementOrder for records: writers of a changelog apply a
// key's changes in this order.
func recordOrder(a, b Record) int {
	return elementOrder(element{Seq: a.Seq, Ver: a.Ver, Sub: a.Sub}, element{Seq: b.Seq, Ver: b.Ver, Sub: b.Sub})
}

// isContinuous reports whether op is a continuous aggregate or top.
func isContinuous(op *ir.Operator) bool {
	return (op.Aggregate != nil && op.Aggregate.Continuous()) || (op.Top != nil && op.Top.Continuous)
}

// continuousAggregate keys a continuous aggregate's input by group and
// runs it in the keyed DoFn.
func (b *builder) continuousAggregate(s beam.Scope, c *compiledOp, in beam.PCollection) {
	keyed, dead := beam.ParDo2(s.Scope("key"), &changelogKeyFn{fnBase: b.base(c.op.ID)}, in)
	b.stateful(s, c, keyed, dead)
}

// changelogKeyFn keys a continuous aggregate's input by its group key
// (eval.KeyBytes, the JSON the keyed DoFn decodes back). An update whose
// two rows belong to different groups is split into its update_before
// and its update_after, one for each group.
type changelogKeyFn struct{ fnBase }

func (f *changelogKeyFn) Setup() error { return f.setup() }

func (f *changelogKeyFn) ProcessElement(el element, emit func(string, element), dead func(DeadLetter)) error {
	if el.Before == nil {
		if k, ok, err := f.key(el, el.Value, dead); ok {
			emit(k, el)
		} else if err != nil {
			return err
		}
		return nil
	}
	ub := el
	ub.Value, ub.Before, ub.Kind = el.Before, nil, uint8(eval.UpdateBefore)
	kb, okb, err := f.key(ub, ub.Value, dead)
	if err != nil {
		return err
	}
	ka, oka, err := f.key(el, el.Value, dead)
	if err != nil {
		return err
	}
	if okb && oka && kb == ka {
		emit(ka, el)
		return nil
	}
	if okb {
		emit(kb, ub)
	}
	if oka {
		el.Before = nil
		emit(ka, el)
	}
	return nil
}

// key is the group key of row, or a dead letter (eval, null_key) as on
// native.
func (f *changelogKeyFn) key(el element, row []byte, dead func(DeadLetter)) (string, bool, error) {
	c := f.c
	r, err := eval.DecodeJSON(c.in[0], row)
	if err != nil {
		return "", false, fmt.Errorf("beam: %s: %w", c.op.ID, err)
	}
	key, err := c.agg.Key(eval.Frame{r})
	if err != nil {
		dead(el.deadLetter(c.op.ID, ReasonEval, fmt.Errorf("key: %w", err)))
		return "", false, nil
	}
	for _, v := range key.Values {
		if v.Kind == eval.KindNull {
			dead(el.deadLetter(c.op.ID, ReasonNullKey, errNullKey))
			return "", false, nil
		}
	}
	return string(eval.KeyBytes(key, nil)), true, nil
}

// rankedRow is a row of a continuous top's ranking and its arrival
// number in the key (eval.Ranked.Seq: ties keep arrival order).
type rankedRow struct {
	El element
	N  int64
}

// change processes one element of a continuous aggregate or top.
func (k *keyed) change(el element) error {
	if k.c.op.Top != nil {
		return k.offer(el)
	}
	return k.fold(el)
}

// emitChange emits a change of the key: its event time is the record's
// that caused it, its Ver the key's next change number.
func (k *keyed) emitChange(cause element, kind eval.RowKind, row, before []byte) {
	k.ks.Ver++
	out := cause
	out.Value, out.Before, out.Kind = row, before, uint8(kind)
	out.Seq, out.Ver, out.Sub, out.Side = 0, k.ks.Ver, 0, 0
	out.Target, out.Topic, out.Key = "", "", nil
	out.JoinKey, out.TableKey, out.Retract = "", nil, false
	k.out(out)
}

// fold is a continuous aggregate's step: fold the element into the
// group (retracting what it takes back), then emit the group's change
// from its row before.
func (k *keyed) fold(el element) error {
	agg, id := k.c.agg, k.c.op.ID
	acc := agg.NewAcc()
	if len(k.ks.CaggAcc) > 0 {
		var err error
		if acc, err = eval.UnmarshalAcc(agg, k.ks.CaggAcc); err != nil {
			return fmt.Errorf("beam: %s: %w", id, err)
		}
	}
	key, err := eval.DecodeJSON(agg.KeyLayout(), []byte(k.key))
	if err != nil {
		return fmt.Errorf("beam: %s: key: %w", id, err)
	}
	var old *eval.Record
	if k.ks.CaggN > 0 {
		old = agg.Result(key, acc, eval.Interval{})
	}
	n, changed := k.ks.CaggN, false
	retract := func(row []byte) error {
		r, err := decode(k.c.in[0], element{Value: row})
		if err != nil {
			return fmt.Errorf("beam: %s: %w", id, err)
		}
		switch {
		case n == 0:
			k.dead(el.deadLetter(id, ReasonEval, errors.New("a changelog retracts a row this aggregate does not hold")))
		default:
			if err := agg.Retract(acc, eval.Frame{r}); err != nil {
				k.dead(el.deadLetter(id, ReasonEval, err))
				return nil
			}
			n, changed = n-1, true
		}
		return nil
	}
	switch {
	case el.Before != nil:
		// An update within the group: take the old row out, then fold
		// the new one in below; one change results, as on native.
		if err := retract(el.Before); err != nil {
			return err
		}
	case eval.RowKind(el.Kind).Retracts():
		if err := retract(el.Value); err != nil {
			return err
		}
	}
	if !eval.RowKind(el.Kind).Retracts() {
		r, err := decode(k.c.in[0], el)
		if err != nil {
			return fmt.Errorf("beam: %s: %w", id, err)
		}
		if err := agg.Add(acc, eval.Frame{r}, el.TsMs); err != nil {
			k.dead(el.deadLetter(id, ReasonEval, err))
		} else {
			n, changed = n+1, true
		}
	}
	if !changed {
		return nil // a dead letter: the group is as it was, as on native
	}
	k.ks.CaggN = n
	var oldJS []byte
	if old != nil {
		oldJS = old.AppendJSON(nil)
	}
	if n == 0 {
		k.ks.CaggAcc = nil
		k.emitChange(el, eval.Delete, oldJS, nil)
		return nil
	}
	b, err := acc.MarshalBinary()
	if err != nil {
		return fmt.Errorf("beam: %s: %w", id, err)
	}
	k.ks.CaggAcc = b
	row := agg.Result(key, acc, eval.Interval{}).AppendJSON(nil)
	if old == nil {
		k.emitChange(el, eval.Insert, row, nil)
	} else {
		k.emitChange(el, eval.UpdateAfter, row, oldJS)
	}
	return nil
}

// offer is a continuous top's step: rank the record in its key's group
// and emit the change to the ranking (eval.Ranker.Offer): a delete for
// each row it pushed out, in arrival order, then an insert for the record
// if it entered.
func (k *keyed) offer(el element) error {
	rk, id := k.c.ranker, k.c.op.ID
	r, err := decode(k.c.in[0], el)
	if err != nil {
		return fmt.Errorf("beam: %s: %w", id, err)
	}
	vals, err := rk.SortValues(eval.Frame{r})
	if err != nil {
		k.dead(el.deadLetter(id, ReasonEval, err))
		return nil
	}
	k.ks.Arrived++
	el.Side = 0
	byN := make(map[uint64]rankedRow, len(k.ks.Ranking)+1)
	rows := make([]eval.Ranked, 0, len(k.ks.Ranking)+1)
	for _, x := range k.ks.Ranking {
		xr, err := decode(k.c.in[0], x.El)
		if err != nil {
			return fmt.Errorf("beam: %s: %w", id, err)
		}
		xv, err := rk.SortValues(eval.Frame{xr})
		if err != nil {
			return fmt.Errorf("beam: %s: %w", id, err)
		}
		rows = append(rows, eval.Ranked{Vals: xv, Rec: xr, TS: x.El.TsMs, Seq: uint64(x.N)})
		byN[uint64(x.N)] = x
	}
	me := rankedRow{El: el, N: k.ks.Arrived}
	byN[uint64(me.N)] = me
	kept, entered, left := rk.Offer(rows, eval.Ranked{Vals: vals, Rec: r, TS: el.TsMs, Seq: uint64(me.N)})
	k.ks.Ranking = k.ks.Ranking[:0]
	for _, x := range kept {
		k.ks.Ranking = append(k.ks.Ranking, byN[x.Seq])
	}
	for _, l := range left {
		k.emitChange(el, eval.Delete, byN[l.Seq].El.Value, nil)
	}
	if entered {
		k.emitChange(el, eval.Insert, el.Value, nil)
	}
	return nil
}

// splitUpdate returns an update element's two halves as records, its
// update_before first; any other element as its one record.
func splitUpdate(el element) []Record {
	r := el.record()
	if el.Before == nil {
		return []Record{r}
	}
	ub := r
	ub.Value, ub.Kind = el.Before, uint8(eval.UpdateBefore)
	r.Sub = ub.Sub + 1
	return []Record{ub, r}
}

// pairUpdates merges each update_before a segment emitted for an element
// stream (no topic: a keyed operator's input or a tap) with the
// update_after that follows it for the same stream (the segment's other
// consumers, a sink, may emit in between) into one update element, and
// numbers the outputs (Sub) in emission order, two apart so that the
// halves of a split update sort between them.
func pairUpdates(outs []element) []element {
	merged := make([]element, 0, len(outs))
	before := map[string]int{} // stream → index in merged of its unpaired update_before
	for _, o := range outs {
		if o.Topic == "" {
			i, ok := before[o.Target]
			switch {
			case ok && o.Kind == uint8(eval.UpdateAfter):
				o.Before = merged[i].Value
				merged[i] = o
				delete(before, o.Target)
				continue
			case o.Kind == uint8(eval.UpdateBefore):
				before[o.Target] = len(merged)
			default:
				delete(before, o.Target)
			}
		}
		merged = append(merged, o)
	}
	for i := range merged {
		merged[i].Sub = int32(2 * i)
	}
	return merged
}
