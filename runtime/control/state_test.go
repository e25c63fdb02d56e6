package control

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// A restarted stage keeps its state unless a stateful operator it held
// changed shape: the compatibility rules plan reports (ir.StateShape).
func TestCheckStateFollowsTheCompatibilityRules(t *testing.T) {
	schema := testkit.Obj(map[string]cty.Type{"id": cty.String, "customer": cty.String, "amount": cty.Number, "ts": cty.String})
	plan := func(edit func(agg *ir.Operator) []*ir.Operator) *ir.Plan {
		agg := &ir.Operator{ID: "aggregate.revenue", Kind: ir.KindAggregate, Name: "revenue", Inputs: []string{"source.orders"}, Schema: schema,
			Aggregate: &ir.Aggregate{Key: testkit.Fields("customer", "record.customer"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
				AllowedLatenessMs: 10_000, Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: testkit.XP("record.amount")}}}}
		extra := edit(agg)
		return testkit.PlanOf(append([]*ir.Operator{testkit.Source("orders", schema, "record.ts"), agg}, extra...)...)
	}
	none := func(*ir.Operator) []*ir.Operator { return nil }
	tests := []struct {
		name string
		edit func(agg *ir.Operator) []*ir.Operator
		kept bool
	}{
		{"unchanged", none, true},
		{"allowed_lateness", func(a *ir.Operator) []*ir.Operator { a.Aggregate.AllowedLatenessMs = 60_000; return nil }, true},
		{"a dedupe added to the stage", func(*ir.Operator) []*ir.Operator {
			return []*ir.Operator{{ID: "dedupe.once", Kind: ir.KindDedupe, Name: "once", Inputs: []string{"source.orders"}, Schema: schema,
				Dedupe: &ir.Dedupe{Key: testkit.X("record.id"), WithinMs: 3_600_000}}}
		}, true},
		{"renamed with a moved block", func(a *ir.Operator) []*ir.Operator {
			a.ID, a.Identity = "aggregate.by_customer", "aggregate.revenue"
			return nil
		}, true},
		{"key", func(a *ir.Operator) []*ir.Operator {
			a.Aggregate.Key = testkit.Fields("customer", "lower(record.customer)")
			return nil
		}, false},
		{"window", func(a *ir.Operator) []*ir.Operator { a.Aggregate.Window.SizeMs = 300_000; return nil }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &server{cfg: Config{StateDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}}
			check := func(p *ir.Plan) {
				t.Helper()
				_, stateFP, err := fingerprints(p, p.Stages[0])
				if err != nil {
					t.Fatal(err)
				}
				if err := s.checkState(p, p.Stages[0], stateFP); err != nil {
					t.Fatal(err)
				}
			}
			before := plan(none)
			check(before)
			marker := filepath.Join(worker.StageStateDir(s.cfg.StateDir, before, before.Stages[0]), "checkpoint")
			if err := os.WriteFile(marker, []byte("state"), 0o600); err != nil {
				t.Fatal(err)
			}
			check(plan(tc.edit))
			_, err := os.Stat(marker)
			if kept := err == nil; kept != tc.kept {
				t.Errorf("state kept = %v, want %v", kept, tc.kept)
			}
		})
	}
}
