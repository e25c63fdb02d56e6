package native

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// TestRestoreIsLazy checks that Restore reads no aggregate keys into
// memory, that a record loads only its own key, and that the restored
// windows still fire (from the store's index) as in an uninterrupted run.
func TestRestoreIsLazy(t *testing.T) {
	out := obj(map[string]cty.Type{"k": cty.String, "total": cty.Number, "window_start": cty.String, "window_end": cty.String})
	ops := []*ir.Operator{source("e", event, "record.ts"),
		{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"source.e"}, Schema: out,
			Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowHopping, SizeMs: 120_000, SlideMs: 60_000},
				Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}}}},
		sink("out", "aggregate.a", out)}
	var inputs []Input
	for i := range 300 {
		inputs = append(inputs, ev("source.e", fmt.Sprint(i), fmt.Sprint("k", i%50), float64(i), base+float64(i)*1000))
	}
	const cut = 200
	want := run(t, planOf(ops...), inputs, true)

	ctx := context.Background()
	got := newCollect()
	e1, err := New(planOf(ops...), "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs[:cut] {
		if err := e1.Process(ctx, in, got); err != nil {
			t.Fatal(err)
		}
	}
	snap := filepath.Join(t.TempDir(), "snap")
	if err := e1.Checkpoint(snap); err != nil {
		t.Fatal(err)
	}
	e1.Close()

	e2, err := New(planOf(ops...), "s", WithCacheEntries(20))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if err := e2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	agg := e2.nodes[0].(*aggNode) // nodes holds the stateful operators only
	if len(agg.keys) != 0 || len(agg.timers) != 0 {
		t.Errorf("after Restore: %d keys and %d timers in memory, want none", len(agg.keys), len(agg.timers))
	}
	if err := e2.Process(ctx, inputs[cut], got); err != nil {
		t.Fatal(err)
	}
	if len(agg.keys) != 1 {
		t.Errorf("after one record: %d keys in memory, want 1", len(agg.keys))
	}
	for _, in := range inputs[cut+1:] {
		if err := e2.Process(ctx, in, got); err != nil {
			t.Fatal(err)
		}
	}
	if err := e2.Drain(ctx, got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want.sorted(), got.sorted()); d != "" {
		t.Errorf("restored run differs (-uninterrupted +restored):\n%s", d)
	}
	if len(got.dead) != 0 {
		t.Errorf("dead letters: %v", got.dead)
	}
}

// TestJoinRestoreIsLazy is TestRestoreIsLazy for stream–stream join
// buffers: nothing is read back on Restore, and buffered records still
// match and expire (a left join's unmatched records are emitted) as in an
// uninterrupted run.
func TestJoinRestoreIsLazy(t *testing.T) {
	joined := obj(map[string]cty.Type{"id": cty.String, "n": cty.Number, "m": cty.Number})
	ops := []*ir.Operator{source("e", event, "record.ts"), source("a", event, "record.ts"),
		{ID: "join.j", Kind: ir.KindJoin, Inputs: []string{"source.e", "source.a"}, Schema: joined,
			Join: &ir.Join{Type: ir.JoinLeft, On: x("left.id == right.id"), LeftKeys: []ir.Expr{x("left.k")}, RightKeys: []ir.Expr{x("right.k")},
				Fields: fields("id", "left.id", "n", "left.n", "m", "right.n"), WithinMs: 10_000}},
		sink("out", "join.j", joined)}
	var inputs []Input
	for i := range 300 {
		id, k := fmt.Sprint(i%40), fmt.Sprint("k", i%7)
		inputs = append(inputs, ev("source.e", id, k, float64(i), base+float64(i)*1000))
		if i%3 == 0 {
			inputs = append(inputs, ev("source.a", id, k, float64(-i), base+float64(i+4)*1000))
		}
	}
	cut := len(inputs) / 2
	want := run(t, planOf(ops...), inputs, true)

	ctx := context.Background()
	got := newCollect()
	e1, err := New(planOf(ops...), "s")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs[:cut] {
		if err := e1.Process(ctx, in, got); err != nil {
			t.Fatal(err)
		}
	}
	snap := filepath.Join(t.TempDir(), "snap")
	if err := e1.Checkpoint(snap); err != nil {
		t.Fatal(err)
	}
	e1.Close()

	e2, err := New(planOf(ops...), "s")
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if err := e2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	j := e2.nodes[0].(*joinNode)
	if len(j.keys) != 0 || len(j.timers) != 0 {
		t.Errorf("after Restore: %d keys and %d timers in memory, want none", len(j.keys), len(j.timers))
	}
	for _, in := range inputs[cut:] {
		if err := e2.Process(ctx, in, got); err != nil {
			t.Fatal(err)
		}
	}
	if err := e2.Drain(ctx, got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want.sorted(), got.sorted()); d != "" {
		t.Errorf("restored run differs (-uninterrupted +restored):\n%s", d)
	}
	if len(want.out["sink.out"]) == 0 {
		t.Error("the uninterrupted run emitted nothing")
	}
}
