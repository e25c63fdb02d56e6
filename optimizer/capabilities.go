package optimizer

import "github.com/pipeline-compiler/pipeline/ir"

// Capabilities are what a backend declares it can host. Placement checks
// operators against them; it never switches on a backend's name.
type Capabilities struct {
	// Stateful: hosts operators that keep state across records (join,
	// dedupe, aggregate, table sources).
	Stateful bool
	// Files: reads and writes JSON-lines files (bounded sources, file sinks).
	Files bool
	// ExactlyOnce: can give a sink exactly-once delivery.
	ExactlyOnce bool
	// ShufflesByKey: the backend groups a keyed operator's input by key
	// itself (Beam's GroupByKey). Other backends run a stage once per
	// partition group of its input topics, so the planner puts a
	// repartition channel keyed by the operator's key in front of every
	// aggregate, dedupe and stream–stream join they host. The zero value
	// is the safe one: repartition.
	ShufflesByKey bool
	// MaxRouteOutputs caps a route's outputs; 0 means no limit.
	MaxRouteOutputs int
	// Limit says in plain words what the backend cannot host, for
	// diagnostics ("the broker hosts only stateless single-record operators").
	Limit string
	// Notes are facts a reviewer needs about every stage on this backend.
	Notes []string
	// Costs are what running operators on the backend costs (see Costs).
	Costs Costs
}

// DefaultCapabilities are the capabilities of the built-in backends, as
// DESIGN.md's hosting table states them. Backend packages will declare their
// own through WithCapabilities.
func DefaultCapabilities() map[string]Capabilities {
	return map[string]Capabilities{
		ir.BackendBroker: {
			MaxRouteOutputs: 8,
			Limit:           "the broker hosts only stateless single-record operators (filter, map, route) reading topics, with at-least-once delivery",
			Notes: []string{
				"a transform module built with standard Go needs more than Redpanda's default 2 MiB per-function memory: raise data_transforms_per_function_memory_limit before apply",
			},
			// In place: no network hop to read or write topics.
			Costs: Costs{Fixed: 0.05, CPUPerRecord: perRecord(0.5e-6, 0, 1e-6), ChannelPerByte: 3e-9},
		},
		ir.BackendNative: {Stateful: true, Files: true, ExactlyOnce: true,
			Costs: Costs{Fixed: 0.5, CPUPerRecord: perRecord(1e-6, 3e-6, 1e-6), IOPerByte: 1e-9, ChannelPerByte: 3e-9,
				StateBudget: 8 << 30, RecordsPerPartition: 100000}},
		ir.BackendBeam: {Stateful: true, Files: true, ExactlyOnce: true, ShufflesByKey: true,
			Costs: Costs{Fixed: 5, CPUPerRecord: perRecord(2e-6, 4e-6, 2e-6), IOPerByte: 1.5e-9, ChannelPerByte: 3e-9}},
	}
}

// hosts reports whether a backend with these capabilities can run op, and if
// not, the reason in plain words.
func (c Capabilities) hosts(op *ir.Operator) (ok bool, reason string) {
	props := op.Properties()
	switch {
	case !c.Stateful && !(props.Stateless && props.SingleRecord):
		return false, op.ID + " keeps state across records"
	case !c.Files && op.Source != nil && op.Source.File != "":
		return false, op.ID + " reads a file"
	case !c.Files && op.Sink != nil && op.Sink.File != "":
		return false, op.ID + " writes a file"
	case !c.ExactlyOnce && props.Delivery == ir.ExactlyOnce:
		return false, op.ID + " asks for exactly-once delivery"
	case c.MaxRouteOutputs > 0 && op.Route != nil && len(op.Route.Outputs) > c.MaxRouteOutputs:
		return false, op.ID + " has more route outputs than the backend supports"
	}
	return true, ""
}

// perRecord is a CPU cost table: stateless for filter, map and route, keyed
// for join, dedupe and aggregate, io for decoding a source's or encoding a
// sink's records.
func perRecord(stateless, keyed, io float64) map[ir.Kind]float64 {
	return map[ir.Kind]float64{
		ir.KindSource: io, ir.KindFilter: stateless, ir.KindMap: stateless,
		ir.KindRoute: stateless, ir.KindSink: io,
		ir.KindJoin: keyed, ir.KindDedupe: keyed, ir.KindAggregate: keyed,
	}
}
