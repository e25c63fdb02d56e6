package native

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// rollup is issue 16's aggregate of an aggregate: per-minute sums with 30 s
// of allowed lateness, rolled up into 5-minute windows with none.
func rollup() []*ir.Operator {
	perMin := aggregate(ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000}, 30_000)
	perMin.ID = "aggregate.per_minute"
	per5Out := obj(map[string]cty.Type{"k": cty.String, "hits": cty.Number, "minutes": cty.Number, "window_start": cty.String, "window_end": cty.String})
	per5 := &ir.Operator{ID: "aggregate.per_5min", Kind: ir.KindAggregate, Inputs: []string{"aggregate.per_minute"}, Schema: per5Out,
		Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 300_000},
			Fields: []ir.AggField{{Name: "hits", Func: ir.AggSum, Arg: xp("record.total")}, {Name: "minutes", Func: ir.AggCount}}}}
	return []*ir.Operator{source("e", event, "record.ts"), perMin, per5, sink("out", "aggregate.per_5min", per5Out)}
}

// rollupInputs: issue 16's case for key a: n = 1, 2, 4, … 128 at
// 00:00:10, 00:01:10, … 00:07:10, interleaved with b (ten times a); then
// one record of c at 00:07:50. Nothing is late.
func rollupInputs() []Input {
	var ins []Input
	for i := range 8 {
		ins = append(ins, at("a", float64(int(1)<<i), float64(60*i+10)), at("b", float64(int(10)<<i), float64(60*i+10)))
	}
	return append(ins, at("c", 0, 60*7+50))
}

// jumpInputs: minutes 0–5 of a and b, then c at 00:07:50, which moves the
// watermark past the ends of minutes 4 and 5 of both keys at once, then
// minute 7 of a and b.
func jumpInputs() []Input {
	var ins []Input
	for i := range 6 {
		ins = append(ins, at("a", float64(int(1)<<i), float64(60*i+10)), at("b", float64(int(10)<<i), float64(60*i+10)))
	}
	return append(ins, at("c", 0, 60*7+50), at("a", 128, 60*7+10), at("b", 1280, 60*7+15))
}

// rollupOut is an expected 5-minute result; start and end in seconds.
func rollupOut(k string, hits, minutes float64, start, end int) string {
	return js("k", k, "hits", hits, "minutes", minutes, "window_start", isoAt(start), "window_end", isoAt(end))
}

func isoAt(sec int) string {
	return time.Date(2026, 1, 1, 0, 0, sec, 0, time.UTC).Format(time.RFC3339)
}

// rollupWant is computed by hand: [00:00, 00:05) holds minutes 0–4
// (1+2+4+8+16 = 31), [00:05, 00:10) minutes 5–7 (32+64+128 = 224).
var rollupWant = []string{
	rollupOut("a", 31, 5, 0, 300), rollupOut("a", 224, 3, 300, 600),
	rollupOut("b", 310, 5, 0, 300), rollupOut("b", 2240, 3, 300, 600),
	rollupOut("c", 0, 1, 300, 600),
}

// jumpWant: minute 6 is missing, so [00:05, 00:10) holds 32+128 = 160
// from two minutes.
var jumpWant = []string{
	rollupOut("a", 31, 5, 0, 300), rollupOut("a", 160, 2, 300, 600),
	rollupOut("b", 310, 5, 0, 300), rollupOut("b", 1600, 2, 300, 600),
	rollupOut("c", 0, 1, 300, 600),
}

// TestRollup: a downstream allowed_lateness below the upstream's loses
// nothing, in one stage and across a channel.
func TestRollup(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []Input
		want []string
	}{{"in order", rollupInputs(), rollupWant}, {"watermark jump", jumpInputs(), jumpWant}} {
		t.Run(c.name+"/one stage", func(t *testing.T) {
			got := run(t, planOf(rollup()...), c.in, true)
			check(t, got, c.want)
		})
		t.Run(c.name+"/across a channel", func(t *testing.T) {
			check(t, runSplit(t, c.in), c.want)
		})
	}
}

func check(t *testing.T, got *collect, want []string) {
	t.Helper()
	if len(got.dead) > 0 {
		t.Errorf("dead letters %v, want none", got.dead)
	}
	want = slices.Clone(want)
	slices.Sort(want)
	if d := cmp.Diff(map[string][]string{"sink.out": want}, got.sorted()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// runSplit runs rollup with the two aggregates in two stages joined by a
// channel; the second stage's watermark comes from the event times of the
// first one's results.
func runSplit(t *testing.T, ins []Input) *collect {
	plan := planOf(rollup()...)
	plan.Stages = []*ir.Stage{
		{ID: "s1", Backend: ir.BackendNative, Operators: []string{"source.e", "aggregate.per_minute"}},
		{ID: "s2", Backend: ir.BackendNative, Operators: []string{"aggregate.per_5min", "sink.out"}},
	}
	plan.Channels = []*ir.Channel{{From: "aggregate.per_minute", To: "aggregate.per_5min", Topic: "t.per_minute", Stream: "aggregate.per_minute"}}
	ctx := context.Background()
	s1, err := New(plan, "s1")
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := New(plan, "s2")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	got := newCollect()
	mid := &forward{ctx: ctx, next: s2, t: t, out: got}
	for _, i := range ins {
		if err := s1.Process(ctx, i, mid); err != nil {
			t.Fatal(err)
		}
	}
	if err := s1.Drain(ctx, mid); err != nil {
		t.Fatal(err)
	}
	if err := s2.Drain(ctx, got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestMaxFuture: a record further than max_future (default 1h) ahead of
// the greatest event time seen is dead-lettered as future and moves
// nothing; after a pause in the input the wall clock is the reference.
func TestMaxFuture(t *testing.T) {
	plan := planOf(source("e", event, "record.ts"), aggregate(ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000}, 0), sink("out", "aggregate.a", aggOut))
	e, err := New(plan, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	c := newCollect()
	for _, i := range []Input{at("a", 1, 10), at("a", 1, 2*3600), at("a", 1, 20)} {
		if err := e.Process(ctx, i, c); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff([]string{"source.e future"}, c.dead); d != "" {
		t.Errorf("dead letters (-want +got):\n%s", d)
	}
	if got, want := e.Watermark(), int64(base+20_000); got != want {
		t.Errorf("watermark %d, want %d", got, want)
	}
	// Three hours later by the wall clock, input resumes: not future.
	if err := e.Advance(ctx, base+3*3600_000, c); err != nil {
		t.Fatal(err)
	}
	if err := e.Process(ctx, at("a", 1, 3*3600-60), c); err != nil {
		t.Fatal(err)
	}
	if len(c.dead) != 1 {
		t.Errorf("dead letters %v after the pause, want only the first", c.dead)
	}
}
