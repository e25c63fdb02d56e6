// Package optimizer turns a logical pipeline (ir.Pipeline) into a physical
// plan (ir.Plan): it places every operator on a backend, fuses neighbouring
// operators on the same backend into stages, and makes every stream that
// crosses stages an explicit channel (an intermediate topic).
//
// A keyed operator (aggregate, dedupe, stream–stream join) on a backend that
// runs once per partition group (not Capabilities.ShufflesByKey) starts a
// new stage behind a repartition channel keyed by its key (ir.Channel.Key),
// unless its input is a source whose key is that same expression, or all its
// input comes from files (one partition group). Table sources are global and
// need none (see repartition.go).
//
// This is the interim planner: unpinned compute operators go to native, pins
// are obeyed or rejected with a diagnostic that says why, and costs are 0.
// The cost-based optimizer replaces placement (place) behind the same Plan
// entry point and options; fusion, channels and explanations stay.
//
// It must not know how a backend runs code, nor about HCL documents, the CLI
// or the runtime. What it knows about backends is their declared
// Capabilities.
package optimizer
