package eval

import (
	"errors"
	"fmt"
)

// RowKind is what a record of a changelog stream (ir.Operator.Changelog)
// does to the table the stream stands for, as Flink's RowKind: an insert
// or update_after puts the row under its key, a delete removes the key,
// and an update_before, which always precedes its update_after, names the
// row being replaced so that a downstream aggregate can retract it. An
// append-only stream's records are all inserts (the zero value).
type RowKind uint8

const (
	Insert RowKind = iota
	UpdateBefore
	UpdateAfter
	Delete
)

var rowKindNames = [...]string{"insert", "update_before", "update_after", "delete"}

func (k RowKind) String() string {
	if int(k) < len(rowKindNames) {
		return rowKindNames[k]
	}
	return fmt.Sprintf("RowKind(%d)", uint8(k))
}

// Retracts reports whether the change takes a row away (delete,
// update_before) rather than adding one.
func (k RowKind) Retracts() bool { return k == Delete || k == UpdateBefore }

// Retractable reports whether an aggregate function can take a record back
// out of its accumulator, which folding a changelog needs: count, sum and
// avg can; min, max, first, last and count_distinct would need every
// value, and are refused over a changelog.
func Retractable(fn string) bool {
	switch aggFuncs[fn] {
	case aggCount, aggSum, aggAvg:
		return true
	}
	return false
}

// Retract takes one record, previously folded by Add, back out of acc:
// the inverse of Add for count, sum and avg (conditional forms included:
// the condition is evaluated again, and the record was only counted where
// it held). Like Add it changes nothing on error.
func (a *Aggregator) Retract(acc *Acc, f Frame) error {
	if len(acc.f) != len(a.fields) {
		return errors.New("aggregate: accumulator does not belong to this aggregator")
	}
	var buf [8]Value
	vals := buf[:0]
	skip := make([]bool, len(a.fields))
	for i := range a.fields {
		fl := &a.fields[i]
		switch fl.fn {
		case aggCount, aggSum, aggAvg:
		default:
			return fmt.Errorf("aggregate field %s: %s cannot retract a record (the input is a changelog)", fl.name, aggName(fl.fn))
		}
		v := Null
		if fl.where != nil {
			ok, err := evalWhere(fl.where, f)
			if err != nil {
				return fmt.Errorf("aggregate field %s: condition: %w", fl.name, err)
			}
			skip[i] = !ok
		}
		if fl.arg != nil && !skip[i] {
			var err error
			if v, err = fl.arg(f); err != nil {
				return fmt.Errorf("aggregate field %s: %w", fl.name, err)
			}
			if err := checkAggValue(fl, &acc.f[i], v); err != nil {
				return fmt.Errorf("aggregate field %s: %w", fl.name, err)
			}
		}
		vals = append(vals, v)
	}
	for i := range a.fields {
		fl, st, v := &a.fields[i], &acc.f[i], vals[i]
		if skip[i] || (fl.arg != nil && v.Kind == KindNull) {
			continue
		}
		if fl.fn != aggCount {
			bhi, blo := numDD(v)
			st.hi, st.lo = ddAdd(st.hi, st.lo, -bhi, -blo)
		}
		st.n--
		if st.n == 0 {
			st.hi, st.lo = 0, 0 // no rounding residue in an emptied sum
		}
	}
	return nil
}

// Offer adds row to a continuous top's group rows (best first, as Keep
// leaves them) and reports the change to the group's ranking: whether row
// entered it, and the rows it pushed out (ties with the limit-th row
// stay). rows is reused. A row pushed out of an insert-only group never
// comes back, so the group keeps only its ranking.
func (r *Ranker) Offer(rows []Ranked, row Ranked) (kept []Ranked, entered bool, left []Ranked) {
	before := len(rows)
	old := make(map[uint64]Ranked, before)
	for _, x := range rows {
		old[x.Seq] = x
	}
	kept = r.Keep(append(rows, row))
	for _, x := range kept {
		if x.Seq == row.Seq {
			entered = true
		}
		delete(old, x.Seq)
	}
	if len(old) > 0 {
		left = make([]Ranked, 0, len(old))
		for _, x := range old {
			left = append(left, x)
		}
		// Arrival order, so that deletes come out deterministically.
		for i := 1; i < len(left); i++ {
			for j := i; j > 0 && left[j].Seq < left[j-1].Seq; j-- {
				left[j], left[j-1] = left[j-1], left[j]
			}
		}
	}
	return kept, entered, left
}
