package beam_test

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/ir"
)

// TestSequence checks the arrival order and watermarks a test feed gets:
// the payments example fed as its tests feed it (both streams declared up
// front, so the watermark waits for the second), with a record that does
// not decode and one without a valid event time, neither of which moves
// the watermark.
func TestSequence(t *testing.T) {
	p := load(t, "payments")
	stage := &ir.Stage{ID: "s", Backend: ir.BackendBeam}
	for _, op := range p.Operators {
		stage.Operators = append(stage.Operators, op.ID)
	}
	plan := &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p, Stages: []*ir.Stage{stage}}
	rec := func(v string) beam.Record { return beam.Record{Value: []byte(v)} }
	feeds := []beam.Feed{
		{Stream: "source.payments", Records: []beam.Record{
			rec(`{"id":"p1","ts":"2026-01-01T10:00:00Z"}`),
			rec(`{"id":"p2","ts":"2026-01-01T10:05:00Z"}`),
		}},
		{Stream: "source.authorizations", Records: []beam.Record{
			rec(`{"payment_id":"p2","ts":"2026-01-01T10:01:00Z"}`),
			rec(`not json`),
			rec(`{"payment_id":"p1","ts":"yesterday"}`),
			rec(`{"payment_id":"p1","ts":"2026-01-01T10:07:00Z"}`),
			rec(`{"payment_id":"p3","ts":"2026-01-01T10:06:00Z"}`),
		}},
	}
	if err := beam.Sequence(plan, "s", feeds); err != nil {
		t.Fatal(err)
	}
	ms := func(s string) int64 { return mustMs(t, s) }
	type sw struct{ Seq, Wm int64 }
	var got []sw
	for _, f := range feeds {
		for _, r := range f.Records {
			got = append(got, sw{r.Seq, r.WatermarkMs})
		}
	}
	none := int64(math.MinInt64)
	want := []sw{
		{1, none}, {2, none}, // authorizations not seen yet
		{3, none},
		{4, ms("2026-01-01T10:01:00Z")}, // min(10:05, 10:01)
		{5, ms("2026-01-01T10:01:00Z")},
		{6, ms("2026-01-01T10:01:00Z")},
		{7, ms("2026-01-01T10:05:00Z")}, // min(10:05, 10:07)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func mustMs(t *testing.T, s string) int64 {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UnixMilli()
}
