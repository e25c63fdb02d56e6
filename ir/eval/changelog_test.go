package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

// TestRetract: folding records in and then some of them back out leaves
// what folding only the rest gives (a continuous aggregate over a
// changelog); conditional fields retract only where the condition held; a
// continuous aggregate's rows have no window bounds.
func TestRetract(t *testing.T) {
	in := NewLayout(aggInputType)
	agg, diags := NewAggregator(&ir.Aggregate{
		Fields: []ir.AggField{
			irAggField("all", "count", ""),
			irAggField("items", "count", "record.item"),
			irAggField("total", "sum", "record.amount"),
			irAggField("mean", "avg", "record.amount"),
			irAggIf("big", "sum", "record.amount", "record.amount >= 100"),
		},
	}, in, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	rows := []aggRow{
		{"c", Number(50), String("a"), 1},
		{"c", Number(150), Null, 2},
		{"c", Number(0.1), String("b"), 3},
		{"c", Number(200), String("c"), 4},
	}
	acc := agg.NewAcc()
	for _, r := range rows {
		if err := agg.Add(acc, r.frame(), r.ts); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rows[1:3] { // take 150 and 0.1 back out
		if err := agg.Retract(acc, r.frame()); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]any{"all": 2.0, "items": 2.0, "total": 250.0, "mean": 125.0, "big": 200.0}
	if diff := cmp.Diff(want, testPlainRecord(agg.Result(nil, acc, Interval{}))); diff != "" {
		t.Errorf("after retraction (-want +got):\n%s", diff)
	}
	for _, r := range []aggRow{rows[0], rows[3]} {
		if err := agg.Retract(acc, r.frame()); err != nil {
			t.Fatal(err)
		}
	}
	want = map[string]any{"all": 0.0, "items": 0.0, "total": nil, "mean": nil, "big": nil}
	if diff := cmp.Diff(want, testPlainRecord(agg.Result(nil, acc, Interval{}))); diff != "" {
		t.Errorf("all retracted (-want +got):\n%s", diff)
	}

	mx, diags := NewAggregator(&ir.Aggregate{Fields: []ir.AggField{irAggField("m", "max", "record.amount")}}, in, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if err := mx.Retract(mx.NewAcc(), rows[0].frame()); err == nil || !strings.Contains(err.Error(), "max cannot retract") {
		t.Errorf("max retraction: err = %v, want max cannot retract", err)
	}
	for fn, ok := range map[string]bool{"count": true, "sum": true, "avg": true, "min": false, "max": false, "first": false, "last": false, "count_distinct": false} {
		if Retractable(fn) != ok {
			t.Errorf("Retractable(%s) = %v, want %v", fn, !ok, ok)
		}
	}
}

// TestOffer: a continuous top 2 (ties kept) reports what enters and what
// is pushed out, record by record.
func TestOffer(t *testing.T) {
	in := NewLayout(aggInputType)
	rk, diags := NewRanker(&ir.Top{OrderBy: []ir.OrderKey{{Expr: ir.Expr{Source: "record.amount"}, Desc: true}}, Limit: 2, Continuous: true}, in, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type step struct {
		Entered bool
		Left    []uint64
		Kept    []uint64
	}
	var rows []Ranked
	var got []step
	for i, amount := range []float64{5, 7, 6, 7, 9, 1} {
		f := aggRow{"c", Number(amount), Null, int64(i)}.frame()
		vals, err := rk.SortValues(f)
		if err != nil {
			t.Fatal(err)
		}
		kept, entered, left := rk.Offer(rows, Ranked{Vals: vals, Rec: f[0], Seq: uint64(i + 1)})
		rows = kept
		s := step{Entered: entered}
		for _, l := range left {
			s.Left = append(s.Left, l.Seq)
		}
		for _, k := range kept {
			s.Kept = append(s.Kept, k.Seq)
		}
		got = append(got, s)
	}
	want := []step{
		{true, nil, []uint64{1}},            // 5
		{true, nil, []uint64{2, 1}},         // 7 5
		{true, []uint64{1}, []uint64{2, 3}}, // 7 6: 5 out
		{true, []uint64{3}, []uint64{2, 4}}, // 7 7: 6 out
		{true, nil, []uint64{5, 2, 4}},      // 9 7 7: both 7s tie for 2nd
		{false, nil, []uint64{5, 2, 4}},     // 1 never enters
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("offers (-want +got):\n%s", diff)
	}
}
