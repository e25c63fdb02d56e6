// Package beam is the Apache Beam backend: it declares what a Beam runner
// can host, translates a plan's beam stages into a Beam pipeline built from
// a fixed set of registered, generic DoFns parameterized by the stage IR, and
// runs it on Prism in-process or submits it to a Beam job server.
//
// # Translation (translate.go)
//
// Build(plan, stageID, io) translates one stage at run time; nothing is
// generated or compiled per spec, so the pipeline-beam binary is its own Beam
// worker. Every DoFn carries the serialized plan (without broker
// credentials, backend settings or tests) and an operator ID, and compiles
// them once per process. Records are evaluated by ir/eval, the one
// evaluator, and never by code of this package:
//
//   - filter, map, route and sink encoding run on runtime/stateless's
//     Processor (the code the broker's WebAssembly transform runs), one
//     ParDo per stateless segment: the tree of stateless operators hanging
//     off a source, a channel input or a keyed operator's output.
//   - tumbling and hopping aggregates: eval.AssignWindows assigns windows;
//     each (record, window) pair is stamped at the window's end - 1 ms and
//     windowed (beam.WindowInto) into Beam fixed windows as wide as
//     gcd(size, slide), so that each IR window is exactly one Beam window
//     and fires when it ends; CombinePerKey folds with eval's Aggregator;
//     window_start and window_end are the Beam window's bounds, formatted
//     by eval as on native.
//   - session aggregates, dedupe, stream–table and stream–stream joins: one
//     stateful DoFn (keyed.go) with a bag of pending elements, a value of
//     key state and ONE event-time timer family (Prism hangs with two or
//     more). Sessions are merged by eval.MergeSessions there, not by Beam's
//     Sessions window function: Prism merges sessions that only touch and
//     only within one GroupByKey firing (sessions.go says more).
//   - continuous (un-windowed) aggregates and tops, whose output is a
//     changelog: the same keyed DoFn, one key per group (changelog.go);
//     elements carry the row kind, an update travels as one element, and
//     each change carries its key's change number, by which writers and
//     downstream aggregates order a key's changes.
//   - processing-time windows (window_time = "processing"): the assigning
//     DoFn stamps each record with the wall clock on arrival, or, under
//     WithEventTimeClock (tests), keeps its event time, as native's clocks
//     do (proctime.go).
//   - a partitioned file sink (partition_by): records grouped by their
//     Hive-style directory, each directory's file written whole at
//     files.PartitionPath, native's layout (partitioned.go).
//
// The IO interface connects a stage to topics (kafkaio), files or a test's
// records; Record is the one element type crossing that boundary.
//
// # Matching the native engine
//
// Native semantics depend on arrival order: the watermark is the greatest
// event time seen (minimum over partitions), a window fires once when it
// passes, and a later record is "late". A Beam runner's watermark moves
// with bundles, not records, so the translation does not rely on it for
// these decisions. Each Record carries its arrival position (Seq) and the
// stage watermark it arrived under (WatermarkMs), which IOs that know the
// order fill in (Sequence: tests, bounded files). With them:
//
//   - an aggregate dead-letters a record as "late" when all its windows
//     end at or before WatermarkMs - allowed_lateness, and counts it only
//     in its windows that had not fired, exactly as native;
//   - keyed operators hold elements until the Beam watermark reaches them
//     and process them in Seq order; a stream–stream join pairs records
//     only if the earlier one was still buffered (time + within not before
//     the later one's WatermarkMs).
//
// On bounded input (tests) this gives native's records exactly; the
// example suite checks it test by test (TestExamplesMatchNative), and
// TestDifferential with out-of-order, late and malformed records. Known
// differences: dedupe, stream–table joins and sessions follow arrival
// order only among the elements a key holds when the watermark reaches
// them, so behind another keyed operator (which may deliver a key's
// records late) their order can differ from native's; first() and last() ties on equal event time fall to Beam's merge order
// in tumbling and hopping windows. Where an IO cannot know the arrival order
// (Kafka: Seq 0, WatermarkMs math.MinInt64) records are never dead-lettered
// as late by the translation: Beam's own watermark then decides firing,
// with zero allowed lateness, and Beam drops records behind it at the
// GroupByKey without a hook to dead-letter them.
//
// # Running
//
// Run runs a pipeline on one Prism job service per process, with loopback
// workers; TestRunner runs spec test blocks through it (pipeline test
// -backend beam). Submit sends a pipeline to a job server.
//
// It must not know about the other backends, HCL documents or the CLI;
// lang, ir and optimizer must never import it (Beam's weight stays here).
package beam
