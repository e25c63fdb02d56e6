package optimizer_test

import (
	"bytes"
	"math"
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

// TestStatelessPrefixOnTheBroker is issue 15's placement: with event time
// read by the source, the stateless prefix runs on the broker and the
// session window on native, joined by one channel that is also the
// aggregate's repartition topic, so it is charged once. Every cost is
// computed by hand from testCapabilities and the estimation defaults.
func TestStatelessPrefixOnTheBroker(t *testing.T) {
	res, diags := lang.Load(filepath.Join("testdata", "sessions"), lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan, diags := optimizer.Plan(res.Pipeline, optimizer.TestBackends, optimizer.WithExplain())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type stage struct {
		Backend   string
		Operators []string
	}
	var got []stage
	for _, st := range plan.Stages {
		got = append(got, stage{st.Backend, st.Operators})
	}
	want := []stage{
		{ir.BackendBroker, []string{"source.clicks", "filter.big", "map.norm"}},
		{ir.BackendNative, []string{"aggregate.per_user", "sink.out"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("stages (-want +got):\n%s", diff)
	}
	// The filter halves 1000 records/s of 200 bytes (the defaults): the
	// channel carries 100 kB/s at 3e-9 per byte at each end.
	if len(plan.Channels) != 1 || math.Abs(plan.Channels[0].Cost-6e-4) > 1e-9 {
		t.Fatalf("channels = %+v, want one costing 0.0006", plan.Channels)
	}
	// Running: the source decodes 3 of 6 fields (0.78 + 0.22/2 of 1e-6 per
	// record) and the filter 0.5e-6 per record, both at 1000/s; the map
	// 0.5e-6 at 500/s. The aggregate: 3e-6 at 500/s; the sink 1e-6 at
	// the sessions' rate (100000 keys / 300 s, as the input allows) plus
	// 1e-9 per byte of results of 5 fields of 16 bytes. Stages: 0.05 + 0.5.
	running := 1000*1e-6*(0.78+0.22*0.5) + 1000*0.5e-6 + 500*0.5e-6 + 500*3e-6 + (1e-6*(100000.0/300) + 1e-9*(100000.0/300)*80)
	if wantCost := running + 6e-4 + 0.55; math.Abs(plan.Cost-wantCost) > 1e-6 {
		t.Errorf("plan cost = %v, want %v", plan.Cost, wantCost)
	}
	var stages float64
	for _, st := range plan.Stages {
		stages += st.Cost
	}
	if math.Abs(plan.Cost-(stages+plan.Channels[0].Cost+0.55)) > 1e-5 {
		t.Errorf("plan cost %v is not its stages' %v + its channel's %v + the fixed 0.55: a topic is charged twice", plan.Cost, stages, plan.Channels[0].Cost)
	}
}
