package eval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// This file holds the aggregate functions: one implementation whose
// semantics native workers, Beam combiners and tests share.
//
//   - count() counts records; count(x) counts records where x is not null.
//   - Every other function ignores null inputs.
//   - sum(x) and avg(x) take numbers; min(x) and max(x) take numbers or
//     strings (strings ordered by bytes, which for UTF-8 is code point
//     order). Other kinds are evaluation errors (the record goes to the
//     dead-letter topic and the accumulator is left unchanged).
//   - sum, avg, min, max, first and last of no (non-null) values are null.
//   - count_distinct(x) counts distinct non-null values, compared by their
//     canonical JSON (so 1 and 1.0 are one value, as in cty).
//   - first(x) and last(x) take the value with the smallest and greatest
//     event time; ties go to the earlier record for first and the later one
//     for last, by arrival order.
//   - A field with a condition (sum_if(x, cond), ir.AggField.Where) sees only
//     the records where cond is true: as SQL's FILTER (WHERE cond), a false
//     or null condition skips the record for that field (its argument is
//     not evaluated) and every other field still sees it; a condition that
//     fails to evaluate, or is not a bool, fails the record.
//
// Sums are kept as a double-double (an unevaluated sum of two float64s with
// error-free additions), so the float64 result is the correctly rounded sum
// of the inputs whatever order Add and Merge see them in, unless partial sums
// cancel by more than 2⁻¹⁰⁶; this keeps Merge associative in practice, which
// Beam's combiner lifting and session merging rely on.

type aggFunc uint8

const (
	aggCount aggFunc = iota + 1
	aggSum
	aggMin
	aggMax
	aggAvg
	aggCountDistinct
	aggFirst
	aggLast
)

var aggFuncs = map[string]aggFunc{
	ir.AggCount:         aggCount,
	ir.AggSum:           aggSum,
	ir.AggMin:           aggMin,
	ir.AggMax:           aggMax,
	ir.AggAvg:           aggAvg,
	ir.AggCountDistinct: aggCountDistinct,
	ir.AggFirst:         aggFirst,
	ir.AggLast:          aggLast,
}

// Window output fields, present in every aggregate's output.
const (
	FieldWindowStart = "window_start"
	FieldWindowEnd   = "window_end"
)

// aggOutputType is the type of an aggregate field's result given its
// argument's type.
func aggOutputType(fn aggFunc, arg cty.Type) cty.Type {
	switch fn {
	case aggMin, aggMax, aggFirst, aggLast:
		if arg == cty.NilType {
			return cty.DynamicPseudoType
		}
		return arg
	}
	return cty.Number
}

// AggregateSchema is the type of an aggregate's output records: the key
// fields with keyTypes, each field of fields with its function's result type
// (count, count_distinct, sum and avg: number; min, max, first and last: the
// type of the argument, argTypes[field.Name], cty.DynamicPseudoType when
// absent), and window_start and window_end as strings. lang calls it to type
// an aggregate block; NewAggregator builds the same type. Name clashes are
// not checked here (NewAggregator reports them); a clash keeps the last.
func AggregateSchema(keyTypes map[string]cty.Type, fields []ir.AggField, argTypes map[string]cty.Type) cty.Type {
	attrs := make(map[string]cty.Type, len(keyTypes)+len(fields)+2)
	for n, t := range keyTypes {
		attrs[n] = t
	}
	for _, f := range fields {
		attrs[f.Name] = aggOutputType(aggFuncs[f.Func], argTypes[f.Name])
	}
	attrs[FieldWindowStart] = cty.String
	attrs[FieldWindowEnd] = cty.String
	return cty.Object(attrs)
}

// Aggregator computes one aggregate operator's fields. It is immutable and
// safe for concurrent use; the Accs it creates are not.
type Aggregator struct {
	window    ir.Window
	key       func(Frame) (*Record, error)
	keyProg   *ObjectProgram // nil when there are no key fields
	keyLayout *Layout
	fields    []aggField
	out       *Layout
	keySlots  []int // output slot of each key layout slot
	winStart  int
	winEnd    int
}

