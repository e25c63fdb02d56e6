// Package ref is a small plain-Go reference implementation of the Nexmark
// queries (nexmark/nexmark, nexmark-flink's SQL), over generated events held
// in slices. It is the independent answer the specs' test blocks are held
// to: it shares no code with the pipeline's evaluator.
//
// Over a bounded, in-order input (which the generator produces) Flink's
// unbounded group aggregates and regular joins end in the rows computed
// here; window bounds are half-open, [start, end).
package ref
