package optimizer

import "github.com/pipeline-compiler/pipeline/ir"

// testCapabilities are the backends the optimizer's tests plan with: what
// each backend hosts (the broker the stateless operators with at most 8
// route outputs, native and Beam everything) with fixed cost parameters,
// written here so the tests neither import the backend packages (which
// import the optimizer) nor change meaning when a backend retunes its
// defaults.
func testCapabilities() map[string]Capabilities {
	return map[string]Capabilities{
		ir.BackendBroker: {
			MaxRouteOutputs: 8,
			Limit:           "the broker hosts only stateless single-record operators (filter, map, route) reading topics, with at-least-once delivery",
			Notes:           []string{"a transform module built with standard Go needs more than Redpanda's default 2 MiB per-function memory"},
			Costs:           Costs{Fixed: 0.05, CPUPerRecord: PerRecord(0.5e-6, 0, 1e-6), ChannelPerByte: 3e-9},
		},
		ir.BackendNative: {Stateful: true, Files: true, ExactlyOnce: true,
			Costs: Costs{Fixed: 0.5, CPUPerRecord: PerRecord(1e-6, 3e-6, 1e-6), IOPerByte: 1e-9, ChannelPerByte: 3e-9,
				StateBudget: 8 << 30, RecordsPerPartition: 100000}},
		ir.BackendBeam: {Stateful: true, Files: true, ExactlyOnce: true, ShufflesByKey: true,
			Costs: Costs{Fixed: 5, CPUPerRecord: PerRecord(2e-6, 4e-6, 2e-6), IOPerByte: 1.5e-9, ChannelPerByte: 3e-9}},
	}
}

// testBackends declares testCapabilities, as the CLI declares the backend
// packages' capabilities.
func testBackends(c *config) {
	for name, caps := range testCapabilities() {
		c.caps[name] = caps
	}
}
