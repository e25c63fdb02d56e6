package planfmt

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func plan(stages []*ir.Stage, channels int, ops ...*ir.Operator) *ir.Plan {
	p := &ir.Plan{Pipeline: &ir.Pipeline{Name: "p", Operators: ops}, Stages: stages}
	for range channels {
		p.Channels = append(p.Channels, &ir.Channel{})
	}
	return p
}

func TestSummary(t *testing.T) {
	op := &ir.Operator{ID: "filter.f"}
	tests := []struct {
		plan *ir.Plan
		want string
	}{
		{plan(nil, 0), "Plan: 0 stages, 0 channels, 0 operators"},
		{plan([]*ir.Stage{{Backend: "native"}}, 0, op), "Plan: 1 stage (native), 0 channels, 1 operator"},
		{plan([]*ir.Stage{{Backend: "native"}, {Backend: "native"}}, 1, op, op), "Plan: 2 stages (native), 1 channel, 2 operators"},
		{plan([]*ir.Stage{{Backend: "native"}, {Backend: "broker"}, {Backend: "native"}}, 3, op), "Plan: 3 stages (2 native, broker), 3 channels, 1 operator"},
	}
	for _, tt := range tests {
		if got := Summary(tt.plan); got != tt.want {
			t.Errorf("Summary = %q, want %q", got, tt.want)
		}
	}
}

// routePlan has a route whose outputs go to two stages, and an operator
// outside every stage (a plan edited by hand), which must still render.
func routePlan() *ir.Plan {
	ops := []*ir.Operator{
		{ID: "source.s", Kind: ir.KindSource},
		{ID: "route.r", Kind: ir.KindRoute, Inputs: []string{"source.s"}},
		{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"route.r.gold"}},
		{ID: "sink.o", Kind: ir.KindSink, Inputs: []string{"route.r.other"}},
		{ID: `sink.q"x`, Kind: ir.KindSink, Inputs: []string{"aggregate.a"}},
	}
	return &ir.Plan{
		Pipeline: &ir.Pipeline{Name: "p", Operators: ops},
		Stages: []*ir.Stage{
			{ID: "broker.1", Backend: "broker", Operators: []string{"source.s", "route.r", "sink.o"}},
			{ID: "native.1", Backend: "native", Operators: []string{"aggregate.a"}},
		},
		Channels: []*ir.Channel{{From: "route.r.gold", To: "aggregate.a", Topic: "p.route.r.gold"}},
	}
}

func TestGraphs(t *testing.T) {
	tests := []struct {
		name  string
		write func(*bytes.Buffer, *ir.Plan) error
		want  string
	}{
		{"dot", func(b *bytes.Buffer, p *ir.Plan) error { return WriteDOT(b, p) }, `digraph "p" {
  rankdir=LR;
  node [shape=box];
  subgraph "cluster_1" {
    label="broker.1 (broker)";
    "source.s" [label="source.s\nbroker"];
    "route.r" [label="route.r\nbroker"];
    "sink.o" [label="sink.o\nbroker"];
  }
  subgraph "cluster_2" {
    label="native.1 (native)";
    "aggregate.a" [label="aggregate.a\nnative"];
  }
  "sink.q\"x" [label="sink.q\"x\nunplaced"];
  "source.s" -> "route.r";
  "route.r" -> "aggregate.a" [label="gold", style=dashed];
  "route.r" -> "sink.o" [label="other"];
  "aggregate.a" -> "sink.q\"x" [style=dashed];
}
`},
		{"mermaid", func(b *bytes.Buffer, p *ir.Plan) error { return WriteMermaid(b, p) }, `flowchart LR
  subgraph s1["broker.1 (broker)"]
    n1["source.s<br/>broker"]
    n2["route.r<br/>broker"]
    n4["sink.o<br/>broker"]
  end
  subgraph s2["native.1 (native)"]
    n3["aggregate.a<br/>native"]
  end
  n5["sink.q#quot;x<br/>unplaced"]
  n1 --> n2
  n2 -.->|gold| n3
  n2 -->|other| n4
  n3 -.-> n5
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b, routePlan()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, routePlan()); err != nil {
		t.Fatal(err)
	}
	want := `Plan: 2 stages (broker, native), 1 channel, 5 operators
Cost profile: built-in defaults

Stage broker.1 on broker
  operators: source.s, route.r, sink.o
  topics:    (none) → (none)
  why:       

Stage native.1 on native
  operators: aggregate.a
  topics:    (none) → (none)
  why:       

Channels:
  route.r.gold → aggregate.a via topic p.route.r.gold (broker.1 → native.1)
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWriteExplain(t *testing.T) {
	p := routePlan()
	p.Cost = 1.5
	p.Explain = []ir.OperatorChoice{
		{Operator: "route.r", Backend: "broker", Alternatives: []ir.Alternative{{Backend: "native", Cost: 2, Why: "costs more by 0.5"}}},
		{Operator: "aggregate.a", Backend: "native", Alternatives: []ir.Alternative{{Backend: "broker", Infeasible: true, Why: "aggregate.a keeps state across records"}}},
	}
	var b bytes.Buffer
	if err := Write(&b, p); err != nil {
		t.Fatal(err)
	}
	want := `
Alternatives (plan cost 1.5):
  route.r on broker
    native: cost 2: costs more by 0.5
  aggregate.a on native
    broker: cannot: aggregate.a keeps state across records
`
	if got := b.String(); !strings.HasSuffix(got, want) {
		t.Errorf("Write = %q, want it to end with %q", got, want)
	}
}

// TestWriteRewritesAndDecodes: the rewrites come before the stages, a
// stage that skips fields of an input says which it decodes, and costs show
// three significant digits.
func TestWriteRewritesAndDecodes(t *testing.T) {
	p := routePlan()
	p.Cost = 1.19125
	p.Rewrites = []ir.Rewrite{{Rule: ir.RuleFilterPushdown, Operator: "filter.f", Before: "map.m", Why: "reads only passed-through fields (amt = record.amount)"}}
	p.Stages[0].Decodes = []ir.Decode{{Stream: "source.s", Fields: []string{"amount", "id"}, Of: 5}}
	p.Stages[1].Decodes = []ir.Decode{{Stream: "route.r.gold", Fields: []string{"a", "b"}, Of: 2}}
	p.Explain = []ir.OperatorChoice{{Operator: "route.r", Backend: "broker", Alternatives: []ir.Alternative{{Backend: "native", Cost: 2.0004567, Why: "costs more"}}}}
	var b bytes.Buffer
	if err := Write(&b, p); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	// Each part in order; other lines (the cost profile) may come between.
	parts := []string{`
Rewrites:
  filter.f pushed before map.m: reads only passed-through fields (amt = record.amount)

Stage broker.1 on broker
`, `
  why:       
  decodes:   source.s: 2 of 5 fields (amount, id)

Stage native.1 on native
  operators: aggregate.a
  topics:    (none) → (none)
  why:       

`, `
Alternatives (plan cost 1.19):
  route.r on broker
    native: cost 2: costs more
`}
	rest := got
	for _, part := range parts {
		i := strings.Index(rest, part)
		if i < 0 {
			t.Fatalf("Write output lacks, after the previous part:\n%s\nin:\n%s", part, got)
		}
		rest = rest[i+len(part):]
	}
}
