package optimizer

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// bigState is a pipeline whose aggregate keeps ≈ 30 GiB of keyed state: a
// billion keys of a one-minute tumbling window.
func bigState(backends ...string) *ir.Pipeline {
	agg := op(2, ir.KindAggregate, "sessions", "source.clicks")
	agg.Stats.KeyCardinality = 1e9
	return pipeline(backends, op(1, ir.KindSource, "clicks"), agg, op(3, ir.KindSink, "out", "aggregate.sessions"))
}

func TestCostPlacement(t *testing.T) {
	budget := bigState("native")
	budget.Backends[0].Attributes = map[string]ir.Const{"state_budget": {Value: cty.StringVal("64GiB")}}
	cheap := pipeline([]string{"broker"},
		op(1, ir.KindSource, "orders"), op(2, ir.KindFilter, "big", "source.orders"), op(3, ir.KindSink, "out", "filter.big"))
	exactly := pipeline([]string{"broker"},
		op(1, ir.KindSource, "orders"), op(2, ir.KindFilter, "big", "source.orders"), op(3, ir.KindSink, "out", "filter.big"))
	exactly.Operators[2].Sink.Delivery = ir.ExactlyOnce
	exactly.Operators[0].Stats.Rate = 200000
	exactly.Operators[1].Stats.Selectivity = 0.1 // the channel to native carries a tenth

	tests := []struct {
		name    string
		p       *ir.Pipeline
		backend map[string]string // operator → backend
		whyHas  []string          // substrings of the stages' whys
		errHas  string            // substring of an error diagnostic
	}{
		{
			name:    "state over the native budget goes to beam",
			p:       bigState("beam"),
			backend: map[string]string{"source.clicks": "beam", "aggregate.sessions": "beam", "sink.out": "beam"},
			whyHas:  []string{"not native: keyed state ≈ 30 GiB exceeds the budget of 8 GiB"},
		},
		{
			name:   "state over the native budget with no other backend is an error at the operator",
			p:      bigState(),
			errHas: "native: keyed state ≈ 30 GiB exceeds the budget of 8 GiB",
		},
		{
			name:   "a pin to a backend whose limit the operator breaks is an error at the operator",
			p:      func() *ir.Pipeline { p := bigState(); pin(p.Operators[1], "native"); return p }(),
			errHas: "aggregate.sessions cannot run on native",
		},
		{
			name: "a state_budget that is not a size is an error",
			p: func() *ir.Pipeline {
				p := bigState("native")
				p.Backends[0].Attributes = map[string]ir.Const{"state_budget": {Value: cty.StringVal("lots")}}
				return p
			}(),
			errHas: `"lots" is not a size`,
		},
		{
			name:    "a backend block's state_budget raises the limit",
			p:       budget,
			backend: map[string]string{"source.clicks": "native", "aggregate.sessions": "native", "sink.out": "native"},
		},
		{
			name:    "a stateless filter runs on the broker and cuts bytes there",
			p:       cheap,
			backend: map[string]string{"source.orders": "broker", "filter.big": "broker", "sink.out": "broker"},
			whyHas:  []string{"stateless and cuts 50% of bytes before they leave the broker", "native would cost"},
		},
		{
			name:    "the broker does not feed an exactly-once sink",
			p:       exactly,
			backend: map[string]string{"source.orders": "broker", "filter.big": "broker", "sink.out": "native"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, diags := Plan(tt.p, testBackends)
			if tt.errHas != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.errHas) {
					t.Fatalf("diagnostics = %v, want an error containing %q", diags, tt.errHas)
				}
				if tt.p.Backends == nil && (diags[0].Subject == nil || diags[0].Subject.Start.Line != 2) {
					t.Errorf("diagnostic subject = %v, want the aggregate's declaration (line 2)", diags[0].Subject)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got := map[string]string{}
			var whys []string
			for _, st := range plan.Stages {
				for _, o := range st.Operators {
					got[o] = st.Backend
				}
				whys = append(whys, st.Why)
				if st.Cost <= 0 {
					t.Errorf("stage %s cost = %v, want > 0", st.ID, st.Cost)
				}
			}
			if diff := cmp.Diff(tt.backend, got); diff != "" {
				t.Errorf("placement (-want +got):\n%s", diff)
			}
			all := strings.Join(whys, "\n")
			for _, w := range tt.whyHas {
				if !strings.Contains(all, w) {
					t.Errorf("whys %q lack %q", all, w)
				}
			}
		})
	}
}

func TestObjectiveChangesWeights(t *testing.T) {
	cost := map[string]float64{}
	for _, o := range []string{"cost", "latency", "throughput"} {
		p := bigState()
		p.Operators[1].Stats.KeyCardinality = 1000
		p.Optimize = o
		plan, diags := Plan(p, testBackends)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		cost[o] = plan.Cost
	}
	if cost["cost"] == cost["latency"] || cost["cost"] == cost["throughput"] {
		t.Errorf("plan costs by objective = %v, want the objective to weigh the terms differently", cost)
	}
}

func TestExplain(t *testing.T) {
	p := pipeline([]string{"broker"},
		op(1, ir.KindSource, "orders"), op(2, ir.KindFilter, "big", "source.orders"),
		op(3, ir.KindDedupe, "once", "filter.big"), op(4, ir.KindSink, "out", "dedupe.once"))
	p.Operators[0].Stats.Rate = 200000
	p.Operators[1].Stats.Selectivity = 0.1
	plan, diags := Plan(p, testBackends, WithExplain())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	byOp := map[string]ir.OperatorChoice{}
	for _, c := range plan.Explain {
		byOp[c.Operator] = c
	}
	f := byOp["filter.big"]
	if f.Backend != "broker" || len(f.Alternatives) != 1 || f.Alternatives[0].Backend != "native" ||
		f.Alternatives[0].Infeasible || f.Alternatives[0].Cost <= plan.Cost {
		t.Errorf("filter.big choice = %+v, want broker with a dearer native alternative (plan cost %v)", f, plan.Cost)
	}
	d := byOp["dedupe.once"]
	if d.Backend != "native" || len(d.Alternatives) != 1 || !d.Alternatives[0].Infeasible ||
		!strings.Contains(d.Alternatives[0].Why, "keeps state across records") {
		t.Errorf("dedupe.once choice = %+v, want native with the broker infeasible", d)
	}
	if plain, _ := Plan(p, testBackends); plain.Explain != nil {
		t.Error("Explain filled without WithExplain")
	}
}
