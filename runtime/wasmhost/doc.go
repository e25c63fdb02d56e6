// Package wasmhost hosts broker transform modules locally: it runs the same
// WebAssembly module that would be deployed to Redpanda, with wazero,
// implementing the redpanda_transform host ABI that the transform SDK
// (v1.1.0) imports and WASI.
//
// A Runtime compiles each module once per process and keeps compiled code in
// a cache directory, so later processes skip compiling. An Instance feeds a
// module batches of records and collects what it writes, per output topic.
// Engine adapts an Instance to the worker's stage engine, so that local runs
// get consumer groups, commits and metrics as native stages do.
//
// It takes module bytes and must not know how they were built: it must not
// import backends, lang or the optimizer.
package wasmhost
