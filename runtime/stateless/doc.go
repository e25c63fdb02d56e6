// Package stateless is the one stateless operator core: it runs a stage's
// source decoding and event time, the stateless operators (filter, map,
// route, sink encode) and the stage's exports (channels, keyed by their
// channel key, and taps) over one record at a time, and routes records
// between the stage's operators. The broker's WebAssembly transform and
// Beam's DoFns run stateless stages on it; the native engine builds on it
// too, adding its stateful operators through WithOperators. So a record
// means the same thing wherever the optimizer places it.
//
// It is built only on ir, ir/eval (the one evaluator) and runtime/record
// (Input, Output, DeadLetter, and who owns their bytes), and builds for
// GOOS=wasip1 GOARCH=wasm. It must not know about Kafka, state stores,
// WebAssembly hosts, files or the CLI: callers feed it the bytes of
// records and receive encoded outputs and dead letters.
package stateless
