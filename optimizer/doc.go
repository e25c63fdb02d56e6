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
// Placement is cost-based (place.go). Each backend declares Capabilities and
// Costs (capabilities.go); estimate (cost.go) derives every stream's rate and
// record size, and every keyed operator's state, from stats hints and
// defaults; opCost prices an operator on a backend or names the limit it
// breaks (a capability, the state budget, the partition ceiling). solve
// (enumerate.go) then finds a least-cost assignment exactly, by dynamic
// programming over the topological order keeping the cheapest partial plan
// per (backends used, placement of the frontier): Σ operator costs + a
// channel for every edge between backends + each used backend's fixed cost
// once. Only enabled backends are candidates, so with no backend block
// everything stays on native. Pins are obeyed or rejected with a diagnostic
// that says why. Stage.Why, Stage.Cost, Channel.Cost and Plan.Cost come from
// the decision; WithExplain adds every operator's alternatives.
//
// It must not know how a backend runs code, nor about HCL documents, the CLI
// or the runtime. What it knows about backends is their declared
// Capabilities.
package optimizer
