package optimizer

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

// TestDeclaredBackends checks that the planner knows only the backends it
// is given: none is an error that names the default backend, an enabled
// backend nobody declared is not a candidate, and a pin to it is unknown.
func TestDeclaredBackends(t *testing.T) {
	native := WithCapabilities(ir.BackendNative, testCapabilities()[ir.BackendNative])
	chain := func() []*ir.Operator {
		return []*ir.Operator{op(1, ir.KindSource, "orders"), op(2, ir.KindFilter, "f", "source.orders"), op(3, ir.KindSink, "out", "filter.f")}
	}
	pinned := chain()
	pinned[1].Backend = ir.BackendBroker
	tests := []struct {
		name    string
		p       *ir.Pipeline
		opts    []Option
		wantErr string            // a fragment of the error summary
		want    map[string]string // operator → backend
	}{
		{"nothing declared", pipeline([]string{"native"}, chain()...), nil, "No capabilities declared for the native backend", nil},
		{"only broker declared", pipeline([]string{"broker"}, chain()...),
			[]Option{WithCapabilities(ir.BackendBroker, testCapabilities()[ir.BackendBroker])}, "No capabilities declared for the native backend", nil},
		{"enabled but undeclared is no candidate", pipeline([]string{"broker", "native"}, chain()...), []Option{native}, "",
			map[string]string{"source.orders": "native", "filter.f": "native", "sink.out": "native"}},
		{"a pin to an undeclared backend", pipeline([]string{"broker", "native"}, pinned...), []Option{native}, `Unknown backend "broker"`, nil},
		{"declared", pipeline([]string{"broker", "native"}, chain()...), []Option{testBackends}, "",
			map[string]string{"source.orders": "broker", "filter.f": "broker", "sink.out": "broker"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, diags := Plan(tt.p, tt.opts...)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("diags = %v, want an error with %q", diags, tt.wantErr)
				}
				if plan != nil {
					t.Errorf("plan = %v, want nil with errors", plan)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got := map[string]string{}
			for _, o := range tt.p.Operators {
				got[o.ID] = plan.StageOf(o.ID).Backend
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("placement (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostsUnsupportedKind: a backend that declares a kind unsupported does
// not host it, whatever its other capabilities, and says why.
func TestHostsUnsupportedKind(t *testing.T) {
	c := Capabilities{Stateful: true, Files: true, Unsupported: []ir.Kind{ir.KindTop}}
	tests := []struct {
		op     *ir.Operator
		ok     bool
		reason string
	}{
		{&ir.Operator{ID: "top.t", Kind: ir.KindTop, Top: &ir.Top{Limit: 1}}, false, "top.t is a top operator, which the backend does not run yet"},
		{&ir.Operator{ID: "dedupe.d", Kind: ir.KindDedupe, Dedupe: &ir.Dedupe{}}, true, ""},
	}
	for _, tt := range tests {
		ok, reason := c.Hosts(tt.op)
		if diff := cmp.Diff([]any{tt.ok, tt.reason}, []any{ok, reason}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.op.ID, diff)
		}
	}
}

// TestHostsProcessingTime: a stateful backend without a clock does not host
// a processing-time aggregate, and says why; event-time aggregates stay.
// Likewise a backend that does not write partition directories and a
// partitioned file sink.
func TestHostsProcessingTimeAndPartitions(t *testing.T) {
	agg := func(id, clock string) *ir.Operator {
		return &ir.Operator{ID: id, Kind: ir.KindAggregate, Aggregate: &ir.Aggregate{
			Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 10_000, Time: clock}}}
	}
	tests := []struct {
		caps   Capabilities
		op     *ir.Operator
		ok     bool
		reason string
	}{
		{Capabilities{Stateful: true}, agg("aggregate.p", ir.WindowProcessingTime), false, "aggregate.p has processing-time windows, which the backend does not run"},
		{Capabilities{Stateful: true}, agg("aggregate.e", ""), true, ""},
		{Capabilities{Stateful: true, ProcessingTime: true}, agg("aggregate.p", ir.WindowProcessingTime), true, ""},
		{Capabilities{Stateful: true, Files: true}, &ir.Operator{ID: "sink.p", Kind: ir.KindSink, Sink: &ir.Sink{File: "out/p.jsonl", PartitionBy: []string{"dt"}}},
			false, "sink.p writes a partitioned file sink, which the backend does not write"},
		{Capabilities{Stateful: true, Files: true}, &ir.Operator{ID: "sink.f", Kind: ir.KindSink, Sink: &ir.Sink{File: "out.jsonl"}}, true, ""},
		{Capabilities{Stateful: true, Files: true, PartitionedFiles: true}, &ir.Operator{ID: "sink.p", Kind: ir.KindSink, Sink: &ir.Sink{File: "out/p.jsonl", PartitionBy: []string{"dt"}}}, true, ""},
	}
	for _, tt := range tests {
		ok, reason := tt.caps.Hosts(tt.op)
		if diff := cmp.Diff([]any{tt.ok, tt.reason}, []any{ok, reason}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.op.ID, diff)
		}
	}
}
