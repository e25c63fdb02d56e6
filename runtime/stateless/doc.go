// Package stateless runs the stateless operators of one stage (source
// decode, filter, map, route, sink encode) over one record at a time. It is
// what the broker's WebAssembly transform runs, and what any runtime that
// hosts a stateless stage links, so that a record means the same thing
// wherever the stage is placed.
//
// It is built only on ir and ir/eval (the one evaluator) and builds for
// GOOS=wasip1 GOARCH=wasm. It must not know about Kafka, state stores,
// WebAssembly hosts, files or the CLI: callers feed it decoded-from-the-wire
// bytes and receive encoded outputs and dead letters.
package stateless