type aggField struct {
	name   string
	fn     aggFunc
	arg    func(Frame) (Value, error) // nil for count()
	typ    cty.Type                   // the argument's type
	layout *Layout                    // the argument's layout when an object
	slot   int                        // output slot
	// same is 1 + the index of an earlier field with the same argument
	// expression (sum(record.n) and max(record.n)), whose value Add reuses
	// instead of evaluating it again; 0 when there is none.
	same int
	// where is the field's condition, nil when it sees every record.
	where *Program
}

// NewAggregator compiles an aggregate's key (with CompileObject) and field
// arguments (with Compile) over input records bound to the root "record".
// Diagnostics point at the spec: unknown functions, missing arguments,
// arguments of the wrong static type, and output name clashes.
func NewAggregator(a *ir.Aggregate, input *Layout, c Consts) (*Aggregator, hcl.Diagnostics) {
	roots := []Root{{Name: "record", Layout: input}}
	var diags hcl.Diagnostics
	var key func(Frame) (*Record, error)
	var keyLayout *Layout
	var keyProg *ObjectProgram
	if len(a.Key) == 0 {
		keyLayout = NewLayout(cty.EmptyObject)
		empty := NewRecord(keyLayout)
		key = func(Frame) (*Record, error) { return empty, nil }
	} else {
		op, d := CompileObject(a.Key, roots, c)
		diags = append(diags, d...)
		switch {
		case d.HasErrors():
		case op == nil || op.Layout() == nil:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Aggregate key not compiled",
				Detail:   "The compiler returned no program for the aggregate key.",
				Subject:  a.Key[0].Expr.Range.Ptr(),
			})
		default:
			key, keyLayout, keyProg = op.Eval, op.Layout(), op
		}
	}
	args := make([]func(Frame) (Value, error), len(a.Fields))
	types := make([]cty.Type, len(a.Fields))
	wheres := make([]*Program, len(a.Fields))
	for i, f := range a.Fields {
		if !f.Where.IsZero() {
			p, d := Compile(*f.Where, roots, c)
			diags = append(diags, d...)
			if !d.HasErrors() && p != nil {
				if t := p.Type(); t != cty.Bool && t != cty.DynamicPseudoType {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Condition is not a bool",
						Detail:   fmt.Sprintf("The condition of %s must be a bool expression; this one is %s.", f.Name, t.FriendlyName()),
						Subject:  f.Where.Range.Ptr(),
					})
				}
				wheres[i] = p
			}
		}
		types[i] = cty.DynamicPseudoType
		if f.Arg.IsZero() {
			continue
		}
		p, d := Compile(*f.Arg, roots, c)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if p == nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Aggregate argument not compiled",
				Detail:   fmt.Sprintf("The compiler returned no program for %s.", f.Name),
				Subject:  f.Arg.Range.Ptr(),
			})
			continue
		}
		args[i], types[i] = p.Eval, p.Type()
	}
	if diags.HasErrors() {
		return nil, diags
	}
	agg, d := newAggregator(a, key, keyLayout, args, types)
	if agg != nil {
		agg.keyProg = keyProg
	}
	if agg != nil && len(agg.fields) == len(a.Fields) {
		for i := range a.Fields {
			agg.fields[i].where = wheres[i]
		}
		for i, f := range a.Fields {
			for j := range i {
				if !f.Arg.IsZero() && !a.Fields[j].Arg.IsZero() && f.Arg.Source == a.Fields[j].Arg.Source {
					agg.fields[i].same = j + 1
					break
				}
			}
		}
	}
	return agg, append(diags, d...)
}

