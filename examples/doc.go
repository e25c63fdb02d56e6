// Package examples holds the example pipeline specs (one directory each, with
// tests and data) used by the docs, the acceptance tests and the benchmarks.
//
// It has no code of its own: its tests load every example with package lang
// and run the example's test blocks on the native engine, so an example that
// drifts from the language or from the engine's semantics fails here. It must
// not be imported.
package examples
