package optimizer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
)

// op builds an operator; rng gives each a distinct declaration range.
func op(line int, kind ir.Kind, name string, inputs ...string) *ir.Operator {
	o := &ir.Operator{
		ID: string(kind) + "." + name, Kind: kind, Name: name, Inputs: inputs,
		Range: ir.Range{Filename: "p.hcl", Start: ir.Pos{Line: line, Column: 1, Byte: line * 10}, End: ir.Pos{Line: line, Column: 20, Byte: line*10 + 19}},
	}
	switch kind {
	case ir.KindSource:
		o.Source = &ir.Source{Topic: name, Format: "json"}
	case ir.KindFilter:
		o.Filter = &ir.Filter{Where: ir.Expr{Source: "true"}}
	case ir.KindMap:
		o.Map = &ir.Map{}
	case ir.KindDedupe:
		o.Dedupe = &ir.Dedupe{Key: ir.Expr{Source: "record.id"}, WithinMs: 1000}
	case ir.KindAggregate:
		o.Aggregate = &ir.Aggregate{Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60000}}
	case ir.KindJoin:
		o.Join = &ir.Join{Type: ir.JoinInner}
	case ir.KindSink:
		o.Sink = &ir.Sink{Topic: name + "-out", Format: "json", Delivery: ir.AtLeastOnce}
	}
	return o
}

func pin(o *ir.Operator, backend string) *ir.Operator { o.Backend = backend; return o }

func route(line int, name, input string, outputs ...string) *ir.Operator {
	o := op(line, ir.KindRoute, name, input)
	o.Route = &ir.Route{}
	for _, out := range outputs {
		o.Route.Outputs = append(o.Route.Outputs, ir.RouteOutput{Name: out})
	}
	return o
}

func pipeline(backends []string, ops ...*ir.Operator) *ir.Pipeline {
	p := &ir.Pipeline{Name: "orders", Optimize: "cost", DeadLetterTopic: "orders.dlq", Operators: ops}
	for _, b := range backends {
		p.Backends = append(p.Backends, &ir.Backend{Name: b})
	}
	return p
}

