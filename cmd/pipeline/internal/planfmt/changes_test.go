package planfmt

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func TestCostProfileLine(t *testing.T) {
	tests := []struct {
		profile *ir.CostProfile
		want    string
	}{
		{nil, "Cost profile: built-in defaults"},
		{&ir.CostProfile{File: "cost-profile.json", Hash: "ab", MeasuredAt: "2026-11-24T11:00:00Z", Cores: 2},
			"Cost profile: cost-profile.json (measured 2026-11-24 on 2 cores)"},
		{&ir.CostProfile{File: "p.json", MeasuredAt: "2026-01-02T00:00:00Z", Cores: 1},
			"Cost profile: p.json (measured 2026-01-02 on 1 core)"},
	}
	for _, tt := range tests {
		if got := CostProfileLine(&ir.Plan{CostProfile: tt.profile}); got != tt.want {
			t.Errorf("CostProfileLine = %q, want %q", got, tt.want)
		}
	}
}

// TestWriteChanges checks the Terraform-style list of what a plan changes
// since the last apply, at the end of the plan.
func TestWriteChanges(t *testing.T) {
	tests := []struct {
		name    string
		changes *ir.Changes
		want    string // the text after the channels
	}{
		{"no state", nil, ""},
		{"nothing changes", &ir.Changes{}, "\nNo changes: the deployed stages match this plan.\n"},
		{"moves", &ir.Changes{
			Moves: []ir.Move{{Operator: "aggregate.a", From: "native", To: "beam", Why: "cheapest placement"}},
			Add:   []ir.StageChange{{Stage: "beam.1", Backend: "beam", Operators: []string{"aggregate.a"}}},
			Change: []ir.StageChange{
				{Stage: "native.1", Backend: "native", Operators: []string{"source.s"}, Was: []string{"source.s", "aggregate.a"}},
				{Stage: "broker.1", Backend: "broker", Operators: []string{"route.r"}},
			},
			Delete: []ir.StageChange{{Stage: "native.2", Backend: "native", Operators: []string{"sink.o"}}},
		}, `
Changes since the last apply:
  move    aggregate.a: native → beam (cheapest placement)
  add     stage beam.1 on beam (aggregate.a)
  change  stage native.1 on native (source.s; was source.s, aggregate.a)
  change  stage broker.1 on broker (route.r; the spec changed)
  delete  stage native.2 on native (sink.o)

Plan: 1 to move, 1 to add, 2 to change, 1 to delete.
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := routePlan()
			p.Changes = tt.changes
			var b bytes.Buffer
			if err := Write(&b, p); err != nil {
				t.Fatal(err)
			}
			_, got, ok := strings.Cut(b.String(), "(broker.1 → native.1)\n")
			if !ok {
				t.Fatalf("no channels in:\n%s", b.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
