// Package native is this project's own streaming engine: it runs the
// operators of one native stage of an ir.Plan for one partition group.
//
// It owns the stateful part only: keyed state (aggregate, dedupe, join),
// event time and watermarks, window firing, join buffering and
// checkpoints. Decoding, routing records between the stage's operators,
// the stateless operators (filter, map, route, sink) and channel exports
// are runtime/stateless's, the one stateless core that the broker's
// WebAssembly module and Beam's DoFns run too; the engine plugs its
// stateful operators into it (stateless.WithOperators). Record semantics
// (expression results, JSON encoding, window bounds, aggregate math) all
// come from ir/eval, the one evaluator every backend links, so a spec
// means the same on native as on the broker and Beam backends.
//
// Continuous (un-windowed) aggregates and tops emit changelogs: records
// carry an eval.RowKind between operators and on channels (Input.Kind,
// Output.Kind), emitted as records arrive rather than when windows fire
// (changelog.go, top.go).
//
// A record handed to the next operator is lent for the call, as the
// stateless core lends its decoded inputs: joins and continuous
// aggregates build their outputs in reused records, and an operator that
// keeps a record (a join buffer, a top's ranking, a group's key) copies
// it.
//
// It must not know about HCL, Kafka, files or the CLI. Its feeders hand it
// record.Inputs and take Outputs and DeadLetters through an Emitter (package
// runtime/record, which also says who owns the bytes): runtime/worker, which
// consumes topics and files and produces to topics; runtime/testrun, which
// runs spec test blocks; and the native backend's calibrator.
//
// # Time
//
// A record's event time comes from its source's event_time expression,
// else Input.TimestampMs (channel-fed streams carry the event time there).
// Each input partition tracks the greatest event time it has delivered; the
// stage watermark is the minimum of that over the active partitions, so one
// partition racing ahead does not make the others' records late. A
// partition without input for the idle timeout (measured on the wall clock
// that Advance supplies) stops counting, so an idle partition does not stall
// the stage. Table sources never count: a changelog of slowly changing rows
// says nothing about the progress of event time. The watermark never moves
// backwards.
//
// Each operator sees its input watermark: the least output watermark of
// its inputs, the stage watermark for stage inputs (README, "Watermarks and
// event time"). An aggregate's output watermark trails its input by
// allowed_lateness and a stream–stream join's by within; the others pass it
// on. An aggregate fires a window exactly once, when its input watermark
// minus allowed_lateness reaches the window's end, in window-end order
// across keys; a record whose windows have all fired goes to the
// dead-letter queue as "late". An aggregate with processing-time windows
// (window_time = "processing") assigns a record by the engine's clock
// (WithClock) when it arrives and fires by that clock at every Advance;
// WithEventTimeClock, the test runner's, makes it event time instead. A
// record further than its source's
// max_future ahead of the greatest event time seen (or the wall clock) goes
// there as "future" and does not move the watermark.
// Stream–stream joins expire buffered records (emitting a left join's
// unmatched left records with nulls) when the stage watermark passes
// time + within; dedupe forgets a key after within. Drain fires everything,
// as at the end of a bounded input.
//
// # State
//
// State lives in Pebble (github.com/cockroachdb/pebble), an LSM-tree
// key-value store, chosen because checkpoints are cheap: Pebble's
// Checkpoint hard-links the immutable SSTables and copies only the small
// manifest and WAL, so taking one is O(files), not O(bytes), and recovery
// time does not grow with topic history. Tests and stages without a state
// directory use Pebble's in-memory filesystem (vfs.NewMem).
//
// State keys are the operator ID, a NUL, a one-byte tag and the operator's
// key bytes (and for windows the window bounds, in the value). The hot path
// is cached in memory, and every cache is write-back: aggregates keep the
// accumulators of the keys they are working on in a map and write them to
// Pebble at checkpoints, or when the map passes its entry budget
// (WithCacheEntries), after which the keys are evicted; a window that opens
// and fires between two checkpoints never touches Pebble. Beside each
// written window Pebble holds a fire index entry ordered by window end, so
// firing range-scans the due windows of keys that are not in memory.
// Stream–stream join buffers work the same way, with an expiry index
// ordered by each buffered record's time + within. Dedupe keys and
// stream–table join tables go through the store's write-back cache, which
// is flushed and evicted when it exceeds its entry budget. So all keyed
// state may exceed memory.
//
// Checkpoint(dir) flushes every cache and the memtable, takes a Pebble
// checkpoint and writes native-engine.json beside it with the watermark
// state (each partition's greatest event time). Restore(dir) hard-links
// the snapshot's SSTables into the working directory (copying the small
// manifest), opens it and reads almost nothing: aggregate and join keys
// are loaded when a record, a due window or an expiry touches them, dedupe
// keys and table rows when a record looks them up, so recovery time does
// not grow with the size of the state (BenchmarkRecovery). The snapshot
// itself is untouched and can be restored again.
//
// Which attributes of an input record the stage reads is worked out once
// (needs.go) and Process decodes only those; a type error in an attribute
// nothing reads does not send the record to the dead-letter queue.
//
// # Exactly-once protocol for the I/O layer
//
// The engine is deterministic given its inputs, so exactly-once Kafka to
// Kafka delivery needs the state snapshot and the consumer offsets to agree:
//
//  1. Consume in a transactional session (kgo.GroupTransactSession,
//     read_committed). Produce every Output and DeadLetter inside the
//     transaction.
//  2. At a commit point, call Checkpoint into a new directory named for the
//     source offset vector it covers (the offsets after the last processed
//     record of every assigned partition), and write that vector into the
//     directory too. The snapshot is written before the commit.
//  3. Commit the transaction with those same offsets (End with TryCommit).
//     If the commit fails or the process dies first, the transaction aborts
//     and its outputs are invisible to read_committed consumers.
//  4. On start or rebalance, fetch the group's committed offsets and Restore
//     the snapshot whose offset vector equals them, then consume from those
//     offsets. Keep the last two snapshots: a crash between step 2 and
//     step 3 leaves the newest snapshot ahead of the committed offsets, and
//     the previous one is the one that matches. Delete older ones.
//
// Processing time enters only through Advance, which marks partitions idle:
// replaying the same inputs from a snapshot gives the same outputs as long
// as no partition goes idle, and in any case every window fires exactly
// once and every record is either counted or dead-lettered as late.
package native
