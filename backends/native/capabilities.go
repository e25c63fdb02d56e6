package native

import (
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/optimizer"
)

// Capabilities is what the native runtime hosts and what it costs before
// calibration: every operator, keyed state in Pebble up to an 8 GiB budget
// per operator (a backend block's state_budget overrides it), exactly-once
// Kafka→Kafka through transactions, files, and a worker per partition
// group, so an operator's input rate is capped by its partition count.
// CPUPerRecord is in CPU-seconds per record; Calibrate measures it.
func Capabilities() optimizer.Capabilities {
	return optimizer.Capabilities{
		Stateful:    true,
		Files:       true,
		ExactlyOnce: true,
		Changelogs:  true, // continuous aggregates and tops (issue 13)
		// Aggregates read the engine's clock (native.WithClock).
		ProcessingTime: true,
		// The worker writes partition_by directories (runtime/worker).
		PartitionedFiles: true,
		// Sources and sinks decode and encode through eval.NewCodecFor.
		SchemaFormats: eval.SchemaFormats,
		Costs: optimizer.Costs{
			Fixed:               0.5, // start a worker
			CPUPerRecord:        optimizer.PerRecord(1e-6, 3e-6, 1e-6),
			IOPerByte:           1e-9,
			ChannelPerByte:      3e-9,
			StateBudget:         8 << 30,
			RecordsPerPartition: 100000,
		},
	}
}