// newAggregator builds an Aggregator from already compiled parts; tests
// use it with hand-written closures.
func newAggregator(a *ir.Aggregate, key func(Frame) (*Record, error), keyLayout *Layout,
	args []func(Frame) (Value, error), types []cty.Type) (*Aggregator, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	agg := &Aggregator{window: a.Window, key: key, keyLayout: keyLayout}
	seen := map[string]string{FieldWindowStart: "window output", FieldWindowEnd: "window output"}
	attrs := map[string]cty.Type{FieldWindowStart: cty.String, FieldWindowEnd: cty.String}
	if a.Continuous() {
		// A continuous aggregate's rows have no window bounds.
		clear(attrs)
	}
	for i, n := range keyLayout.Names {
		if _, dup := seen[n]; dup {
			rng := ir.Range{}
			for _, k := range a.Key {
				if k.Name == n {
					rng = k.Expr.Range
				}
			}
			diags = append(diags, aggClash(n, seen[n], rng))
			continue
		}
		seen[n] = "key field"
		attrs[n] = keyLayout.Types[i]
	}
	for i, f := range a.Fields {
		fn, ok := aggFuncs[f.Func]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unknown aggregate function",
				Detail:   fmt.Sprintf("%q is not an aggregate function; use count, sum, avg, min, max, count_distinct, first or last.", f.Func),
				Subject:  f.Range.Ptr(),
			})
			continue
		}
		if d := checkAggArg(f, fn, args[i] != nil, types[i]); d != nil {
			diags = append(diags, d)
			continue
		}
		if _, dup := seen[f.Name]; dup {
			diags = append(diags, aggClash(f.Name, seen[f.Name], f.Range))
			continue
		}
		seen[f.Name] = "aggregate field"
		af := aggField{name: f.Name, fn: fn, arg: args[i], typ: types[i]}
		if af.typ == cty.NilType {
			af.typ = cty.DynamicPseudoType
		}
		if af.typ.IsObjectType() {
			af.layout = NewLayout(af.typ)
		}
		attrs[f.Name] = aggOutputType(fn, af.typ)
		agg.fields = append(agg.fields, af)
	}
	if diags.HasErrors() {
		return nil, diags
	}
	agg.out = NewLayout(cty.Object(attrs))
	for i := range agg.fields {
		agg.fields[i].slot, _ = agg.out.Index(agg.fields[i].name)
	}
	agg.keySlots = make([]int, keyLayout.Len())
	for i, n := range keyLayout.Names {
		agg.keySlots[i], _ = agg.out.Index(n)
	}
	agg.winStart, agg.winEnd = -1, -1
	if !a.Continuous() {
		agg.winStart, _ = agg.out.Index(FieldWindowStart)
		agg.winEnd, _ = agg.out.Index(FieldWindowEnd)
	}
	return agg, diags
}

func aggClash(name, other string, rng ir.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate aggregate output field",
		Detail:   fmt.Sprintf("The output field %q is already defined as a %s; each key field, aggregate field, window_start and window_end needs its own name.", name, other),
		Subject:  rng.Ptr(),
	}
}

// checkAggArg checks the argument's presence and static type.
func checkAggArg(f ir.AggField, fn aggFunc, hasArg bool, t cty.Type) *hcl.Diagnostic {
	bad := func(detail string) *hcl.Diagnostic {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid aggregate argument", Detail: detail, Subject: f.Range.Ptr()}
	}
	switch {
	case fn == aggCount:
		return nil
	case !hasArg:
		return bad(fmt.Sprintf("%s() needs one argument, as in %s(record.amount).", f.Func, f.Func))
	case t == cty.DynamicPseudoType || t == cty.NilType:
		return nil
	case (fn == aggSum || fn == aggAvg) && t != cty.Number:
		return bad(fmt.Sprintf("%s() needs a number, not %s.", f.Func, t.FriendlyName()))
	case (fn == aggMin || fn == aggMax) && t != cty.Number && t != cty.String:
		return bad(fmt.Sprintf("%s() needs a number or a string, not %s.", f.Func, t.FriendlyName()))
	}
	return nil
}

// Window is the aggregate's window.
func (a *Aggregator) Window() ir.Window { return a.window }

// KeyLayout is the layout of the key records Key returns.
func (a *Aggregator) KeyLayout() *Layout { return a.keyLayout }

// OutputLayout is the layout of the records Result returns: key fields,
// aggregate fields, window_start and window_end, sorted by name.
func (a *Aggregator) OutputLayout() *Layout { return a.out }

// Key evaluates the grouping key of a record. With no key fields every
// record has the same, shared, empty key; treat key records as read-only.
func (a *Aggregator) Key(f Frame) (*Record, error) {
	r, err := a.key(f)
	if err != nil {
		return nil, fmt.Errorf("aggregate key: %w", err)
	}
	return r, nil
}

