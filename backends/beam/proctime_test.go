package beam

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// procSpec is a processing-time aggregate of bids per bidder; %s is the
// window.
const procSpec = `
pipeline "proc" {}
source "bid" {
  topic      = "bids"
  schema     = object({ bidder = number, dateTime = string })
  event_time = record.dateTime
}
aggregate "per_bidder" {
  input       = source.bid
  key         = { bidder = record.bidder }
  window      = %s
  window_time = "processing"
  fields      = { bids = count() }
}
sink "out" {
  input = aggregate.per_bidder
  topic = "out"
}
`

// procBids arrive in this order; the last one arrives when the event-time
// watermark is 00:00:26, so on the event-time clock all its windows have
// fired.
var procBids = []string{
	`{"bidder":1,"dateTime":"2026-01-01T00:00:01Z"}`,
	`{"bidder":2,"dateTime":"2026-01-01T00:00:03Z"}`,
	`{"bidder":1,"dateTime":"2026-01-01T00:00:15Z"}`,
	`{"bidder":1,"dateTime":"2026-01-01T00:00:24Z"}`,
	`{"bidder":2,"dateTime":"2026-01-01T00:00:26Z"}`,
	`{"bidder":1,"dateTime":"2026-01-01T00:00:05Z"}`,
}

// TestProcessingTimeWindows runs processing-time aggregates on Prism: in
// a deployed stage they group records by the wall clock when they reach
// the aggregate (here a stopped clock, so every record arrives at the same
// instant whatever its dateTime) and nothing is late; under
// WithEventTimeClock, as in tests, records arrive at their event time and
// the last bid is late, as native's simulated clock has it.
func TestProcessingTimeWindows(t *testing.T) {
	if testing.Short() {
		t.Skip("runs pipelines on Prism")
	}
	const now = "2026-06-01T12:00:07Z" // the stopped wall clock
	win := func(bidder, bids int, end, start string) string {
		return fmt.Sprintf(`{"bidder":%d,"bids":%d,"window_end":"2026-%s","window_start":"2026-%s"}`, bidder, bids, end, start)
	}
	tests := []struct {
		name, window string
		eventClock   bool
		want         []string
		late         int // dead letters, reason late
	}{
		{
			name: "wall clock, tumbling", window: `tumbling("10s")`,
			want: []string{
				win(1, 4, "06-01T12:00:10Z", "06-01T12:00:00Z"),
				win(2, 2, "06-01T12:00:10Z", "06-01T12:00:00Z"),
			},
		},
		{
			name: "wall clock, hopping", window: `hopping("10s", "5s")`,
			// 12:00:07 is in [12:00:00, 12:00:10) and [12:00:05, 12:00:15).
			want: []string{
				win(1, 4, "06-01T12:00:10Z", "06-01T12:00:00Z"),
				win(1, 4, "06-01T12:00:15Z", "06-01T12:00:05Z"),
				win(2, 2, "06-01T12:00:10Z", "06-01T12:00:00Z"),
				win(2, 2, "06-01T12:00:15Z", "06-01T12:00:05Z"),
			},
		},
		{
			name: "wall clock, session", window: `session("30s")`,
			// Every arrival at 12:00:07: one session [12:00:07, 12:00:37) per bidder.
			want: []string{
				win(1, 4, "06-01T12:00:37Z", "06-01T12:00:07Z"),
				win(2, 2, "06-01T12:00:37Z", "06-01T12:00:07Z"),
			},
		},
		{
			name: "event-time clock, tumbling", window: `tumbling("10s")`, eventClock: true,
			// Windows of dateTime; bidder 1's 00:00:05 arrives when the
			// watermark is 00:00:26: its window [0, 10) has fired.
			want: []string{
				win(1, 1, "01-01T00:00:10Z", "01-01T00:00:00Z"),
				win(1, 1, "01-01T00:00:20Z", "01-01T00:00:10Z"),
				win(1, 1, "01-01T00:00:30Z", "01-01T00:00:20Z"),
				win(2, 1, "01-01T00:00:10Z", "01-01T00:00:00Z"),
				win(2, 1, "01-01T00:00:30Z", "01-01T00:00:20Z"),
			},
			late: 1,
		},
		{
			name: "event-time clock, session", window: `session("10s")`, eventClock: true,
			// Bidder 1: 00:00:01 → [1, 11); 00:00:15 → [15, 25), which
			// 00:00:24's [24, 34) overlaps → [15, 34); 00:00:05 is late
			// ([5, 15) ends before the watermark 00:00:26). Bidder 2:
			// [3, 13) and [26, 36).
			want: []string{
				win(1, 1, "01-01T00:00:11Z", "01-01T00:00:01Z"),
				win(1, 2, "01-01T00:00:34Z", "01-01T00:00:15Z"),
				win(2, 1, "01-01T00:00:13Z", "01-01T00:00:03Z"),
				win(2, 1, "01-01T00:00:36Z", "01-01T00:00:26Z"),
			},
			late: 1,
		},
	}
	nowMs, err := eval.ParseTimestamp(now)
	if err != nil {
		t.Fatal(err)
	}
	saved := wallClock
	wallClock = func() int64 { return nowMs }
	defer func() { wallClock = saved }()

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, diags := lang.LoadFiles(map[string][]byte{"spec.hcl": fmt.Appendf(nil, procSpec, tt.window)}, lang.Options{})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			out, err := runGiven(res.Pipeline, "source.bid", procBids, tt.eventClock)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(normalized(t, toStrings(tt.want)), normalized(t, out.Got["sink.out"])); diff != "" {
				t.Errorf("sink.out (-want +got):\n%s", diff)
			}
			late := 0
			for _, d := range out.DeadLetters {
				if d.Reason != ReasonLate {
					t.Errorf("dead letter %s: %s", d.Reason, d.Err)
				}
				late++
			}
			if late != tt.late {
				t.Errorf("%d late records, want %d", late, tt.late)
			}
		})
	}
}

// runGiven runs p's one stage on Prism here with records given to source
// src in order, as TestRunner does, with or without the event-time clock.
func runGiven(p *ir.Pipeline, src string, records []string, eventClock bool) (testrun.Outputs, error) {
	plan := testPlan(p)
	f := Feed{Stream: src}
	for i, r := range records {
		f.Records = append(f.Records, Record{Value: []byte(r), Offset: int64(i)})
	}
	feeds := []Feed{f}
	if err := Sequence(plan, testStage, feeds); err != nil {
		return testrun.Outputs{}, err
	}
	io := newTestIO(feeds)
	defer io.close()
	opts := []Option{}
	if eventClock {
		opts = append(opts, WithEventTimeClock())
	}
	pipe, err := Build(plan, testStage, io, opts...)
	if err != nil {
		return testrun.Outputs{}, err
	}
	if err := Run(context.Background(), pipe, "proctime"); err != nil {
		return testrun.Outputs{}, err
	}
	return io.outputs(), nil
}

func toStrings(s []string) [][]byte {
	var b [][]byte
	for _, x := range s {
		b = append(b, []byte(x))
	}
	return b
}

// normalized re-encodes JSON records with sorted keys, sorted, for a
// multiset comparison.
func normalized(t *testing.T, recs [][]byte) []string {
	t.Helper()
	var out []string
	for _, r := range recs {
		var v any
		if err := json.Unmarshal(r, &v); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		b, _ := json.Marshal(v)
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}
