package broker

import (
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/optimizer"
)

// Capabilities is what a Redpanda Data Transform hosts and what it costs
// before calibration: stateless single-record operators reading one topic,
// at most eight outputs, at-least-once delivery, no files. It runs inside
// the broker, so reading its input topic costs no network hop.
func Capabilities() optimizer.Capabilities {
	return optimizer.Capabilities{
		MaxRouteOutputs: 8, // a transform writes at most eight topics
		// The module links the Protobuf codec (compiled descriptors, no
		// .proto compiler), the Avro codec (schemas parsed by
		// ir/eval/internal/avrolite, not hamba/avro) and the JSON Schema
		// codec (validated by ir/eval/internal/jsonschemalite, not
		// santhosh-tekuri/jsonschema): those libraries would take it past
		// Redpanda's 10 MiB default binary limit
		// (data_transforms_binary_max_size). jsonschemalite implements the
		// keywords of the type mapping; a schema with others stays on
		// native (ModuleSupportsSchema).
		SchemaFormats:   eval.SchemaFormats,
		SchemaSupported: eval.ModuleSupportsSchema,
		Limit:           "the broker hosts only stateless single-record operators (filter, map, route) reading topics, with at-least-once delivery",
		Notes: []string{
			"a transform module built with standard Go needs more than Redpanda's default 2 MiB per-function memory: raise data_transforms_per_function_memory_limit before apply",
		},
		Costs: optimizer.Costs{
			Fixed:          0.05, // deploy a module
			CPUPerRecord:   optimizer.PerRecord(0.5e-6, 0, 1e-6),
			ChannelPerByte: 3e-9,
		},
	}
}