func TestPlan(t *testing.T) {
	fileSource := op(1, ir.KindSource, "in")
	fileSource.Source = &ir.Source{File: "in.jsonl", Format: "json"}
	exactly := op(4, ir.KindSink, "out", "filter.big")
	exactly.Sink.Delivery = ir.ExactlyOnce
	ownDLQ := pipeline(nil, op(1, ir.KindSource, "orders"), op(2, ir.KindSink, "out", "source.orders"))
	ownDLQ.DeadLetterTopic = "errors"
	nativeBlock := pipeline([]string{"native"}, op(1, ir.KindSource, "orders"), op(2, ir.KindSink, "out", "source.orders"))
	nativeBlock.Backends[0].Range = ir.Range{Filename: "p.hcl", Start: ir.Pos{Line: 9, Column: 1}}

	tests := []struct {
		name     string
		p        *ir.Pipeline
		stages   []*ir.Stage
		channels []*ir.Channel
	}{
		{
			name: "no backend blocks: one native stage",
			p: pipeline([]string{"native"},
				op(1, ir.KindSource, "orders"),
				op(2, ir.KindFilter, "big", "source.orders"),
				op(3, ir.KindMap, "norm", "filter.big"),
				op(4, ir.KindSink, "out", "map.norm")),
			stages: []*ir.Stage{{
				ID: "native.source.orders", Backend: "native",
				Operators: []string{"source.orders", "filter.big", "map.norm", "sink.out"},
				Why:       "no backend blocks: everything runs on native",
				Inputs:    []string{"orders"}, Outputs: []string{"out-out", "orders.dlq"},
			}},
			channels: []*ir.Channel{},
		},
		{
			name: "broker pins fuse with their source; a channel feeds native",
			p: pipeline([]string{"broker", "native"},
				op(1, ir.KindSource, "orders"),
				pin(op(2, ir.KindFilter, "big", "source.orders"), "broker"),
				pin(op(3, ir.KindMap, "norm", "filter.big"), "broker"),
				op(4, ir.KindDedupe, "once", "map.norm"),
				op(5, ir.KindSink, "out", "dedupe.once")),
			stages: []*ir.Stage{
				{
					ID: "broker.source.orders", Backend: "broker",
					Operators: []string{"source.orders", "filter.big", "map.norm"},
					Why:       `pinned to broker by backend = "broker" (filter.big, map.norm)`,
					Inputs:    []string{"orders"}, Outputs: []string{"orders.map.norm", "orders.dlq"},
					Notes: testCapabilities()["broker"].Notes,
				},
				{
					ID: "native.dedupe.once", Backend: "native",
					Operators: []string{"dedupe.once", "sink.out"},
					Why:       "only native can host dedupe.once (not broker: dedupe.once keeps state across records); repartitioned by the key of dedupe.once: record.id",
					Inputs:    []string{"orders.map.norm"}, Outputs: []string{"out-out", "orders.dlq"},
				},
			},
			channels: []*ir.Channel{{From: "map.norm", To: "dedupe.once", Topic: "orders.map.norm", Stream: "map.norm",
				Key: []ir.Expr{{Source: "record.id"}}, Repartition: true}},
		},
		{
			name: "route outputs split across backends",
			p: pipeline([]string{"broker", "native"},
				op(1, ir.KindSource, "orders"),
				pin(route(2, "tier", "source.orders", "gold", "other"), "broker"),
				op(3, ir.KindAggregate, "rev", "route.tier.gold"),
				op(4, ir.KindSink, "other", "route.tier.other"),
				op(5, ir.KindSink, "rev", "aggregate.rev")),
			stages: []*ir.Stage{
				{
					ID: "broker.source.orders", Backend: "broker",
					Operators: []string{"source.orders", "route.tier", "sink.other"},
					Why:       `pinned to broker by backend = "broker" (route.tier)`,
					Inputs:    []string{"orders"}, Outputs: []string{"orders.route.tier.gold", "other-out", "orders.dlq"},
					Notes: testCapabilities()["broker"].Notes,
				},
				{
					ID: "native.aggregate.rev", Backend: "native",
					Operators: []string{"aggregate.rev", "sink.rev"},
					Why:       "only native can host aggregate.rev (not broker: aggregate.rev keeps state across records); aggregate.rev has no key, so all its input goes to one partition (one global group per window)",
					Inputs:    []string{"orders.route.tier.gold"}, Outputs: []string{"rev-out", "orders.dlq"},
				},
			},
			// An aggregate without key fields is global: a constant key
			// sends all its input to one partition.
			channels: []*ir.Channel{{From: "route.tier.gold", To: "aggregate.rev", Topic: "orders.route.tier.gold", Stream: "route.tier.gold",
				Key: []ir.Expr{{Source: "0", Range: op(3, ir.KindAggregate, "rev").Range}}, Repartition: true}},
		},
		{
			name: "a file source cannot go to the broker and an exactly-once sink stays native",
			p: pipeline([]string{"broker", "native"},
				fileSource,
				pin(op(2, ir.KindFilter, "big", "source.in"), "broker"),
				exactly),
			stages: []*ir.Stage{
				{
					ID: "native.source.in", Backend: "native",
					Operators: []string{"source.in"},
					Why:       "not pinned: native is the only enabled backend",
					Inputs:    []string{"file:in.jsonl"}, Outputs: []string{"orders.source.in", "orders.dlq"},
				},
				{
					ID: "broker.filter.big", Backend: "broker",
					Operators: []string{"filter.big"},
					Why:       `pinned to broker by backend = "broker" (filter.big)`,
					Inputs:    []string{"orders.source.in"}, Outputs: []string{"orders.filter.big", "orders.dlq"},
					Notes: testCapabilities()["broker"].Notes,
				},
				{
					ID: "native.sink.out", Backend: "native",
					Operators: []string{"sink.out"},
					Why:       "not pinned: native is the only enabled backend",
					Inputs:    []string{"orders.filter.big"}, Outputs: []string{"out-out", "orders.dlq"},
				},
			},
			channels: []*ir.Channel{
				{From: "source.in", To: "filter.big", Topic: "orders.source.in", Stream: "source.in"},
				{From: "filter.big", To: "sink.out", Topic: "orders.filter.big", Stream: "filter.big"},
			},
		},
		{
			name: "a join reading two sources, one through a beam stage",
			p: pipeline([]string{"beam", "native"},
				op(1, ir.KindSource, "a"),
				op(2, ir.KindSource, "b"),
				pin(op(3, ir.KindDedupe, "d", "source.a"), "beam"),
				// Pinned: left alone, the optimizer would run the join on
				// beam too, whose fixed cost the dedupe pays anyway.
				pin(op(4, ir.KindJoin, "j", "dedupe.d", "source.b"), "native"),
				op(5, ir.KindSink, "out", "join.j")),
			stages: []*ir.Stage{
				{
					ID: "beam.source.a", Backend: "beam",
					Operators: []string{"source.a", "dedupe.d"},
					Why:       `pinned to beam by backend = "beam" (dedupe.d)`,
					Inputs:    []string{"a"}, Outputs: []string{"orders.dedupe.d", "orders.dlq"},
				},
				{
					ID: "native.source.b", Backend: "native",
					Operators: []string{"source.b"},
					Why:       "stateless: cheapest at cost 6.02; beam would cost 10.5 (+4.5)",
					Inputs:    []string{"b"}, Outputs: []string{"orders.source.b", "orders.dlq"},
				},
				{
					ID: "native.join.j", Backend: "native",
					Operators: []string{"join.j", "sink.out"},
					Why:       `pinned to native by backend = "native" (join.j); join.j has no key, so all its input goes to one partition (no equality in on: every record may pair with every other)`,
					Inputs:    []string{"orders.dedupe.d", "orders.source.b"}, Outputs: []string{"out-out", "orders.dlq"},
				},
			},
			// A join without equality keys sends both sides to one
			// partition.
			channels: []*ir.Channel{
				{From: "dedupe.d", To: "join.j", Topic: "orders.dedupe.d", Stream: "dedupe.d", Key: []ir.Expr{{Source: "0", Range: op(4, ir.KindJoin, "j").Range}}, Repartition: true},
				{From: "source.b", To: "join.j", Topic: "orders.source.b", Stream: "source.b", Key: []ir.Expr{{Source: "0", Range: op(4, ir.KindJoin, "j").Range}}, Repartition: true},
			},
		},
		{
			name: "a native block is not other backends",
			p:    nativeBlock,
			stages: []*ir.Stage{{
				ID: "native.source.orders", Backend: "native",
				Operators: []string{"source.orders", "sink.out"},
				Why:       "only the native backend is enabled: everything runs on it",
				Inputs:    []string{"orders"}, Outputs: []string{"out-out", "orders.dlq"},
			}},
			channels: []*ir.Channel{},
		},
		{
			name: "dead_letter_topic is an output of every stage",
			p:    ownDLQ,
			stages: []*ir.Stage{{
				ID: "native.source.orders", Backend: "native",
				Operators: []string{"source.orders", "sink.out"},
				Why:       "no backend blocks: everything runs on native",
				Inputs:    []string{"orders"}, Outputs: []string{"out-out", "errors"},
			}},
			channels: []*ir.Channel{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, diags := Plan(tt.p, testBackends, WithSpecHash("abc"))
			if diags.HasErrors() {
				t.Fatalf("Plan: %v", diags)
			}
			if diff := cmp.Diff(tt.stages, plan.Stages, noCost); diff != "" {
				t.Errorf("stages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.channels, plan.Channels, noCost); diff != "" {
				t.Errorf("channels (-want +got):\n%s", diff)
			}
			if plan.SpecHash != "abc" || plan.FormatVersion != ir.FormatVersion || plan.Pipeline != tt.p {
				t.Errorf("plan header = %q %q %p, want abc %q %p", plan.SpecHash, plan.FormatVersion, plan.Pipeline, ir.FormatVersion, tt.p)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	rangeOf := func(line int) *hcl.Range {
		return &hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: line, Column: 1, Byte: line * 10}, End: hcl.Pos{Line: line, Column: 20, Byte: line*10 + 19}}
	}
	type diag struct {
		Summary string
		Subject *hcl.Range
	}
	wide := route(2, "wide", "source.orders", "a", "b", "c", "d", "e", "f", "g", "h", "i")
	onceSink := op(2, ir.KindSink, "out", "source.orders")
	onceSink.Sink.Delivery = ir.ExactlyOnce
	tests := []struct {
		name   string
		p      *ir.Pipeline
		want   []diag
		detail []string // fragments of the first diagnostic's detail
	}{
		{
			name:   "pin to a backend without a backend block",
			p:      pipeline([]string{"native"}, op(1, ir.KindSource, "orders"), pin(op(2, ir.KindDedupe, "d", "source.orders"), "beam")),
			want:   []diag{{Summary: `Backend "beam" is not enabled`, Subject: rangeOf(2)}},
			detail: []string{`dedupe.d is pinned to backend = "beam"`, `no backend "beam" block`, `backend "beam" {}`},
		},
		{
			name:   "stateful operator pinned to the broker",
			p:      pipeline([]string{"broker", "native"}, op(1, ir.KindSource, "orders"), pin(op(3, ir.KindAggregate, "rev", "source.orders"), "broker")),
			want:   []diag{{Summary: "aggregate.rev cannot run on broker", Subject: rangeOf(3)}},
			detail: []string{"keeps state", "the broker hosts only stateless single-record operators", "pin it to native"},
		},
		{
			name:   "join pinned to the broker",
			p:      pipeline([]string{"broker", "native"}, op(1, ir.KindSource, "a"), op(2, ir.KindSource, "b"), pin(op(3, ir.KindJoin, "j", "source.a", "source.b"), "broker")),
			want:   []diag{{Summary: "join.j cannot run on broker", Subject: rangeOf(3)}},
			detail: []string{"stateless single-record"},
		},
		{
			name:   "route wider than the broker allows",
			p:      pipeline([]string{"broker", "native"}, op(1, ir.KindSource, "orders"), pin(wide, "broker")),
			want:   []diag{{Summary: "route.wide cannot run on broker", Subject: rangeOf(2)}},
			detail: []string{"more route outputs"},
		},
		{
			name:   "exactly-once sink pinned to the broker",
			p:      pipeline([]string{"broker", "native"}, op(1, ir.KindSource, "orders"), pin(onceSink, "broker")),
			want:   []diag{{Summary: "sink.out cannot run on broker", Subject: rangeOf(2)}},
			detail: []string{"exactly-once"},
		},
		{
			name:   "unknown backend",
			p:      pipeline(nil, op(1, ir.KindSource, "orders"), pin(op(2, ir.KindFilter, "f", "source.orders"), "spark")),
			want:   []diag{{Summary: `Unknown backend "spark"`, Subject: rangeOf(2)}},
			detail: []string{"beam, broker, native"},
		},
		{
			name: "every bad pin is reported",
			p: pipeline(nil, op(1, ir.KindSource, "orders"),
				pin(op(2, ir.KindFilter, "f", "source.orders"), "broker"),
				pin(op(3, ir.KindFilter, "g", "filter.f"), "beam")),
			want: []diag{
				{Summary: `Backend "broker" is not enabled`, Subject: rangeOf(2)},
				{Summary: `Backend "beam" is not enabled`, Subject: rangeOf(3)},
			},
		},
		{
			name:   "input nobody produces",
			p:      pipeline(nil, op(1, ir.KindFilter, "f", "source.missing")),
			want:   []diag{{Summary: "Unknown input", Subject: rangeOf(1)}},
			detail: []string{"filter.f reads source.missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, diags := Plan(tt.p, testBackends)
			if plan != nil {
				t.Errorf("Plan returned a plan with errors")
			}
			var got []diag
			for _, d := range diags {
				if d.Severity != hcl.DiagError {
					t.Errorf("severity = %v, want error", d.Severity)
				}
				got = append(got, diag{Summary: d.Summary, Subject: d.Subject})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("diagnostics (-want +got):\n%s", diff)
			}
			for _, f := range tt.detail {
				if !strings.Contains(diags[0].Detail, f) {
					t.Errorf("detail %q does not contain %q", diags[0].Detail, f)
				}
			}
		})
	}
}

func TestPlanDeterministic(t *testing.T) {
	build := func() *ir.Pipeline {
		return pipeline([]string{"broker", "native"},
			op(1, ir.KindSource, "orders"),
			pin(route(2, "tier", "source.orders", "gold", "silver", "other"), "broker"),
			op(3, ir.KindAggregate, "g", "route.tier.gold"),
			op(4, ir.KindAggregate, "s", "route.tier.silver"),
			op(5, ir.KindSink, "g", "aggregate.g"),
			op(6, ir.KindSink, "s", "aggregate.s"),
			op(7, ir.KindSink, "o", "route.tier.other"))
	}
	var first []byte
	for i := range 5 {
		plan, diags := Plan(build(), testBackends, WithSpecHash("h"))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		b, err := plan.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
			continue
		}
		if !bytes.Equal(first, b) {
			t.Fatalf("plan %d differs:\n%s", i, cmp.Diff(string(first), string(b)))
		}
	}
}

func TestWithCapabilities(t *testing.T) {
	// A backend declared able to hold state accepts a stateful pin.
	p := pipeline([]string{"broker", "native"}, op(1, ir.KindSource, "orders"), pin(op(2, ir.KindDedupe, "d", "source.orders"), "broker"))
	plan, diags := Plan(p, testBackends, WithCapabilities("broker", Capabilities{Stateful: true}))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := plan.StageOf("dedupe.d").Backend; got != "broker" {
		t.Errorf("dedupe.d on %s, want broker", got)
	}
}

func TestRepartition(t *testing.T) {
	expr := func(src string) ir.Expr { return ir.Expr{Source: src} }
	aggregate := func(line int, name, input, key string) *ir.Operator {
		o := op(line, ir.KindAggregate, name, input)
		o.Aggregate.Key = []ir.Field{{Name: "k", Expr: expr(key)}}
		return o
	}
	dedupe := func(line int, name, input, key string) *ir.Operator {
		o := op(line, ir.KindDedupe, name, input)
		o.Dedupe.Key = expr(key)
		return o
	}
	keyedSource := func(line int, name, key string) *ir.Operator {
		o := op(line, ir.KindSource, name)
		if key != "" {
			k := expr(key)
			o.Source.Key = &k
		}
		return o
	}
	table := func(line int, name string) *ir.Operator {
		o := keyedSource(line, name, "record.id")
		o.Source.Table = true
		return o
	}
	join := func(line int, name, left, right string) *ir.Operator {
		o := op(line, ir.KindJoin, name, left, right)
		o.Join.LeftKeys = []ir.Expr{expr("lower(left.customer)")}
		o.Join.RightKeys = []ir.Expr{expr("right.id")}
		return o
	}
	fileSource := op(1, ir.KindSource, "orders")
	fileSource.Source = &ir.Source{File: "orders.jsonl", Format: "json"}

	// stage is a stage's operators and why, all a repartition changes.
	type stage struct {
		Operators []string
		Why       string
	}
	const dflt = "no backend blocks: everything runs on native"
	tests := []struct {
		name     string
		p        *ir.Pipeline
		stages   []stage
		channels []*ir.Channel
	}{
		{
			name: "an aggregate after an unkeyed source gets a repartition channel",
			p: pipeline(nil,
				op(1, ir.KindSource, "orders"),
				aggregate(2, "a", "source.orders", "lower(record.customer_id)"),
				op(3, ir.KindSink, "out", "aggregate.a")),
			stages: []stage{
				{[]string{"source.orders"}, dflt},
				{[]string{"aggregate.a", "sink.out"}, dflt + "; repartitioned by the key of aggregate.a: lower(record.customer_id)"},
			},
			channels: []*ir.Channel{{From: "source.orders", To: "aggregate.a", Topic: "orders.source.orders", Stream: "source.orders",
				Key: []ir.Expr{expr("lower(record.customer_id)")}, Repartition: true}},
		},
		{
			name: "a source keyed by the aggregate's key needs none",
			p: pipeline(nil,
				keyedSource(1, "orders", "record.customer"),
				aggregate(2, "a", "source.orders", " record.customer"),
				op(3, ir.KindSink, "out", "aggregate.a")),
			stages:   []stage{{[]string{"source.orders", "aggregate.a", "sink.out"}, dflt}},
			channels: []*ir.Channel{},
		},
		{
			name: "a source keyed by something else is repartitioned",
			p: pipeline(nil,
				keyedSource(1, "orders", "record.id"),
				dedupe(2, "d", "source.orders", "record.customer"),
				op(3, ir.KindSink, "out", "dedupe.d")),
			stages: []stage{
				{[]string{"source.orders"}, dflt},
				{[]string{"dedupe.d", "sink.out"}, dflt + "; repartitioned by the key of dedupe.d: record.customer"},
			},
			channels: []*ir.Channel{{From: "source.orders", To: "dedupe.d", Topic: "orders.source.orders", Stream: "source.orders",
				Key: []ir.Expr{expr("record.customer")}, Repartition: true}},
		},
		{
			name: "a stream–stream join gets one channel per input, keyed over record",
			p: pipeline(nil,
				op(1, ir.KindSource, "orders"),
				op(2, ir.KindSource, "customers"),
				join(3, "j", "source.orders", "source.customers"),
				op(4, ir.KindSink, "out", "join.j")),
			stages: []stage{
				{[]string{"source.orders"}, dflt},
				{[]string{"source.customers"}, dflt},
				{[]string{"join.j", "sink.out"}, dflt + "; repartitioned by the key of join.j: lower(record.customer); repartitioned by the key of join.j: record.id"},
			},
			channels: []*ir.Channel{
				{From: "source.orders", To: "join.j", Topic: "orders.source.orders", Stream: "source.orders", Key: []ir.Expr{expr("lower(record.customer)")}, Repartition: true},
				{From: "source.customers", To: "join.j", Topic: "orders.source.customers", Stream: "source.customers", Key: []ir.Expr{expr("record.id")}, Repartition: true},
			},
		},
		{
			name: "a stream–table join needs none: the table is global",
			p: pipeline(nil,
				op(1, ir.KindSource, "orders"),
				table(2, "customers"),
				join(3, "j", "source.orders", "source.customers"),
				op(4, ir.KindSink, "out", "join.j")),
			stages:   []stage{{[]string{"source.orders", "source.customers", "join.j", "sink.out"}, dflt}},
			channels: []*ir.Channel{},
		},
		{
			name: "one stream read by two keys gets one topic per key",
			p: pipeline(nil,
				op(1, ir.KindSource, "orders"),
				dedupe(2, "d", "source.orders", "record.id"),
				aggregate(3, "a", "source.orders", "record.customer"),
				aggregate(4, "b", "source.orders", "record.customer"),
				op(5, ir.KindSink, "d", "dedupe.d"),
				op(6, ir.KindSink, "a", "aggregate.a"),
				op(7, ir.KindSink, "b", "aggregate.b")),
			stages: []stage{
				{[]string{"source.orders"}, dflt},
				{[]string{"dedupe.d", "sink.d"}, dflt + "; repartitioned by the key of dedupe.d: record.id"},
				{[]string{"aggregate.a", "sink.a"}, dflt + "; repartitioned by the key of aggregate.a: record.customer"},
				{[]string{"aggregate.b", "sink.b"}, dflt + "; repartitioned by the key of aggregate.b: record.customer"},
			},
			channels: []*ir.Channel{
				{From: "source.orders", To: "dedupe.d", Topic: "orders.source.orders.by.dedupe.d", Stream: "source.orders", Key: []ir.Expr{expr("record.id")}, Repartition: true},
				{From: "source.orders", To: "aggregate.a", Topic: "orders.source.orders.by.aggregate.a", Stream: "source.orders", Key: []ir.Expr{expr("record.customer")}, Repartition: true},
				{From: "source.orders", To: "aggregate.b", Topic: "orders.source.orders.by.aggregate.a", Stream: "source.orders", Key: []ir.Expr{expr("record.customer")}, Repartition: true},
			},
		},
		{
			name: "a join reading one stream on both sides by different keys gets two topics",
			p: pipeline(nil,
				op(1, ir.KindSource, "orders"),
				join(2, "j", "source.orders", "source.orders"),
				op(3, ir.KindSink, "out", "join.j")),
			stages: []stage{
				{[]string{"source.orders"}, dflt},
				{[]string{"join.j", "sink.out"}, dflt + "; repartitioned by the key of join.j: lower(record.customer); repartitioned by the key of join.j: record.id"},
			},
			channels: []*ir.Channel{
				{From: "source.orders", To: "join.j", Topic: "orders.source.orders.by.join.j", Stream: "source.orders", Key: []ir.Expr{expr("lower(record.customer)")}, Repartition: true},
				{From: "source.orders", To: "join.j", Topic: "orders.source.orders.by.join.j.2", Stream: "source.orders", Key: []ir.Expr{expr("record.id")}, Repartition: true},
			},
		},
		{
			name: "a stage reading only files runs in one partition group and needs none",
			p: pipeline(nil,
				fileSource,
				aggregate(2, "a", "source.orders", "record.customer"),
				op(3, ir.KindSink, "out", "aggregate.a")),
			stages:   []stage{{[]string{"source.orders", "aggregate.a", "sink.out"}, dflt}},
			channels: []*ir.Channel{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, diags := Plan(tt.p, testBackends)
			if diags.HasErrors() {
				t.Fatalf("Plan: %v", diags)
			}
			var got []stage
			for _, st := range plan.Stages {
				got = append(got, stage{st.Operators, st.Why})
			}
			if diff := cmp.Diff(tt.stages, got); diff != "" {
				t.Errorf("stages (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.channels, plan.Channels, noCost); diff != "" {
				t.Errorf("channels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenameRoot(t *testing.T) {
	tests := []struct{ in, want string }{
		{"left.customer", "record.customer"},
		{`lower(left.a) == "x" && left.b["c"] > 1`, `lower(record.a) == "x" && record.b["c"] > 1`},
		{"right.left", "right.left"},
		{"left.", "left."}, // does not parse: unchanged
	}
	for _, tt := range tests {
		got := renameRoot(ir.Expr{Source: tt.in}, "left", "record")
		if diff := cmp.Diff(tt.want, got.Source); diff != "" {
			t.Errorf("renameRoot(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// noCost ignores costs: cost_test.go checks them; these cases are about
// structure.
var noCost = cmp.Options{cmpopts.IgnoreFields(ir.Stage{}, "Cost"), cmpopts.IgnoreFields(ir.Channel{}, "Cost")}

// A source whose event time a window downstream orders by may run on the
// broker: the event time it computes travels in the pipeline.event_time
// header (issue 15), so neither cost nor a pin is refused for it.
func TestEventTimeSourceMayRunOnTheBroker(t *testing.T) {
	const spec = `
pipeline "evb" {}
backend "broker" {}
source "clicks" {
  topic      = "clicks"
  format     = "json"
  schema     = object({ user = string, ts = string, bytes = number })
  event_time = record.ts
%s
}
filter "big" {
  input = source.clicks
  where = record.bytes > 1000
  stats {
    selectivity = 0.1
  }
}
%s
`
	window := `
aggregate "per_user" {
  input  = filter.big
  key    = { user = record.user }
  window = tumbling("1m")
  fields = { n = count() }
}
sink "out" {
  input  = aggregate.per_user
  topic  = "per-user"
  format = "json"
}`
	plain := `
sink "out" {
  input  = filter.big
  topic  = "big"
  format = "json"
}`
	tests := []struct {
		name, pin, rest string
		wantSource      string // backend of source.clicks; "" not checked
		wantErr         string
	}{
		// Unpinned, cost decides, and today's model still charges the
		// broker placement's channel twice (issue 15): no backend asserted.
		{"a window downstream plans", "", window, "", ""},
		{"no window: the source goes to the broker", "", plain, ir.BackendBroker, ""},
		{"a pin to the broker is accepted", `backend = "broker"`, window, ir.BackendBroker, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(fmt.Sprintf(spec, tt.pin, tt.rest)), 0o600); err != nil {
				t.Fatal(err)
			}
			plan, diags := Plan(loadSpec(t, dir), testBackends)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("want an error containing %q, got %v", tt.wantErr, diags)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got := plan.StageOf("source.clicks").Backend; tt.wantSource != "" && got != tt.wantSource {
				t.Errorf("source.clicks on %s, want %s", got, tt.wantSource)
			}
		})
	}
}
