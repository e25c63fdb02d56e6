// Package control is the control plane of long-running native workers,
// on the pipeline's own broker, after Kafka Connect's distributed mode:
//
//   - The control topic (ControlTopic, compacted, one partition) holds one
//     record per pipeline, keyed by its name: an Order, the native part of
//     the plan as applied, versioned by the state serial, with sensitive
//     values redacted. A tombstone (null value) means the pipeline was
//     destroyed.
//   - The status topic (StatusTopic, compacted, one partition) holds one
//     Report per worker, keyed by worker ID, published every report
//     interval.
//
// Serve is the worker: it follows the control topic, reconciles the stages
// it runs with each pipeline's latest order (runtime/worker runs them,
// sharing partitions with the other workers through consumer groups), and
// publishes reports. Publish, Tombstone and Watcher are what apply, destroy
// and status use.
//
// The package knows Kafka, the plan (ir) and runtime/worker; it must not
// know HCL, the CLI or how a spec's variables are parsed: the caller
// resolves sensitive values (Resolver).
package control
