package eval

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

var aggInputType = cty.Object(map[string]cty.Type{
	"customer": cty.String, "amount": cty.Number, "item": cty.String, "tags": cty.List(cty.String),
})

// aggRow is one input record with its event time.
type aggRow struct {
	customer string
	amount   Value
	item     Value
	ts       int64
}

func (r aggRow) frame() Frame {
	rec, err := DecodeJSON(NewLayout(aggInputType), []byte(`{}`))
	if err != nil {
		panic(err)
	}
	rec.Values[0], rec.Values[1], rec.Values[2] = r.amount, String(r.customer), r.item
	return Frame{rec}
}

func irAggField(name, fn, arg string) ir.AggField {
	f := ir.AggField{Name: name, Func: fn}
	if arg != "" {
		f.Arg = &ir.Expr{Source: arg}
	}
	return f
}

// fakeAggregator builds an Aggregator without the compiler: the key is
// {customer = record.customer} and each argument "record.NAME" reads NAME.
func fakeAggregator(t *testing.T, a *ir.Aggregate) (*Aggregator, hcl.Diagnostics) {
	t.Helper()
	in := NewLayout(aggInputType)
	kl := NewLayout(cty.Object(map[string]cty.Type{"customer": cty.String}))
	key := func(f Frame) (*Record, error) {
		r := NewRecord(kl)
		r.Values[0] = f[0].Get("customer")
		return r, nil
	}
	args := make([]func(Frame) (Value, error), len(a.Fields))
	types := make([]cty.Type, len(a.Fields))
	for i, f := range a.Fields {
		types[i] = cty.DynamicPseudoType
		if f.Arg == nil {
			continue
		}
		name := strings.TrimPrefix(f.Arg.Source, "record.")
		slot, ok := in.Index(name)
		if !ok {
			t.Fatalf("fake compiler: no attribute %q", name)
		}
		args[i] = func(f Frame) (Value, error) { return f[0].Values[slot], nil }
		types[i] = in.Types[slot]
	}
	return newAggregator(a, key, kl, args, types)
}

var allAggFields = []ir.AggField{
	irAggField("orders", "count", ""),
	irAggField("amounts", "count", "record.amount"),
	irAggField("total", "sum", "record.amount"),
	irAggField("mean", "avg", "record.amount"),
	irAggField("largest", "max", "record.amount"),
	irAggField("smallest", "min", "record.amount"),
	irAggField("first_item", "min", "record.item"),
	irAggField("items", "count_distinct", "record.item"),
	irAggField("opening", "first", "record.item"),
	irAggField("closing", "last", "record.item"),
}

