// Package runtime is the root of what runs a plan's stages on this machine:
// the native streaming engine (runtime/native), the test runner that drives
// it for spec test blocks (runtime/testrun), the stateless stage processor
// that broker transforms share (runtime/stateless), the WebAssembly host that
// runs broker transform modules locally (runtime/wasmhost), and the I/O
// layers that feed them from Kafka-protocol brokers and files.
//
// Runtime packages consume ir.Plan and ir/eval only. They must not know
// about HCL or the spec language (lang), the optimizer's cost model, or how
// a backend compiles its artifacts.
package runtime