// KeyInto is Key building the key record in r (ObjectProgram.EvalInto),
// for a caller that copies the key it keeps. It returns r, or the shared
// empty key when the aggregate has no key fields.
func (a *Aggregator) KeyInto(f Frame, r *Record) (*Record, error) {
	if a.keyProg == nil {
		return a.Key(f)
	}
	if err := a.keyProg.EvalInto(f, r); err != nil {
		return nil, fmt.Errorf("aggregate key: %w", err)
	}
	return r, nil
}

// KeyBytes appends the stable encoding of a key for state stores and
// shuffles: its canonical JSON (attributes sorted, -0 written as 0), so that
// equal keys encode equally on every backend.
func KeyBytes(key *Record, dst []byte) []byte {
	return appendRecordJSON(dst, key, true)
}

// Acc is the state of one (key, window): one accumulator per aggregate
// field.
type Acc struct {
	f       []accState
	scratch []byte // count_distinct keys
}

type accState struct {
	n      int64   // count() records; otherwise non-null inputs
	hi, lo float64 // sum and avg: double-double sum
	v      Value   // min, max, first, last
	ts     int64   // first, last: event time of v
	set    map[string]struct{}
}

// NewAcc returns an empty accumulator.
func (a *Aggregator) NewAcc() *Acc {
	acc := &Acc{f: make([]accState, len(a.fields))}
	for i, f := range a.fields {
		if f.fn == aggCountDistinct {
			acc.f[i].set = map[string]struct{}{}
		}
	}
	return acc
}

// Reset empties acc so that it can be reused for another key or window
// instead of allocating a new one with NewAcc (a windowed aggregate opens
// one accumulator per key and window). Distinct sets keep their memory.
// Values previously taken from acc by Result stay valid.
func (a *Aggregator) Reset(acc *Acc) {
	if len(acc.f) != len(a.fields) {
		*acc = *a.NewAcc()
		return
	}
	for i := range acc.f {
		st := &acc.f[i]
		set := st.set
		clear(set)
		*st = accState{set: set}
		if set == nil && a.fields[i].fn == aggCountDistinct {
			st.set = map[string]struct{}{}
		}
	}
}

// Add folds one record with event time tsMs into acc. It evaluates every
// argument before changing anything, so on error acc is unchanged and the
// record can go to the dead-letter topic.
func (a *Aggregator) Add(acc *Acc, f Frame, tsMs int64) error {
	if len(acc.f) != len(a.fields) {
		return errors.New("aggregate: accumulator does not belong to this aggregator")
	}
	var buf [8]Value
	var skipBuf [8]bool
	vals, skip := buf[:0], skipBuf[:0]
	for i := range a.fields {
		fl := &a.fields[i]
		v := Null
		if fl.where != nil {
			ok, err := evalWhere(fl.where, f)
			if err != nil {
				return fmt.Errorf("aggregate field %s: condition: %w", fl.name, err)
			}
			if !ok {
				vals, skip = append(vals, v), append(skip, true)
				continue
			}
		}
		if fl.arg != nil {
			var err error
			if fl.same > 0 && !skip[fl.same-1] {
				v = vals[fl.same-1]
			} else if v, err = fl.arg(f); err != nil {
				return fmt.Errorf("aggregate field %s: %w", fl.name, err)
			}
			if err := checkAggValue(fl, &acc.f[i], v); err != nil {
				return fmt.Errorf("aggregate field %s: %w", fl.name, err)
			}
		}
		vals, skip = append(vals, v), append(skip, false)
	}
	for i := range a.fields {
		fl, st, v := &a.fields[i], &acc.f[i], vals[i]
		if skip[i] {
			continue
		}
		if fl.fn == aggCount && fl.arg == nil {
			st.n++
			continue
		}
		if v.Kind == KindNull {
			continue
		}
		switch fl.fn {
		case aggSum, aggAvg:
			bhi, blo := numDD(v)
			st.hi, st.lo = ddAdd(st.hi, st.lo, bhi, blo)
		case aggMin:
			if st.n == 0 || compareMinMax(v, st.v) < 0 {
				st.v = v
			}
		case aggMax:
			if st.n == 0 || compareMinMax(v, st.v) > 0 {
				st.v = v
			}
		case aggFirst:
			if st.n == 0 || tsMs < st.ts {
				st.v, st.ts = v, tsMs
			}
		case aggLast:
			if st.n == 0 || tsMs >= st.ts {
				st.v, st.ts = v, tsMs
			}
		case aggCountDistinct:
			acc.scratch = appendCanonicalJSON(acc.scratch[:0], v)
			if _, ok := st.set[string(acc.scratch)]; !ok {
				st.set[string(acc.scratch)] = struct{}{}
			}
		}
		st.n++
	}
	return nil
}

