// Package broker is the Redpanda Data Transforms backend: it declares what
// a transform can host (stateless single-record operators reading one
// topic, at most eight outputs, at-least-once), compiles a broker stage into
// a WebAssembly module, runs it locally and deploys it through Redpanda's
// Admin API.
//
// # One generic module
//
// The transform is one program, ./module, built with the project for
// GOOS=wasip1 on the Redpanda transform SDK v1.1.0 and checked in as
// module.wasm (go generate rebuilds it; TestModuleUpToDate fails when it
// is stale), so compiling a pipeline needs no Go toolchain. The module
// runs runtime/stateless, the processor every runtime shares, on the one
// evaluator (ir/eval). Compile places a stage's configuration (the stage's
// slice of the plan as deflated JSON, see internal/modconf) into the
// module's reserved data behind a marker: every deployed module is the
// tested module plus data, and unchanged stages keep their SHA-256.
//
// A module holds no secret: its configuration has only the constants its
// stage reads, and a sensitive one travels in the transform's environment
// (sent at deploy time), which the module reads when it starts.
//
// # Size
//
// Redpanda refuses a module larger than data_transforms_binary_max_size,
// 10 MiB by default, and TestModuleUpToDate fails one that is. Schema
// formats therefore use small parsers in the module: Avro schemas through
// ir/eval/internal/avrolite (not hamba/avro), JSON Schema through
// ir/eval/internal/jsonschemalite (not santhosh-tekuri/jsonschema), whose
// subset of keywords Capabilities checks per schema
// (eval.ModuleSupportsSchema). bench/wasmsize shows where the module's
// bytes go; BENCHMARKS.md has the table and what each removal saved.
//
// # Running locally
//
// Artifact.Host and LocalEngines run modules in runtime/wasmhost, the
// redpanda_transform host on wazero: `apply` and `run` without admin_url
// feed broker stages through the worker's consumer groups, and TestRunner
// runs spec test blocks through the compiled module (`pipeline test
// -backend broker`).
//
// It must not know about the other backends, HCL documents or the CLI.
package broker
