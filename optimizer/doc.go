// Package optimizer turns a logical pipeline (ir.Pipeline) into a physical
// plan (ir.Plan): it rewrites the pipeline, places every operator on a
// backend, fuses neighbouring operators on the same backend into stages, and
// makes every stream that crosses stages an explicit channel (an
// intermediate topic).
//
// Rewrites come first (rewrite.go) and never change what reaches a sink.
// Filter pushdown moves a filter before the map that feeds it when the
// predicate reads only fields the map copies unchanged (out = record.in;
// the predicate is rewritten to read record.in), and before a route when
// every output of the route feeds a filter with the same predicate and the
// route has a default output (routes are first-match, so only then does
// filtering the route's input keep the same records on every output). A
// pushed filter cuts records before the work it moved past and before
// channels, and, being stateless, can run on the broker. Operator IDs stay;
// Plan.Rewrites lists every rewrite with why it is safe and which streams
// now carry other records (Plan.StreamFor follows a spec's stream to the
// one that carries its records); Plan.Pipeline is the rewritten pipeline,
// and is the pipeline itself when nothing was rewritten.
//
// Projection pruning (rewrite_decode.go): every stage lists, per source it
// hosts and per channel into it, the fields its operators read
// (Stage.Decodes, computed by eval.StageReads, which the native engine uses
// too), so a backend decodes only those.
//
// A keyed operator (aggregate, dedupe, stream–stream join) on a backend that
// runs once per partition group (not Capabilities.ShufflesByKey) starts a
// new stage behind a repartition channel keyed by its key (ir.Channel.Key),
// unless its input is a source whose key is that same expression, or all its
// input comes from files (one partition group). Table sources are global and
// need none (see repartition.go).
//
// Placement is cost-based (place.go). Each backend package declares its
// Capabilities and Costs (capabilities.go defines them), and the caller
// passes them in with WithCapabilities, measured ones from a cost profile
// (optimizer/costprofile) in place of the defaults; the optimizer names no
// backend except the default one, which is always enabled. estimate
// (cost.go) derives every stream's rate and
// record size, and every keyed operator's state, from stats hints and
// defaults; opCost prices an operator on a backend or names the limit it
// breaks (a capability, the state budget, the partition ceiling). solve
// (enumerate.go) then finds a least-cost assignment exactly, by dynamic
// programming over the topological order keeping the cheapest partial plan
// per placement of the frontier: Σ operator costs + a channel for every edge
// between backends or repartition within one (counted once: the channel
// between two backends is written keyed) + the fixed cost of every stage.
// A source's cost counts only the fields something reads (projection
// pruning). Only enabled backends are candidates, so with no backend block
// everything stays on native. Pins are obeyed or rejected with a diagnostic
// that says why. Stage.Why, Stage.Cost, Channel.Cost and Plan.Cost come from
// the decision; WithExplain adds every operator's alternatives. Explanations
// show costs with three significant digits (ir.FormatCost), and a losing
// alternative's cost with its difference, so close costs stay apart; JSON
// keeps the numbers at full precision.
//
// It must not know how a backend runs code, nor about HCL documents, the CLI
// or the runtime. What it knows about backends is their declared
// Capabilities.
package optimizer
