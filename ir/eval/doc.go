// Package eval is the one record-level evaluator that every backend links:
// the broker's WebAssembly module, native workers and Beam DoFns.
//
// It owns the hot-path record representation (Value, Layout, Record), the
// compilation of IR expressions (HCL source text) into Go closures over a
// record layout fixed by the schema, the record codecs (JSON; Avro in the
// Confluent wire format, with schema resolution, derivation and
// compatibility checks), aggregate
// functions and window assignment. Compiled programs mean exactly what
// hcl.Expression.Value means; a differential test holds them to it.
//
// It does no I/O and must build for GOOS=wasip1 GOARCH=wasm. It must not know
// about Kafka, Beam, files, the CLI, or HCL document structure.
package eval
