package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func irAggIf(name, fn, arg, where string) ir.AggField {
	f := irAggField(name, fn, arg)
	f.Where = &ir.Expr{Source: where}
	return f
}

// TestAggConditional: a field with a condition sees only the records where
// it is true (null counts as false), its argument is not evaluated on the
// others, and the other fields see every record. Expected values are
// computed by hand from the rows.
func TestAggConditional(t *testing.T) {
	in := NewLayout(aggInputType)
	agg, diags := NewAggregator(&ir.Aggregate{
		Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 1},
		Fields: []ir.AggField{
			irAggField("all", "count", ""),
			irAggField("total", "sum", "record.amount"),
			irAggIf("cheap", "count", "", "record.amount < 100"),
			irAggIf("cheap_max", "max", "record.amount", "record.amount < 100"),
			irAggIf("cheap_total", "sum", "record.amount", "record.amount < 100"),
			irAggIf("big_items", "count_distinct", "record.item", "record.amount >= 100"),
			irAggIf("parsed", "sum", "tonumber(record.item)", "record.amount >= 100"),
			irAggIf("when_a", "count", "", `record.item == null ? null : record.item == "a"`),
			irAggIf("none", "avg", "record.amount", "record.amount > 1000"),
		},
	}, in, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	acc := agg.NewAcc()
	for _, r := range []aggRow{
		{"c", Number(50), String("a"), 1},
		{"c", Number(150), String("7"), 2},
		{"c", Number(200), String("7"), 3},
		{"c", Number(20), Null, 4},
		{"c", Number(300), String("9"), 5},
		{"c", Number(80), String("oops"), 6}, // tonumber would fail: not evaluated
	} {
		if err := agg.Add(acc, r.frame(), r.ts); err != nil {
			t.Fatalf("Add(%v): %v", r, err)
		}
	}
	want := map[string]any{
		"all": 6.0, "total": 800.0,
		"cheap": 3.0, "cheap_max": 80.0, "cheap_total": 150.0,
		"big_items": 2.0, "parsed": 23.0, "when_a": 1.0, "none": nil,
		"window_start": "1970-01-01T00:00:00Z", "window_end": "1970-01-01T00:00:00.001Z",
	}
	if diff := cmp.Diff(want, testPlainRecord(agg.Result(nil, acc, Interval{0, 1}))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestAggConditionErrors: a condition that fails or is not a bool fails
// the record and leaves the accumulator unchanged; a condition that is not
// a bool statically is a diagnostic at the condition.
func TestAggConditionErrors(t *testing.T) {
	in := NewLayout(aggInputType)
	agg, diags := NewAggregator(&ir.Aggregate{
		Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 1},
		Fields: []ir.AggField{
			irAggField("all", "count", ""),
			irAggIf("positive", "count", "", "tonumber(record.item) > 0"),
		},
	}, in, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	acc := agg.NewAcc()
	if err := agg.Add(acc, aggRow{"c", Number(1), String("3"), 1}.frame(), 1); err != nil {
		t.Fatal(err)
	}
	if err := agg.Add(acc, aggRow{"c", Number(1), String("x"), 2}.frame(), 2); err == nil {
		t.Error("a failing condition did not fail the record")
	}
	want := map[string]any{"all": 1.0, "positive": 1.0, "window_start": "1970-01-01T00:00:00Z", "window_end": "1970-01-01T00:00:00.001Z"}
	if diff := cmp.Diff(want, testPlainRecord(agg.Result(nil, acc, Interval{0, 1}))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	cond := ir.Expr{Source: "record.amount + 1", Range: ir.Range{Filename: "a.hcl", Start: ir.Pos{Line: 3, Column: 20}, End: ir.Pos{Line: 3, Column: 37}}}
	_, diags = NewAggregator(&ir.Aggregate{Fields: []ir.AggField{{Name: "n", Func: "count", Where: &cond}}}, in, Consts{})
	if !diags.HasErrors() || diags[0].Summary != "Condition is not a bool" || diags[0].Subject.Start.Line != 3 {
		t.Errorf("non-bool condition: %v", diags)
	}
}
