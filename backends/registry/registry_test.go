package registry

import (
	"testing"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
)

// allKinds enumerates ir's operator kinds. A kind added to ir without a
// row here fails TestEveryKindIsHandled (the switch in kindOf must cover
// it too), which is the point: every backend must then say whether it
// hosts it and what it costs.
var allKinds = []ir.Kind{
	ir.KindSource, ir.KindFilter, ir.KindMap, ir.KindRoute,
	ir.KindJoin, ir.KindDedupe, ir.KindAggregate, ir.KindTop, ir.KindSink,
}

// operatorOf builds a minimal operator of kind k, as lang would.
func operatorOf(t *testing.T, k ir.Kind) *ir.Operator {
	op := &ir.Operator{ID: string(k) + ".x", Kind: k}
	switch k {
	case ir.KindSource:
		op.Source = &ir.Source{Topic: "in"}
	case ir.KindFilter, ir.KindMap:
		op.Inputs = []string{"source.a"}
	case ir.KindRoute:
		op.Inputs = []string{"source.a"}
		op.Route = &ir.Route{}
	case ir.KindJoin:
		op.Inputs = []string{"source.a", "source.b"}
		op.Join = &ir.Join{}
	case ir.KindDedupe, ir.KindAggregate:
		op.Inputs = []string{"source.a"}
	case ir.KindTop:
		op.Inputs = []string{"source.a"}
		op.Top = &ir.Top{}
	case ir.KindSink:
		op.Inputs = []string{"source.a"}
		op.Sink = &ir.Sink{Topic: "out", Delivery: ir.AtLeastOnce}
	default:
		t.Fatalf("kind %q has no case in operatorOf: add it, and make every backend handle it", k)
	}
	return op
}

// TestEveryKindIsHandled checks every backend against every operator kind:
// it prices it (a missing CPUPerRecord entry would make the kind free to
// the optimizer) exactly when its capabilities host it, and ir.Properties
// classifies it (a kind that is neither per-record nor keyed is one the
// Properties switch forgot).
func TestEveryKindIsHandled(t *testing.T) {
	for _, k := range allKinds {
		op := operatorOf(t, k)
		props := op.Properties()
		if !props.PerRecord() && !props.Keyed {
			t.Errorf("ir.Properties of a %s is neither per-record nor keyed: add the kind to its switch", k)
		}
		for _, b := range Default().All() {
			caps := b.Capabilities(&ir.Pipeline{})
			hosts, _ := caps.Hosts(op)
			cost, priced := caps.Costs.CPUPerRecord[k]
			if hosts && (!priced || cost <= 0) {
				t.Errorf("%s hosts a %s but prices it at %v (priced %v): add it to its Costs.CPUPerRecord", b.Name(), k, cost, priced)
			}
		}
	}
	// The kinds ir knows are the kinds listed here.
	if got := len(allKinds); got != len(optimizer.PerRecord(1, 1, 1)) {
		t.Errorf("allKinds lists %d kinds, optimizer.PerRecord prices %d: a kind is missing on one side", got, len(optimizer.PerRecord(1, 1, 1)))
	}
}

// TestDefault checks the one list: every backend once, native (the
// always-enabled default) among them, and With replacing by name.
func TestDefault(t *testing.T) {
	e := Default()
	seen := map[string]bool{}
	for _, n := range e.Names() {
		if seen[n] {
			t.Errorf("backend %s registered twice", n)
		}
		seen[n] = true
	}
	for _, n := range []string{ir.BackendNative, ir.BackendBroker, ir.BackendBeam} {
		if e.Get(n) == nil {
			t.Errorf("Default has no %s backend", n)
		}
	}
	if e.Get("nope") != nil {
		t.Error("Get(nope) found a backend")
	}
}
