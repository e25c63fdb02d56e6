package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

// TestEvalInto: ObjectProgram.EvalInto, Aggregator.KeyInto and
// Ranker.AppendSortValues give what Eval, Key and SortValues give (values
// worked out by hand from the inputs), in memory the caller passes in:
// one record reused for several inputs, a record of another layout or
// too short, and errors that name the field as Eval's do.
func TestEvalInto(t *testing.T) {
	fields := []ir.Field{
		{Name: "id", Expr: exprAt(`record.id`)},
		{Name: "amount", Expr: exprAt(`record.amount * 2`)},
		{Name: "country", Expr: exprAt(`lower(record.country)`)},
	}
	roots := cOrdersRoots()
	l := roots[0].Layout
	input := func(id string, amount Value, country string) *Record {
		r := NewRecord(l)
		r.Values[idx(l, "id")], r.Values[idx(l, "amount")], r.Values[idx(l, "country")] = String(id), amount, String(country)
		return r
	}
	plain := func(r *Record) map[string]any {
		m := map[string]any{}
		for i, n := range r.Layout.Names {
			m[n] = plainValue(r.Values[i])
		}
		return m
	}
	o, diags := CompileObject(fields, roots, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	agg, diags := NewAggregator(&ir.Aggregate{Key: fields, Fields: []ir.AggField{{Name: "n", Func: ir.AggCount}}}, l, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	rk, diags := NewRanker(&ir.Top{OrderBy: []ir.OrderKey{{Expr: exprAt(`record.amount`), Desc: true}, {Expr: exprAt(`record.id`)}}, Limit: 1, Continuous: true}, l, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	other := NewLayout(cOrdersType)
	tests := []struct {
		name string
		into *Record // the memory passed in
		in   *Record
		want map[string]any
	}{
		{"empty record", &Record{}, input("o1", Number(150), "US"), map[string]any{"id": "o1", "amount": 300.0, "country": "us"}},
		{"record of another layout, longer", &Record{Layout: other, Values: make([]Value, 5)}, input("o2", Int(7), "De"), map[string]any{"id": "o2", "amount": 14.0, "country": "de"}},
		{"too short", &Record{Layout: other, Values: make([]Value, 1)}, input("o3", Number(0.5), "fr"), map[string]any{"id": "o3", "amount": 1.0, "country": "fr"}},
	}
	reused := &Record{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := o.EvalInto(Frame{tt.in}, tt.into); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, plain(tt.into)); d != "" {
				t.Errorf("EvalInto (-want +got):\n%s", d)
			}
			// One record reused across the inputs holds the last one only.
			if err := o.EvalInto(Frame{tt.in}, reused); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, plain(reused)); d != "" {
				t.Errorf("EvalInto, reused record (-want +got):\n%s", d)
			}
			key, err := agg.KeyInto(Frame{tt.in}, tt.into)
			if err != nil {
				t.Fatal(err)
			}
			if key != tt.into {
				t.Errorf("KeyInto built the key elsewhere")
			}
			if d := cmp.Diff(tt.want, plain(key)); d != "" {
				t.Errorf("KeyInto (-want +got):\n%s", d)
			}
			buf := make([]Value, 0, 2)
			vals, err := rk.AppendSortValues(Frame{tt.in}, buf[:0])
			if err != nil {
				t.Fatal(err)
			}
			want := []any{tt.in.Values[idx(l, "amount")].Float(), tt.want["id"]}
			if d := cmp.Diff(want, []any{vals[0].Float(), vals[1].Str}); d != "" {
				t.Errorf("AppendSortValues (-want +got):\n%s", d)
			}
			if &vals[0] != &buf[:1][0] {
				t.Errorf("AppendSortValues did not use the buffer")
			}
		})
	}

	// Errors name the field, as Eval's and Key's do.
	bad := input("o4", Null, "US")
	if err := o.EvalInto(Frame{bad}, &Record{}); err == nil || !strings.Contains(err.Error(), `"amount"`) {
		t.Errorf("EvalInto of a null amount: error %v, want one naming the field", err)
	}
	if _, err := agg.KeyInto(Frame{bad}, &Record{}); err == nil || !strings.Contains(err.Error(), `aggregate key: field "amount"`) {
		t.Errorf("KeyInto of a null amount: error %v, want one naming the key field", err)
	}

	// No key fields: the shared empty key, as Key returns.
	noKey, diags := NewAggregator(&ir.Aggregate{Fields: []ir.AggField{{Name: "n", Func: ir.AggCount}}}, l, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want, _ := noKey.Key(Frame{bad})
	if got, err := noKey.KeyInto(Frame{bad}, &Record{}); err != nil || got != want {
		t.Errorf("KeyInto without key fields = %p, %v; want the shared empty key %p", got, err, want)
	}
}