func mustFakeAggregator(t *testing.T) *Aggregator {
	t.Helper()
	agg, diags := fakeAggregator(t, &ir.Aggregate{
		Key:    []ir.Field{{Name: "customer", Expr: ir.Expr{Source: "record.customer"}}},
		Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60000},
		Fields: allAggFields,
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return agg
}

func TestAggResult(t *testing.T) {
	w := Interval{1767225600000, 1767225660000}
	win := map[string]any{"window_start": "2026-01-01T00:00:00Z", "window_end": "2026-01-01T00:01:00Z", "customer": "c1"}
	with := func(m map[string]any) map[string]any {
		for k, v := range win {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		rows []aggRow
		want map[string]any
	}{
		{"no records", nil, with(map[string]any{
			"orders": 0.0, "amounts": 0.0, "total": nil, "mean": nil, "largest": nil, "smallest": nil,
			"first_item": nil, "items": 0.0, "opening": nil, "closing": nil})},
		{"one record", []aggRow{{"c1", Number(150), String("x"), 5}}, with(map[string]any{
			"orders": 1.0, "amounts": 1.0, "total": 150.0, "mean": 150.0, "largest": 150.0, "smallest": 150.0,
			"first_item": "x", "items": 1.0, "opening": "x", "closing": "x"})},
		{"several, out of order", []aggRow{
			{"c1", Number(10), String("b"), 30},
			{"c1", Number(-2.5), String("a"), 10},
			{"c1", Number(40), String("b"), 20},
			{"c1", Number(0.5), String("c"), 5},
		}, with(map[string]any{
			"orders": 4.0, "amounts": 4.0, "total": 48.0, "mean": 12.0, "largest": 40.0, "smallest": -2.5,
			"first_item": "a", "items": 3.0, "opening": "c", "closing": "b"})},
		{"nulls are ignored except by count()", []aggRow{
			{"c1", Null, Null, 1},
			{"c1", Number(3), String("z"), 2},
			{"c1", Null, Null, 3},
		}, with(map[string]any{
			"orders": 3.0, "amounts": 1.0, "total": 3.0, "mean": 3.0, "largest": 3.0, "smallest": 3.0,
			"first_item": "z", "items": 1.0, "opening": "z", "closing": "z"})},
		{"all null", []aggRow{{"c1", Null, Null, 1}}, with(map[string]any{
			"orders": 1.0, "amounts": 0.0, "total": nil, "mean": nil, "largest": nil, "smallest": nil,
			"first_item": nil, "items": 0.0, "opening": nil, "closing": nil})},
		{"ties go by arrival", []aggRow{
			{"c1", Number(1), String("p"), 7},
			{"c1", Number(1), String("q"), 7},
			{"c1", Number(1), String("r"), 7},
		}, with(map[string]any{
			"orders": 3.0, "amounts": 3.0, "total": 3.0, "mean": 1.0, "largest": 1.0, "smallest": 1.0,
			"first_item": "p", "items": 3.0, "opening": "p", "closing": "r"})},
		{"sum is correctly rounded", []aggRow{
			{"c1", Number(0.1), String("a"), 1}, {"c1", Number(0.2), String("a"), 2}, {"c1", Number(0.3), String("a"), 3},
		}, with(map[string]any{
			"orders": 3.0, "amounts": 3.0, "total": 0.6, "mean": 0.19999999999999998, "largest": 0.3, "smallest": 0.1,
			"first_item": "a", "items": 1.0, "opening": "a", "closing": "a"})},
		{"cancellation", []aggRow{
			{"c1", Number(1e16), String("a"), 1}, {"c1", Number(1), String("a"), 2}, {"c1", Number(-1e16), String("a"), 3},
		}, with(map[string]any{
			"orders": 3.0, "amounts": 3.0, "total": 1.0, "mean": 1.0 / 3, "largest": bigInt(1e16), "smallest": bigInt(-1e16),
			"first_item": "a", "items": 1.0, "opening": "a", "closing": "a"})},
	}
	agg := mustFakeAggregator(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := agg.NewAcc()
			var key *Record
			for _, r := range tt.rows {
				f := r.frame()
				k, err := agg.Key(f)
				if err != nil {
					t.Fatal(err)
				}
				key = k
				if err := agg.Add(acc, f, r.ts); err != nil {
					t.Fatal(err)
				}
			}
			if key == nil {
				key, _ = agg.Key(aggRow{customer: "c1"}.frame())
			}
			got := agg.Result(key, acc, w)
			if got.Layout != agg.OutputLayout() {
				t.Error("result does not have the output layout")
			}
			if diff := cmp.Diff(tt.want, testPlainRecord(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAggOutputLayout(t *testing.T) {
	agg := mustFakeAggregator(t)
	want := cty.Object(map[string]cty.Type{
		"customer": cty.String, "orders": cty.Number, "amounts": cty.Number, "total": cty.Number, "mean": cty.Number,
		"largest": cty.Number, "smallest": cty.Number, "first_item": cty.String, "items": cty.Number,
		"opening": cty.String, "closing": cty.String, "window_start": cty.String, "window_end": cty.String,
	})
	if got := agg.OutputLayout().Type; !got.Equals(want) {
		t.Errorf("OutputLayout = %s, want %s", got.GoString(), want.GoString())
	}
	argTypes := map[string]cty.Type{}
	for _, f := range allAggFields {
		if f.Arg != nil {
			argTypes[f.Name] = aggInputType.AttributeType(strings.TrimPrefix(f.Arg.Source, "record."))
		}
	}
	schema := AggregateSchema(map[string]cty.Type{"customer": cty.String}, allAggFields, argTypes)
	if !schema.Equals(want) {
		t.Errorf("AggregateSchema = %s, want %s", schema.GoString(), want.GoString())
	}
	// Unknown argument types stay dynamic for value-preserving functions.
	got := AggregateSchema(nil, []ir.AggField{irAggField("f", "first", "record.x"), irAggField("n", "sum", "record.x")}, nil)
	want = cty.Object(map[string]cty.Type{"f": cty.DynamicPseudoType, "n": cty.Number,
		"window_start": cty.String, "window_end": cty.String})
	if !got.Equals(want) {
		t.Errorf("AggregateSchema without arg types = %s, want %s", got.GoString(), want.GoString())
	}
}

// TestAggMergeAssociative: however the records are split into accumulators
// and however the merges are grouped, the result is what adding them in order
// gives.
func TestAggMergeAssociative(t *testing.T) {
	agg := mustFakeAggregator(t)
	rng := rand.New(rand.NewPCG(1, 2))
	items := []string{"a", "b", "c", "d"}
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(30)
		rows := make([]aggRow, n)
		for i := range rows {
			amount := Number(float64(rng.IntN(20000)-10000) / 100)
			if rng.IntN(5) == 0 {
				amount = Null
			}
			rows[i] = aggRow{"c1", amount, String(items[rng.IntN(len(items))]), int64(rng.IntN(10))}
		}
		key, _ := agg.Key(rows[0].frame())
		seq := agg.NewAcc()
		for _, r := range rows {
			if err := agg.Add(seq, r.frame(), r.ts); err != nil {
				t.Fatal(err)
			}
		}
		want := testPlainRecord(agg.Result(key, seq, Interval{0, 10}))

		// Split into contiguous chunks, one accumulator each.
		var accs []*Acc
		for i := 0; i < n; {
			j := i + 1 + rng.IntN(n-i)
			acc := agg.NewAcc()
			for _, r := range rows[i:j] {
				if err := agg.Add(acc, r.frame(), r.ts); err != nil {
					t.Fatal(err)
				}
			}
			accs = append(accs, acc)
			i = j
		}
		// Merge adjacent pairs in random order until one is left (a random
		// bracketing), each merge keeping arrival order.
		for len(accs) > 1 {
			i := rng.IntN(len(accs) - 1)
			agg.Merge(accs[i], accs[i+1])
			accs = append(accs[:i+1], accs[i+2:]...)
		}
		if diff := cmp.Diff(want, testPlainRecord(agg.Result(key, accs[0], Interval{0, 10}))); diff != "" {
			t.Fatalf("trial %d: merged result differs from sequential (-want +got):\n%s", trial, diff)
		}
	}
}

func TestAggAddErrorsLeaveAccUnchanged(t *testing.T) {
	agg := mustFakeAggregator(t)
	acc := agg.NewAcc()
	if err := agg.Add(acc, aggRow{"c1", Number(1), String("a"), 1}.frame(), 1); err != nil {
		t.Fatal(err)
	}
	before, _ := acc.MarshalBinary()
	bad := aggRow{"c1", String("not a number"), String("b"), 2}.frame()
	err := agg.Add(acc, bad, 2)
	if err == nil || !strings.Contains(err.Error(), "needs a number") {
		t.Fatalf("Add = %v, want a type error", err)
	}
	after, _ := acc.MarshalBinary()
	if !bytes.Equal(before, after) {
		t.Error("a failed Add changed the accumulator")
	}
	if err := agg.Add(&Acc{}, bad, 2); err == nil {
		t.Error("Add with a foreign accumulator must fail")
	}
}

func TestAggMarshalBinary(t *testing.T) {
	agg := mustFakeAggregator(t)
	rows := []aggRow{
		{"c1", Number(10.25), String("b"), 30},
		{"c1", Null, String("a\"é"), 10},
		{"c1", Number(-0.0), String("c"), -5},
	}
	build := func(order []int) *Acc {
		acc := agg.NewAcc()
		for _, i := range order {
			if err := agg.Add(acc, rows[i].frame(), rows[i].ts); err != nil {
				t.Fatal(err)
			}
		}
		return acc
	}
	acc := build([]int{0, 1, 2})
	b1, err := acc.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := build([]int{0, 1, 2}).MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Error("equal states marshal differently")
	}
	back, err := UnmarshalAcc(agg, b1)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := agg.Key(rows[0].frame())
	w := Interval{0, 60000}
	if diff := cmp.Diff(testPlainRecord(agg.Result(key, acc, w)), testPlainRecord(agg.Result(key, back, w))); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	b3, _ := back.MarshalBinary()
	if !bytes.Equal(b1, b3) {
		t.Error("re-marshaling changed the bytes")
	}
	// Every truncation and corruption fails cleanly.
	for i := 0; i < len(b1); i++ {
		if _, err := UnmarshalAcc(agg, b1[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
	if _, err := UnmarshalAcc(agg, append(append([]byte{}, b1...), 0)); err == nil {
		t.Error("trailing byte: no error")
	}
	bad := append([]byte{}, b1...)
	bad[0] = 9
	if _, err := UnmarshalAcc(agg, bad); err == nil {
		t.Error("bad version: no error")
	}
	for i := 1; i < len(b1); i++ {
		c := append([]byte{}, b1...)
		c[i] ^= 0xff
		UnmarshalAcc(agg, c) // must not panic
	}
}

func TestAggDiagnostics(t *testing.T) {
	tests := []struct {
		name   string
		fields []ir.AggField
		want   string
	}{
		{"unknown function", []ir.AggField{irAggField("x", "median", "record.amount")}, "Unknown aggregate function"},
		{"missing argument", []ir.AggField{irAggField("x", "sum", "")}, "needs one argument"},
		{"sum of strings", []ir.AggField{irAggField("x", "sum", "record.item")}, "needs a number, not string"},
		{"max of lists", []ir.AggField{irAggField("x", "max", "record.tags")}, "needs a number or a string"},
		{"clash with window", []ir.AggField{irAggField("window_end", "count", "")}, "already defined as a window output"},
		{"clash with key", []ir.AggField{irAggField("customer", "count", "")}, "already defined as a key field"},
		{"clash between fields", []ir.AggField{irAggField("n", "count", ""), irAggField("n", "sum", "record.amount")}, "already defined as a aggregate field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := fakeAggregator(t, &ir.Aggregate{
				Key:    []ir.Field{{Name: "customer", Expr: ir.Expr{Source: "record.customer"}}},
				Fields: tt.fields,
			})
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("diagnostics %v, want one containing %q", diags, tt.want)
			}
		})
	}
}

func TestAggKeyBytes(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{"b": cty.Number, "a": cty.String}))
	k1 := NewRecord(l)
	k1.Values[0], k1.Values[1] = String("x"), Number(0)
	k2 := NewRecord(l)
	k2.Values[0], k2.Values[1] = String("x"), Number(math.Copysign(0, -1))
	tests := []struct {
		name string
		key  *Record
		want string
	}{
		{"sorted", k1, `{"a":"x","b":0}`},
		{"minus zero is zero", k2, `{"a":"x","b":0}`},
		{"empty", NewRecord(NewLayout(cty.EmptyObject)), `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(KeyBytes(tt.key, nil))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestAggWithCompiler runs NewAggregator end to end through the compiler.
func TestAggWithCompiler(t *testing.T) {
	in := NewLayout(aggInputType)
	probe, diags := Compile(ir.Expr{Source: "record.amount"}, []Root{{Name: "record", Layout: in}}, Consts{})
	if diags.HasErrors() || probe == nil {
		t.Skip("compiler not ready")
	}
	f := aggRow{"C1", Number(150), String("x"), 5}.frame()
	if _, err := probe.Eval(f); err != nil {
		t.Skipf("compiler not ready: %v", err)
	}
	agg, diags := NewAggregator(&ir.Aggregate{
		Key:    []ir.Field{{Name: "customer", Expr: ir.Expr{Source: "lower(record.customer)"}}},
		Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60000},
		Fields: []ir.AggField{
			irAggField("total", "sum", "record.amount"),
			irAggField("orders", "count", ""),
			irAggField("largest", "max", "record.amount"),
		},
	}, in, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	acc := agg.NewAcc()
	key, err := agg.Key(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := agg.Add(acc, f, 5); err != nil {
		t.Fatal(err)
	}
	got := agg.Result(key, acc, AssignWindows(agg.Window(), 1767225605000, nil)[0])
	want := map[string]any{"customer": "c1", "total": 150.0, "orders": 1.0, "largest": 150.0,
		"window_start": "2026-01-01T00:00:00Z", "window_end": "2026-01-01T00:01:00Z"}
	if diff := cmp.Diff(want, testPlainRecord(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if string(got.AppendJSON(nil)) != `{"customer":"c1","largest":150,"orders":1,"total":150,"window_end":"2026-01-01T00:01:00Z","window_start":"2026-01-01T00:00:00Z"}` {
		t.Errorf("JSON %s", got.AppendJSON(nil))
	}
}

// TestAggCountDistinctCanonical: values cty considers equal count once.
func TestAggCountDistinctCanonical(t *testing.T) {
	agg, diags := fakeAggregator(t, &ir.Aggregate{
		Key:    []ir.Field{{Name: "customer", Expr: ir.Expr{Source: "record.customer"}}},
		Fields: []ir.AggField{irAggField("n", "count_distinct", "record.amount")},
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	acc := agg.NewAcc()
	for _, v := range []float64{0, math.Copysign(0, -1), 1, 1.0, 2.5} {
		if err := agg.Add(acc, aggRow{"c1", Number(v), Null, 0}.frame(), 0); err != nil {
			t.Fatal(err)
		}
	}
	got := agg.Result(nil, acc, Interval{0, 1}).Get("n")
	if diff := cmp.Diff(3.0, got.Float()); diff != "" {
		t.Errorf("count_distinct (-want +got):\n%s", diff)
	}
}

// BenchmarkAggAdd is the per-record cost of the revenue aggregate of the
// design document: sum, count and max.
func BenchmarkAggAdd(b *testing.B) {
	t := &testing.T{}
	agg, diags := fakeAggregator(t, &ir.Aggregate{
		Key: []ir.Field{{Name: "customer", Expr: ir.Expr{Source: "record.customer"}}},
		Fields: []ir.AggField{
			irAggField("total", "sum", "record.amount"),
			irAggField("orders", "count", ""),
			irAggField("largest", "max", "record.amount"),
		},
	})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	f := aggRow{"c1", Number(150.5), String("x"), 5}.frame()
	acc := agg.NewAcc()
	b.ReportAllocs()
	for b.Loop() {
		if err := agg.Add(acc, f, 5); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAggResetReuse: an accumulator that was used, Reset, and used again
// gives what a fresh one gives, and ResultInto into a reused record gives
// what Result gives.
func TestAggResetReuse(t *testing.T) {
	agg := mustFakeAggregator(t)
	first := []aggRow{
		{"c1", Number(5), String("a"), 3},
		{"c1", Number(-2), String("b"), 1},
		{"c1", Null, String("c"), 2},
	}
	second := []aggRow{
		{"c2", Number(1.5), String("z"), 7},
		{"c2", Number(2), Null, 9},
	}
	add := func(acc *Acc, rows []aggRow) {
		t.Helper()
		for _, r := range rows {
			if err := agg.Add(acc, r.frame(), r.ts); err != nil {
				t.Fatal(err)
			}
		}
	}
	w := Interval{Start: 1767225600000, End: 1767225660500}
	key, _ := agg.Key(second[0].frame())
	fresh := agg.NewAcc()
	add(fresh, second)
	want := testPlainRecord(agg.Result(key, fresh, w))

	reused := agg.NewAcc()
	add(reused, first)
	old := agg.Result(key, reused, w)
	agg.Reset(reused)
	if diff := cmp.Diff(testPlainRecord(agg.Result(key, agg.NewAcc(), w)), testPlainRecord(agg.Result(key, reused, w))); diff != "" {
		t.Errorf("Reset accumulator differs from a new one (-new +reset):\n%s", diff)
	}
	add(reused, second)
	if diff := cmp.Diff(want, testPlainRecord(agg.Result(key, reused, w))); diff != "" {
		t.Errorf("reused accumulator differs from a fresh one (-fresh +reused):\n%s", diff)
	}
	r := old // a record of the same layout, to be overwritten
	agg.ResultInto(r, key, reused, FormatTimestamp(w.Start), FormatTimestamp(w.End))
	if diff := cmp.Diff(want, testPlainRecord(r)); diff != "" {
		t.Errorf("ResultInto differs from Result (-Result +ResultInto):\n%s", diff)
	}
	var empty Record
	agg.ResultInto(&empty, key, reused, FormatTimestamp(w.Start), FormatTimestamp(w.End))
	if diff := cmp.Diff(want, testPlainRecord(&empty)); diff != "" {
		t.Errorf("ResultInto into an empty record differs from Result (-Result +ResultInto):\n%s", diff)
	}
}

func TestAppendTimestamp(t *testing.T) {
	tests := []struct {
		ms   int64
		want string
	}{
		{0, "1970-01-01T00:00:00Z"},
		{1767225605000, "2026-01-01T00:00:05Z"},
		{1767225605123, "2026-01-01T00:00:05.123Z"},
		{-1, "1969-12-31T23:59:59.999Z"},
	}
	for _, tt := range tests {
		got := string(AppendTimestamp([]byte("x="), tt.ms))
		if diff := cmp.Diff("x="+tt.want, got); diff != "" {
			t.Errorf("AppendTimestamp(%d) (-want +got):\n%s", tt.ms, diff)
		}
		if diff := cmp.Diff(tt.want, FormatTimestamp(tt.ms)); diff != "" {
			t.Errorf("FormatTimestamp(%d) (-want +got):\n%s", tt.ms, diff)
		}
	}
}

// TestAggSharedArgument: fields with the same argument expression evaluate
// it once per record, with the same results as evaluating it per field, and
// an error in the shared argument still leaves the accumulator unchanged.
func TestAggSharedArgument(t *testing.T) {
	in := NewLayout(aggInputType)
	agg, diags := NewAggregator(&ir.Aggregate{
		Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 1},
		Fields: []ir.AggField{
			irAggField("total", "sum", "tonumber(record.item)"),
			irAggField("mean", "avg", "tonumber(record.item)"),
			irAggField("largest", "max", "tonumber(record.item)"),
			irAggField("smallest", "min", "record.amount"),
			irAggField("distinct", "count_distinct", "tonumber(record.item)"),
		},
	}, in, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	acc := agg.NewAcc()
	for _, r := range []aggRow{
		{"c", Number(1), String("2"), 1},
		{"c", Number(5), String("oops"), 2}, // fails: must leave no trace
		{"c", Number(3), String("4"), 3},
		{"c", Number(0), String("4"), 4},
	} {
		err := agg.Add(acc, r.frame(), r.ts)
		if (err != nil) != (r.item.Str == "oops") {
			t.Fatalf("Add(%v) error = %v", r.item.Str, err)
		}
	}
	want := map[string]any{"total": 10.0, "mean": 10.0 / 3, "largest": 4.0, "smallest": 0.0, "distinct": 2.0,
		"window_start": "1970-01-01T00:00:00Z", "window_end": "1970-01-01T00:00:00.001Z"}
	if diff := cmp.Diff(want, testPlainRecord(agg.Result(nil, acc, Interval{0, 1}))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
