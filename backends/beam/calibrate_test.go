package beam

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
)

// TestCalibrateOrders calibrates the beam backend on the orders example:
// every kind is measured on Prism (beam hosts them all, state included) on
// the operator that stands for it, with a positive cost per record, and
// the synthetic records are not dead-lettered (Calibrate fails if they
// are). It runs three Prism jobs per kind.
func TestCalibrateOrders(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 24 Prism jobs; skipped with -short")
	}
	res, diags := lang.Load(filepath.Join("..", "..", "examples", "orders"), lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ms, err := Calibrate(context.Background(), res.Pipeline, costprofile.Calibration{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[ir.Kind]string{
		ir.KindSource: "source.orders", ir.KindFilter: "filter.big_us", ir.KindMap: "map.normalized",
		ir.KindRoute: "route.by_tier", ir.KindSink: "sink.other", ir.KindJoin: "join.enriched",
		ir.KindDedupe: "dedupe.once", ir.KindAggregate: "aggregate.revenue",
	}
	got := map[ir.Kind]string{}
	for k, m := range ms {
		got[k] = m.Operator
		if !(m.NsPerRecord > 0) || m.Records < calibrationSmall {
			t.Errorf("%s: %+v, want a positive cost over at least %d records", k, m, calibrationSmall)
		}
		t.Logf("%s (%s): %.0f ns/record", k, m.Operator, m.NsPerRecord)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("measured operators (-want +got):\n%s", diff)
	}
}
