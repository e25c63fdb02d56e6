package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// TestOperatorCounts runs 300 orders and 2 malformed lines through source
// → filter (amount >= 100) → sink: the progress and the Prometheus series
// give each operator's records in and out. Expected by hand: amounts are
// i % 200, so 100 of the 300 pass the filter.
func TestOperatorCounts(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "orders.jsonl")
	lines := []string{`{"id":`, `not json`}
	for i := range 300 {
		lines = append(lines, string(orderJSON(i)))
	}
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := worker.NewMetrics()
	var (
		mu     sync.Mutex
		last   worker.Progress
		series map[string]float64
	)
	plan := filterPlan("file:"+in, "file:"+filepath.Join(dir, "out.jsonl"), ir.AtLeastOnce)
	err := worker.Run(context.Background(), plan,
		worker.WithMetrics(m), worker.DeadLetterFile(filepath.Join(dir, "dlq.jsonl")),
		worker.OnProgress(func(p worker.Progress) {
			got := map[string]float64{}
			mfs, err := m.Registry().Gather()
			if err != nil {
				t.Error(err)
			}
			for _, mf := range mfs {
				name := mf.GetName()
				if !strings.HasPrefix(name, "pipeline_operator_records_") && name != "pipeline_watermark_seconds" {
					continue
				}
				for _, s := range mf.GetMetric() {
					labels := map[string]string{}
					for _, l := range s.GetLabel() {
						labels[l.GetName()] = l.GetValue()
					}
					if name == "pipeline_watermark_seconds" {
						got[name+" "+labels["pipeline"]+" "+labels["stage"]] = s.GetGauge().GetValue()
						continue
					}
					got[name+" "+labels["pipeline"]+" "+labels["stage"]+" "+labels["operator"]] = s.GetCounter().GetValue()
				}
			}
			mu.Lock()
			last, series = p, got
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(last.Stages) != 1 {
		t.Fatalf("progress has %d stages, want 1", len(last.Stages))
	}
	want := []worker.OperatorProgress{
		{Operator: "source.orders", RecordsIn: 302, RecordsOut: 300},
		{Operator: "filter.big", RecordsIn: 300, RecordsOut: 100},
		{Operator: "sink.out", RecordsIn: 100, RecordsOut: 100},
	}
	if d := cmp.Diff(want, last.Stages[0].Operators); d != "" {
		t.Errorf("operators (-want +got):\n%s", d)
	}
	stage := last.Stages[0].Stage
	wantSeries := map[string]float64{}
	for _, op := range want {
		wantSeries["pipeline_operator_records_in_total orders "+stage+" "+op.Operator] = float64(op.RecordsIn)
		wantSeries["pipeline_operator_records_out_total orders "+stage+" "+op.Operator] = float64(op.RecordsOut)
	}
	// File stages keep no watermark in progress (topic stages do): the
	// series follows the progress either way.
	if last.Stages[0].HasWatermark {
		wantSeries["pipeline_watermark_seconds orders "+stage] = float64(last.Stages[0].WatermarkMs) / 1000
	}
	if d := cmp.Diff(wantSeries, series); d != "" {
		t.Errorf("metrics (-want +got):\n%s", d)
	}
}

// TestPlanVersionMetric: the control plane sets the running plan version
// per pipeline, and destroying the pipeline removes its series.
func TestPlanVersionMetric(t *testing.T) {
	m := worker.NewMetrics()
	versions := func() map[string]float64 {
		got := map[string]float64{}
		mfs, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "pipeline_plan_version" {
				for _, s := range mf.GetMetric() {
					got[s.GetLabel()[0].GetValue()] = s.GetGauge().GetValue()
				}
			}
		}
		return got
	}
	m.SetPlanVersion("orders", 3)
	m.SetPlanVersion("clicks", 1)
	m.SetPlanVersion("orders", 4)
	if d := cmp.Diff(map[string]float64{"orders": 4, "clicks": 1}, versions()); d != "" {
		t.Errorf("versions (-want +got):\n%s", d)
	}
	m.SetPlanVersion("orders", 0)
	if d := cmp.Diff(map[string]float64{"clicks": 1}, versions()); d != "" {
		t.Errorf("after destroy (-want +got):\n%s", d)
	}
}
