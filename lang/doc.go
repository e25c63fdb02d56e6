// Package lang turns pipeline specs (HCL files) into the engine-neutral IR.
//
// It owns the spec language: parsing with hclsyntax, decoding blocks against
// fixed schemas, variables and locals, resolving kind.name references between
// operators, ordering them topologically, type-checking every per-record
// expression against the schema flowing into it (with unknown values, so
// nothing runs), and reporting every problem as an hcl.Diagnostic with a
// source range. It also formats specs (fmt).
//
// It must not know about backends, placement or the runtime: its only output
// is an *ir.Pipeline. Per-record expressions leave this package as source
// text (ir.Expr); package ir/eval compiles them.
package lang
