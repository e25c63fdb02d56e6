package beamconfig

import (
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/optimizer"
)

// Capabilities is what a Beam runner hosts and what it costs before
// calibration: every operator, with GroupByKey shuffling keyed input itself
// (so parallelism is not capped by the partition count and no repartition
// topic is needed), at a high fixed cost: submitting a job takes seconds.
func Capabilities() optimizer.Capabilities {
	return optimizer.Capabilities{
		Stateful: true,
		Files:    true,
		// Partitioned file sinks: the same Hive-style layout as native's
		// (beam's writePartitioned, files.PartitionPath).
		PartitionedFiles: true,
		// Processing-time windows: aggregates stamp records with the wall
		// clock on arrival (beam's proctime.go).
		ProcessingTime: true,
		ExactlyOnce:    false, // kafkaio: idempotent producer, no transactions; a retried bundle writes again
		ShufflesByKey:  true,
		// Continuous aggregates and tops run in the keyed DoFn with the
		// native engine's changelog semantics (backends/beam changelog.go).
		Changelogs: true,
		// Sources and sinks decode and encode through eval.NewCodecFor with
		// the schemas the plan pins (writer schemas included), so the
		// workers need no registry at run time.
		SchemaFormats: eval.SchemaFormats,
		Costs: optimizer.Costs{
			Fixed:          5, // submit a job
			CPUPerRecord:   optimizer.PerRecord(2e-6, 4e-6, 2e-6),
			IOPerByte:      1.5e-9,
			ChannelPerByte: 3e-9,
		},
	}
}
