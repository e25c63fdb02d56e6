// Package ir is the engine-neutral intermediate representation of a pipeline.
//
// It owns the logical pipeline (a typed DAG of operators with stable IDs), the
// physical plan (stages placed on backends, joined by channels), expressions
// kept as HCL source text with their source ranges, schemas as cty types, and a
// deterministic JSON encoding that round-trips.
//
// It must not know about HCL document structure (blocks, attributes: that is
// package lang) nor about any backend or runtime. Everything downstream of the
// language (optimizer, backends, runtime) reads only this package.
package ir
