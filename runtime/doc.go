// Package runtime is the root of what runs a plan's stages on this machine:
// the record vocabulary every stage speaks (runtime/record), the one
// stateless operator core (runtime/stateless) that broker transforms, Beam
// DoFns and the native engine share, the native streaming engine
// (runtime/native), the test runner for spec test blocks (runtime/testrun),
// the WebAssembly host that runs broker transform modules locally
// (runtime/wasmhost), and the I/O layers that feed them from Kafka-protocol
// brokers and files (runtime/worker, runtime/kafka, runtime/files,
// runtime/embedded), and the control plane of long-running workers: orders
// and status reports on the broker, and the reconciling worker loop
// (runtime/control).
//
// Runtime packages consume ir.Plan and ir/eval only. They must not know
// about HCL or the spec language (lang), the optimizer's cost model, or how
// a backend compiles its artifacts.
package runtime
