// Package testrun runs a spec's test blocks: the records a test gives its
// sources go through every operator of the pipeline, and what reaches each
// expected target is compared with the expected records as a multiset
// after JSON normalization (Normalize), the comparison every backend's
// tests use. The native engine runs them by default, in one in-process
// stage; a backend supplies its own Runner (WithRunner) to run the same
// blocks on its runtime.
//
// It must not know about HCL: it takes the ir.Pipeline that lang produced.
package testrun
