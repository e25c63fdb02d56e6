package native

import (
	"context"
	"github.com/pipeline-compiler/pipeline/backends/internal/calibration"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
)

// TestCalibrateExamples calibrates the native backend on the examples for
// a few milliseconds per kind: every kind a spec has is measured on the
// operator that stands for it, with a positive cost over many records, and
// the synthetic records are not dead-lettered (Calibrate fails if they are).
func TestCalibrateExamples(t *testing.T) {
	tests := []struct {
		example string
		want    map[ir.Kind]string // kind → operator measured
	}{
		{"orders", map[ir.Kind]string{
			ir.KindSource: "source.orders", ir.KindFilter: "filter.big_us", ir.KindMap: "map.normalized",
			ir.KindDedupe: "dedupe.once", ir.KindJoin: "join.enriched", ir.KindRoute: "route.by_tier",
			ir.KindAggregate: "aggregate.revenue", ir.KindSink: "sink.other"}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			res, diags := lang.Load(filepath.Join("..", "..", "examples", tt.example), lang.Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var started, measured []ir.Kind
			ms, err := Calibrate(context.Background(), res.Pipeline, costprofile.Calibration{
				Duration: 5 * time.Millisecond,
				Started:  func(k ir.Kind, _ string) { started = append(started, k) },
				Measured: func(k ir.Kind, _ costprofile.Measurement) { measured = append(measured, k) },
			})
			if err != nil {
				t.Fatal(err)
			}
			got := map[ir.Kind]string{}
			for k, m := range ms {
				got[k] = m.Operator
				if !(m.NsPerRecord > 0) || m.Records < calibration.Min {
					t.Errorf("%s: %+v, want a positive cost over at least %d records", k, m, calibration.Min)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("measured operators (-want +got):\n%s", diff)
			}
			if len(started) != len(tt.want) || !slices.Equal(started, measured) {
				t.Errorf("progress: started %v, measured %v; want each kind once", started, measured)
			}
		})
	}
}
