package optimizer_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/optimizer"
)

// TestExamplePlacements checks the placements the examples promise: the
// log normalization entirely on the broker once a broker backend is
// enabled, everything on native where no backend block exists.
func TestExamplePlacements(t *testing.T) {
	tests := []struct {
		example string
		all     string // the backend every operator runs on
	}{
		{"lognorm", ir.BackendBroker},
		{"orders", ir.BackendNative},
		{"iot", ir.BackendNative},
		{"payments", ir.BackendNative},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			res, diags := lang.Load(filepath.Join("..", "examples", tt.example), lang.Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			plan, diags := optimizer.Plan(res.Pipeline, optimizer.TestBackends, optimizer.WithExplain())
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got := map[string]int{}
			for _, st := range plan.Stages {
				got[st.Backend] += len(st.Operators)
				if st.Why == "" {
					t.Errorf("stage %s has no why", st.ID)
				}
			}
			want := map[string]int{tt.all: len(res.Pipeline.Operators)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("operators per backend (-want +got):\n%s", diff)
			}
			if plan.Cost <= 0 {
				t.Errorf("plan cost = %v, want > 0", plan.Cost)
			}
			if len(plan.Explain) != len(res.Pipeline.Operators) {
				t.Errorf("explain has %d operators, want %d", len(plan.Explain), len(res.Pipeline.Operators))
			}
			again, _ := optimizer.Plan(res.Pipeline, optimizer.TestBackends, optimizer.WithExplain())
			a, _ := plan.Encode()
			b, _ := again.Encode()
			if !bytes.Equal(a, b) {
				t.Error("two plans of the same spec differ")
			}
			for _, st := range plan.Stages {
				t.Logf("%s: %s — %s", st.ID, strings.Join(st.Operators, ", "), st.Why)
			}
		})
	}
}
