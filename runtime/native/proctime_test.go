package native

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

// procStep is one step of a processing-time test: at clock second clock,
// either a record arrives (rec) or the runner calls Advance (rec nil).
type procStep struct {
	clock float64
	rec   *Input
}

func arrive(clock float64, in Input) procStep { return procStep{clock: clock, rec: &in} }
func tick(clock float64) procStep             { return procStep{clock: clock} }

// TestProcessingTimeWindows: windows follow the injected clock, not the
// records' event times, and fire at the first Advance at or after their
// end. The event times are chosen to fall in other windows (or far from
// the clock), so an event-time grouping would give other results.
func TestProcessingTimeWindows(t *testing.T) {
	proc := func(w ir.Window) ir.Window { w.Time = ir.WindowProcessingTime; return w }
	tests := []struct {
		name   string
		window ir.Window
		steps  []procStep
		// want is what each Advance emitted, in order, then what Drain
		// emitted.
		want [][]string
	}{
		{
			name:   "tumbling: arrival decides the window, an Advance past the end fires it",
			window: proc(ir.Window{Kind: ir.WindowTumbling, SizeMs: 10_000}),
			steps: []procStep{
				arrive(1, at("a", 1, 100)), // event time 100 s, arrives at 1 s
				arrive(5, at("a", 2, 0)),
				arrive(9.999, at("b", 8, 55)),
				tick(9.999), // [0,10) has not ended
				arrive(12, at("b", 4, 3)),
				tick(10), // [0,10) ends
				tick(25), // [10,20) ends
			},
			want: [][]string{
				nil,
				{win("a", 3, 2, 0, 10), win("b", 8, 1, 0, 10)},
				{win("b", 4, 1, 10, 20)},
				nil, // drain: nothing left
			},
		},
		{
			name:   "hopping: one arrival is in two windows, each fires at its end",
			window: proc(ir.Window{Kind: ir.WindowHopping, SizeMs: 10_000, SlideMs: 5_000}),
			steps: []procStep{
				arrive(7, at("a", 1, 1000)),
				tick(10),
				tick(14),
				tick(15),
			},
			want: [][]string{
				{win("a", 1, 1, 0, 10)},
				nil,
				{win("a", 1, 1, 5, 15)},
				nil,
			},
		},
		{
			name:   "session: the gap is measured between arrivals",
			window: proc(ir.Window{Kind: ir.WindowSession, GapMs: 5_000}),
			steps: []procStep{
				arrive(1, at("a", 1, 0)),
				arrive(4, at("a", 2, 0)),
				arrive(12, at("a", 4, 2)), // 8 s after the last: a new session
				tick(9),                   // 4 s + the 5 s gap
				tick(16),
			},
			want: [][]string{
				{win("a", 3, 2, 1, 9)},
				nil,
				{win("a", 4, 1, 12, 17)}, // drain
			},
		},
		{
			name:   "without an Advance, windows fire at Drain",
			window: proc(ir.Window{Kind: ir.WindowTumbling, SizeMs: 10_000}),
			steps:  []procStep{arrive(3, at("a", 1, 30)), arrive(14, at("a", 2, 31))},
			want:   [][]string{{win("a", 1, 1, 0, 10), win("a", 2, 1, 10, 20)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var now int64
			plan := planOf(source("e", event, "record.ts"), aggregate(tc.window, 0), sink("out", "aggregate.a", aggOut))
			e, err := New(plan, "s", WithClock(func() int64 { return now }))
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			ctx := context.Background()
			c := newCollect()
			var got [][]string
			emitted := 0
			flush := func() {
				var batch []string
				batch = append(batch, c.out["sink.out"][emitted:]...)
				emitted = len(c.out["sink.out"])
				got = append(got, batch)
			}
			for _, s := range tc.steps {
				now = base + int64(s.clock*1000)
				if s.rec != nil {
					if err := e.Process(ctx, *s.rec, c); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := e.Advance(ctx, now, c); err != nil {
					t.Fatal(err)
				}
				flush()
			}
			if err := e.Drain(ctx, c); err != nil {
				t.Fatal(err)
			}
			flush()
			if len(c.dead) > 0 {
				t.Errorf("dead letters: %v", c.dead)
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b []string) bool {
				return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b))
			})); diff != "" {
				t.Errorf("emitted per Advance, then Drain (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEventTimeClock: with WithEventTimeClock (the test runner's) a
// processing-time aggregate groups by event time, so test blocks are
// deterministic.
func TestEventTimeClock(t *testing.T) {
	w := ir.Window{Kind: ir.WindowTumbling, SizeMs: 10_000, Time: ir.WindowProcessingTime}
	plan := planOf(source("e", event, "record.ts"), aggregate(w, 0), sink("out", "aggregate.a", aggOut))
	c := run(t, plan, []Input{at("a", 1, 3), at("a", 2, 12), at("a", 4, 15)}, true, WithEventTimeClock(),
		WithClock(func() int64 { panic("the event-time clock reads no wall clock") }))
	want := []string{win("a", 1, 1, 0, 10), win("a", 6, 2, 10, 20)}
	if diff := cmp.Diff(want, c.out["sink.out"]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
