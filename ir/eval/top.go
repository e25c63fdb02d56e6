package eval

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
)

// Ranker is a compiled top operator: its partition key, its sort keys and
// the rule that keeps the best Limit records of a group, ties included.
// Native workers and Beam DoFns share it, so both keep the same records.
//
// Order: records compare by each order_by value in turn, descending unless
// asc(...); numbers numerically, strings by bytes; a null sorts after every
// value whichever the direction (as NULLS LAST). Records equal on every
// order_by value are tied: they share a rank, and when the tie straddles
// the limit all of them are kept. Among tied records the earlier arrival
// comes first, so output order is deterministic for a given input order.
type Ranker struct {
	key   []*Program
	order []*Program
	desc  []bool
	limit int
	// winEnd is the slot of window_end in the input, -1 when the top has
	// its own window.
	winEnd int
	cont   bool // continuous: no windows at all
	in     *Layout
}

// Ranked is one record of a group with its sort values.
type Ranked struct {
	Vals []Value
	Rec  *Record
	TS   int64
	Seq  uint64 // arrival order, for ties
}

// NewRanker compiles a top over input records.
func NewRanker(t *ir.Top, input *Layout, c Consts) (*Ranker, hcl.Diagnostics) {
	roots := []Root{{Name: "record", Layout: input}}
	r := &Ranker{limit: t.Limit, winEnd: -1, in: input}
	var diags hcl.Diagnostics
	for _, k := range t.Key {
		p, d := Compile(k, roots, c)
		diags = append(diags, d...)
		r.key = append(r.key, p)
	}
	for _, o := range t.OrderBy {
		p, d := Compile(o.Expr, roots, c)
		diags = append(diags, d...)
		r.order = append(r.order, p)
		r.desc = append(r.desc, o.Desc)
	}
	r.cont = t.Continuous
	if t.Window == nil && !t.Continuous {
		i, ok := input.Index(FieldWindowEnd)
		if !ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Top without a window",
				Detail: "The top has no window and its input has no window_end field."})
		}
		r.winEnd = i
	}
	if r.limit < 1 {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid limit", Detail: "A top's limit must be at least 1."})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return r, diags
}

// InputLayout is the layout of the records ranked (and emitted).
func (r *Ranker) InputLayout() *Layout { return r.in }

// Limit is the number of records kept per group, ties aside.
func (r *Ranker) Limit() int { return r.limit }

// OwnWindow reports whether the top assigns windows itself (else it groups
// by its input's window_end).
func (r *Ranker) OwnWindow() bool { return r.winEnd < 0 && !r.cont }

// Continuous reports whether the top ranks over all time (ir.Top.Continuous).
func (r *Ranker) Continuous() bool { return r.cont }

// InputWindowEnd is the window_end of an input record (a windowed result),
// as its canonical JSON.
func (r *Ranker) InputWindowEnd(rec *Record, dst []byte) []byte {
	return appendCanonicalJSON(dst, rec.Values[r.winEnd])
}

// AppendKey appends the canonical encoding of a record's partition key.
func (r *Ranker) AppendKey(f Frame, dst []byte) ([]byte, error) {
	dst = append(dst, '[')
	for i, p := range r.key {
		v, err := p.Eval(f)
		if err != nil {
			return dst, fmt.Errorf("top key: %w", err)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCanonicalJSON(dst, v)
	}
	return append(dst, ']'), nil
}

// SortValues evaluates a record's order_by values.
func (r *Ranker) SortValues(f Frame) ([]Value, error) {
	return r.AppendSortValues(f, make([]Value, 0, len(r.order)))
}

// AppendSortValues is SortValues appending to dst, so that a caller that
// keeps few records' values can reuse one buffer.
func (r *Ranker) AppendSortValues(f Frame, dst []Value) ([]Value, error) {
	for _, p := range r.order {
		v, err := p.Eval(f)
		if err != nil {
			return dst, fmt.Errorf("top order_by: %w", err)
		}
		if v.Kind != KindNull && v.Kind != KindNumber && v.Kind != KindString {
			return dst, fmt.Errorf("top order_by: needs a number or a string, got %s", valueKindName(v.Kind))
		}
		dst = append(dst, v)
	}
	return dst, nil
}

// Compare orders two records: negative when a ranks before b, 0 when tied.
func (r *Ranker) Compare(a, b []Value) int {
	for i := range a {
		x, y := a[i], b[i]
		switch {
		case x.Kind == KindNull && y.Kind == KindNull:
			continue
		case x.Kind == KindNull:
			return 1
		case y.Kind == KindNull:
			return -1
		}
		c := compareMinMax(x, y)
		if r.desc[i] {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// Keep sorts rows best first and drops the rows that rank below the
// limit: rows tied with the limit-th row stay.
func (r *Ranker) Keep(rows []Ranked) []Ranked {
	sort.SliceStable(rows, func(i, j int) bool {
		if c := r.Compare(rows[i].Vals, rows[j].Vals); c != 0 {
			return c < 0
		}
		return rows[i].Seq < rows[j].Seq
	})
	if len(rows) <= r.limit {
		return rows
	}
	n := r.limit
	for n < len(rows) && r.Compare(rows[n].Vals, rows[r.limit-1].Vals) == 0 {
		n++
	}
	clear(rows[n:])
	return rows[:n]
}

// CloneRecord copies a record's slots, so that a record kept across calls
// does not change when its producer reuses its buffer.
func CloneRecord(rec *Record) *Record {
	c := NewRecord(rec.Layout)
	copy(c.Values, rec.Values)
	return c
}
