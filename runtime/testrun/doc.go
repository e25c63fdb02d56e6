// Package testrun runs a spec's test blocks on the native engine: the
// records a test gives its sources go through every operator of the
// pipeline in one in-process stage, and what reaches each expected target
// is compared with the expected records as a multiset after JSON
// normalization (DESIGN.md, "Semantics that every backend honours").
//
// It must not know about HCL: it takes the ir.Pipeline that lang produced.
package testrun
