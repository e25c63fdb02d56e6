package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// eventsPlan counts events per key in one-hour windows on record.ms. Split
// puts the count behind a repartition channel, as the planner does when
// the source is not keyed; otherwise everything runs in one stage.
func eventsPlan(split bool) *ir.Plan {
	e := func(src string) ir.Expr { return ir.Expr{Source: src} }
	events := ir.Schema{Type: cty.Object(map[string]cty.Type{"k": cty.String, "ms": cty.Number})}
	counts := ir.Schema{Type: cty.Object(map[string]cty.Type{"k": cty.String, "n": cty.Number, "window_start": cty.String, "window_end": cty.String})}
	et := e("record.ms")
	p := &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline: &ir.Pipeline{
			Name: "ev", Optimize: "cost", DeadLetterTopic: "ev.dlq",
			Backends: []*ir.Backend{{Name: ir.BackendNative}},
			Operators: []*ir.Operator{
				{ID: "source.events", Kind: ir.KindSource, Name: "events", Schema: events,
					// Its records jump centuries apart on purpose: max_future
					// (which would dead-letter them as future) is out of the way.
					Source: &ir.Source{Topic: "events", Format: "json", EventTime: &et, MaxFutureMs: 400_000 * 365 * 24 * 3_600_000}},
				{ID: "aggregate.per_k", Kind: ir.KindAggregate, Name: "per_k", Inputs: []string{"source.events"}, Schema: counts,
					Aggregate: &ir.Aggregate{Key: []ir.Field{{Name: "k", Expr: e("record.k")}},
						Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 3_600_000},
						Fields: []ir.AggField{{Name: "n", Func: ir.AggCount}}}},
				{ID: "sink.out", Kind: ir.KindSink, Name: "out", Inputs: []string{"aggregate.per_k"}, Schema: counts,
					Sink: &ir.Sink{Topic: "out", Format: "json", Delivery: ir.AtLeastOnce}},
			},
		},
	}
	if !split {
		p.Stages = []*ir.Stage{{ID: "native.1", Backend: ir.BackendNative,
			Operators: []string{"source.events", "aggregate.per_k", "sink.out"},
			Inputs:    []string{"events"}, Outputs: []string{"out", "ev.dlq"}}}
		return p
	}
	p.Stages = []*ir.Stage{
		{ID: "native.1", Backend: ir.BackendNative, Operators: []string{"source.events"},
			Inputs: []string{"events"}, Outputs: []string{"ev.source.events", "ev.dlq"}},
		{ID: "native.2", Backend: ir.BackendNative, Operators: []string{"aggregate.per_k", "sink.out"},
			Inputs: []string{"ev.source.events"}, Outputs: []string{"out", "ev.dlq"}},
	}
	p.Channels = []*ir.Channel{{From: "source.events", To: "aggregate.per_k", Topic: "ev.source.events", Stream: "source.events",
		Key: []ir.Expr{e("record.k")}, Repartition: true}}
	return p
}

// TestEventTimeOutsideKafkaTimestamps sends event times that a Kafka
// record timestamp cannot carry (before 1970, after 2262) through a
// repartition channel and through one stage: both must put each record in
// the window of its own time. A time past year 9999 goes to the
// dead-letter topic with reason event_time.
func TestEventTimeOutsideKafkaTimestamps(t *testing.T) {
	at := func(y int, m time.Month, d, h, min int) int64 {
		return time.Date(y, m, d, h, min, 0, 0, time.UTC).UnixMilli()
	}
	// Ascending, so that no record is late.
	inputs := []struct {
		k  string
		ms int64
	}{
		{"year1", at(1, 1, 1, 0, 10)},
		{"y1969", at(1969, 12, 31, 23, 10)},
		{"y2026", at(2026, 1, 1, 0, 10)},
		{"y2300", at(2300, 1, 1, 0, 10)},
		{"y2300", at(2300, 1, 1, 0, 50)},
		{"past9999", 300_000_000_000_000}, // year 11476
	}
	want := []string{
		"year1 0001-01-01T00:00:00Z 1",
		"y1969 1969-12-31T23:00:00Z 1",
		"y2026 2026-01-01T00:00:00Z 1",
		"y2300 2300-01-01T00:00:00Z 2",
	}
	for _, split := range []bool{false, true} {
		t.Run(fmt.Sprintf("split=%v", split), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			b, err := embedded.Start(ctx, embedded.Partitions(1))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.DefaultProduceTopic("events"), kgo.AllowAutoTopicCreation())
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range inputs {
				v := fmt.Sprintf(`{"k":%q,"ms":%d}`, in.k, in.ms)
				if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
			cl.Close()
			if err := worker.Run(ctx, eventsPlan(split), worker.Brokers(b.Addrs()...), worker.StateDir(t.TempDir()),
				worker.ExitWhenIdle(2*time.Second), worker.InstanceID("test")); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range consumeAll(t, b.Addrs(), "out", len(want), 2*time.Second) {
				var w struct {
					K     string `json:"k"`
					N     int    `json:"n"`
					Start string `json:"window_start"`
				}
				if err := json.Unmarshal(r.Value, &w); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %s %d", w.K, w.Start, w.N))
			}
			sort.Strings(got)
			sort.Strings(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("windows (-want +got):\n%s", d)
			}
			dead := consumeAll(t, b.Addrs(), "ev.dlq", 1, 2*time.Second)
			if len(dead) != 1 || headers(dead[0])[record.HeaderReason] != "event_time" {
				for _, d := range dead {
					t.Logf("dead letter %s %v", d.Value, headers(d))
				}
				t.Errorf("got %d dead letters, want 1 with reason event_time", len(dead))
			}
		})
	}
}