// evalWhere evaluates a field's condition: null is false, as in SQL's
// FILTER (WHERE ...).
func evalWhere(p *Program, f Frame) (bool, error) {
	if p.cond != nil {
		if b, ok := p.cond(f); ok {
			return b, nil
		}
	}
	v, err := p.eval(f)
	switch {
	case err != nil:
		return false, &EvalError{Range: p.rng, Err: plainError(err)}
	case v.Kind == KindNull:
		return false, nil
	case v.Kind != KindBool:
		return false, &EvalError{Range: p.rng, Err: errNotBool}
	}
	return v.Bool, nil
}

// checkAggValue checks an argument value against its function.
func checkAggValue(fl *aggField, st *accState, v Value) error {
	switch fl.fn {
	case aggSum, aggAvg:
		if v.Kind != KindNull && v.Kind != KindNumber {
			return fmt.Errorf("%s() needs a number, got %s", aggName(fl.fn), valueKindName(v.Kind))
		}
	case aggMin, aggMax:
		switch {
		case v.Kind == KindNull:
		case v.Kind != KindNumber && v.Kind != KindString:
			return fmt.Errorf("%s() needs a number or a string, got %s", aggName(fl.fn), valueKindName(v.Kind))
		case st.n > 0 && st.v.Kind != v.Kind:
			return fmt.Errorf("%s() cannot compare %s with %s", aggName(fl.fn), valueKindName(v.Kind), valueKindName(st.v.Kind))
		}
	}
	return nil
}

func aggName(fn aggFunc) string {
	for n, f := range aggFuncs {
		if f == fn {
			return n
		}
	}
	return "aggregate"
}

// compareMinMax orders min/max values: numbers numerically, strings by
// bytes. Values of different kinds, which Add rejects but Merge can meet when
// a dynamically typed argument saw numbers in one accumulator and strings in
// another, order numbers before strings so that Merge stays deterministic.
func compareMinMax(a, b Value) int {
	if a.Kind != b.Kind {
		if a.Kind < b.Kind {
			return -1
		}
		return 1
	}
	switch a.Kind {
	case KindNumber:
		c, _ := numCompare(a, b)
		return c
	case KindString:
		switch {
		case a.Str < b.Str:
			return -1
		case a.Str > b.Str:
			return 1
		}
	}
	return 0
}

// twoSum returns s = fl(a+b) and the exact error e, a+b = s+e (Knuth).
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

// numDD is a number as a double-double: exact for every int64 (hi the
// nearest float64, lo the integer remainder) and every float64.
func numDD(v Value) (hi, lo float64) {
	i, ok := v.Int64()
	if !ok {
		return v.Float(), 0
	}
	hi = float64(i)
	if hi == 0x1p63 {
		// i rounded up past MaxInt64: the remainder is i - 2^63 < 0.
		return hi, -float64(uint64(1<<63) - uint64(i))
	}
	return hi, float64(i - int64(hi))
}

// ddNumber is the number nearest to the double-double hi+lo: exact when
// it is an integer within int64 (sums of integers stay integers in both
// parts, so a sum of 64-bit IDs keeps its digits), else the float64 hi+lo.
func ddNumber(hi, lo float64) Value {
	if lo == 0 || hi != math.Trunc(hi) || lo != math.Trunc(lo) || math.Abs(lo) >= 0x1p62 {
		return Number(hi + lo)
	}
	l := int64(lo)
	switch {
	case hi >= -0x1p63 && hi < 0x1p63:
		h := int64(hi)
		if s := h + l; (s > h) == (l > 0) {
			return Int(s)
		}
	case hi == 0x1p63 && l < 0:
		return Int(int64(uint64(1<<63) - uint64(-l)))
	}
	return Number(hi + lo)
}

// ddAdd adds two double-doubles. Once the sum is not finite it stays the
// plain float64 sum.
func ddAdd(ahi, alo, bhi, blo float64) (hi, lo float64) {
	s, e := twoSum(ahi, bhi)
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return s, 0
	}
	e += alo + blo
	return twoSum(s, e)
}

// Merge folds src into dst; src is left unchanged but may share values with
// dst afterwards. For first and last, src counts as having arrived after
// dst. Merging is associative: Beam combiners and session-window merges may
// group merges in any way. Accumulators of another aggregator (a different
// field count) are left alone.
func (a *Aggregator) Merge(dst, src *Acc) {
	if len(dst.f) != len(a.fields) || len(src.f) != len(a.fields) {
		return
	}
	for i := range a.fields {
		d, s := &dst.f[i], &src.f[i]
		if s.n == 0 {
			continue
		}
		switch a.fields[i].fn {
		case aggSum, aggAvg:
			d.hi, d.lo = ddAdd(d.hi, d.lo, s.hi, s.lo)
		case aggMin:
			if d.n == 0 || compareMinMax(s.v, d.v) < 0 {
				d.v = s.v
			}
		case aggMax:
			if d.n == 0 || compareMinMax(s.v, d.v) > 0 {
				d.v = s.v
			}
		case aggFirst:
			if d.n == 0 || s.ts < d.ts {
				d.v, d.ts = s.v, s.ts
			}
		case aggLast:
			if d.n == 0 || s.ts >= d.ts {
				d.v, d.ts = s.v, s.ts
			}
		case aggCountDistinct:
			if d.set == nil {
				d.set = make(map[string]struct{}, len(s.set))
			}
			for k := range s.set {
				d.set[k] = struct{}{}
			}
		}
		d.n += s.n
	}
}

// Result builds the output record of one key and window. A nil acc is an
// empty one.
func (a *Aggregator) Result(key *Record, acc *Acc, w Interval) *Record {
	r := NewRecord(a.out)
	a.ResultInto(r, key, acc, FormatTimestamp(w.Start), FormatTimestamp(w.End))
	return r
}

// ResultInto is Result writing into r, whose Values are reused when they
// have the capacity, with the window bounds already formatted by
// FormatTimestamp. A stream processor firing one window for many keys
// formats the bounds once and reuses one output record, which it must not
// keep after handing it on.
func (a *Aggregator) ResultInto(r *Record, key *Record, acc *Acc, windowStart, windowEnd string) {
	if acc == nil {
		acc = &Acc{}
	}
	n := a.out.Len()
	if r.Layout != a.out || cap(r.Values) < n {
		r.Layout, r.Values = a.out, make([]Value, n)
	} else {
		r.Values = r.Values[:n]
		clear(r.Values)
	}
	if key != nil {
		if key.Layout == a.keyLayout {
			for i, v := range key.Values {
				r.Values[a.keySlots[i]] = v
			}
		} else {
			for i, n := range key.Layout.Names {
				if s, ok := a.out.Index(n); ok && i < len(key.Values) {
					r.Values[s] = key.Values[i]
				}
			}
		}
	}
	var none accState
	for i, f := range a.fields {
		st := &none
		if i < len(acc.f) {
			st = &acc.f[i]
		}
		v := Null
		switch f.fn {
		case aggCount:
			v = Int(st.n)
		case aggCountDistinct:
			v = Int(int64(len(st.set)))
		case aggSum:
			if st.n > 0 {
				v = ddNumber(st.hi, st.lo)
			}
		case aggAvg:
			if st.n > 0 {
				v = Number((st.hi + st.lo) / float64(st.n))
			}
		default:
			if st.n > 0 {
				v = st.v
			}
		}
		r.Values[f.slot] = v
	}
	if a.winStart >= 0 {
		r.Values[a.winStart] = String(windowStart)
		r.Values[a.winEnd] = String(windowEnd)
	}
}

// accVersion is the first byte of a marshaled Acc.
const accVersion = 1

// MarshalBinary encodes the accumulator deterministically (equal states
// give equal bytes): a version byte, the field count, then per field its
// state in a form fixed by its function (counts as varints, sums as two
// IEEE-754 doubles, values as JSON, distinct sets as sorted JSON values).
func (acc *Acc) MarshalBinary() ([]byte, error) {
	b := []byte{accVersion}
	b = binary.AppendUvarint(b, uint64(len(acc.f)))
	for i := range acc.f {
		st := &acc.f[i]
		b = binary.AppendVarint(b, st.n)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(st.hi))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(st.lo))
		b = binary.AppendVarint(b, st.ts)
		if st.v.Kind == KindNull {
			b = append(b, 0)
		} else {
			b = append(b, 1)
			j := AppendValueJSON(nil, st.v)
			b = binary.AppendUvarint(b, uint64(len(j)))
			b = append(b, j...)
		}
		keys := make([]string, 0, len(st.set))
		for k := range st.set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
		}
	}
	return b, nil
}

// UnmarshalAcc decodes an accumulator MarshalBinary produced for an
// aggregator with the same fields.
func UnmarshalAcc(a *Aggregator, b []byte) (*Acc, error) {
	rd := accReader{b: b}
	if v := rd.byte(); v != accVersion {
		return nil, fmt.Errorf("aggregate state: unknown version %d", v)
	}
	if n := rd.uvarint(); rd.err == nil && n != uint64(len(a.fields)) {
		return nil, fmt.Errorf("aggregate state: %d fields, aggregator has %d", n, len(a.fields))
	}
	acc := a.NewAcc()
	for i := range acc.f {
		st := &acc.f[i]
		st.n = rd.varint()
		st.hi = math.Float64frombits(rd.uint64())
		st.lo = math.Float64frombits(rd.uint64())
		st.ts = rd.varint()
		if rd.byte() == 1 {
			j := rd.bytes()
			if rd.err != nil {
				break
			}
			var d Decoder
			d.chunk = len(j)
			v, err := d.valueJSON(a.fields[i].typ, a.fields[i].layout, j)
			if err != nil {
				return nil, fmt.Errorf("aggregate state: field %s: %w", a.fields[i].name, err)
			}
			st.v = v
		}
		n := rd.uvarint()
		if rd.err == nil && n > uint64(len(rd.b)) {
			rd.err = errors.New("truncated")
		}
		for k := uint64(0); k < n && rd.err == nil; k++ {
			key := rd.bytes()
			if st.set == nil {
				st.set = map[string]struct{}{}
			}
			st.set[string(key)] = struct{}{}
		}
		if st.n < 0 {
			rd.err = errors.New("negative count")
		}
	}
	if rd.err == nil && len(rd.b) != 0 {
		rd.err = errors.New("trailing bytes")
	}
	if rd.err != nil {
		return nil, fmt.Errorf("aggregate state: %w", rd.err)
	}
	return acc, nil
}

// valueJSON decodes one JSON value of type t.
func (d *Decoder) valueJSON(t cty.Type, nested *Layout, data []byte) (Value, error) {
	d.data, d.pos, d.depth = data, 0, 0
	defer func() { d.data = nil }()
	d.skipWS()
	v, err := d.value(t, nested)
	if err != nil {
		return Null, err
	}
	d.skipWS()
	if d.pos != len(d.data) {
		return Null, d.errAt(d.pos, "unexpected data after the value")
	}
	return v, nil
}

// accReader reads MarshalBinary's encoding, remembering the first error.
type accReader struct {
	b   []byte
	err error
}

func (r *accReader) fail() { r.err, r.b = errors.New("truncated"), nil }

func (r *accReader) byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *accReader) uint64() uint64 {
	if r.err != nil || len(r.b) < 8 {
		r.fail()
		return 0
	}
	u := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return u
}

func (r *accReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	u, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return u
}

func (r *accReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *accReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}
