// Package worker runs the native stages of a plan against a Kafka-protocol
// broker and JSON-lines files: it consumes each stage's input topics in a
// consumer group, feeds one runtime/native Engine per partition group,
// produces outputs and dead letters, and commits consumed offsets either
// transactionally (exactly_once sinks) or after a flush (at_least_once).
//
// Stages of other backends run the same way when the caller gives their
// local runtime with StageEngines: an Engine is the part of native.Engine
// the worker drives, and an engine that buffers inputs (a Flusher, such as
// the WebAssembly host that runs broker transforms) is flushed after every
// poll's records and before every commit.
//
// # Partition groups
//
// Partition N of every input topic of a stage forms partition group N, served
// by one Engine on one goroutine (engines are not safe for concurrent use).
// The consumer group uses the range balancer, which assigns the same
// partition numbers of equally partitioned topics to the same member.
//
// A keyed operator (aggregate, dedupe, stream–stream join) therefore sees
// only the records of its partition group: the planner puts a repartition
// channel in front of it (ir.Channel.Key), and the worker produces each
// record of such a channel with the key the engine computed for it
// (record.Output.Key, to the topic record.Output.Topic names), so the
// producer's key hashing sends all records of one key to one partition.
//
// # Global tables
//
// Table sources are global, as Kafka Streams' GlobalKTable: in a stage that
// also reads streams, a table topic whose only readers are stream–table
// joins is not consumed through the consumer group but by direct assignment
// of all its partitions, and every partition group's engine receives every
// table record. The worker reads the tables to their end (last stable)
// offsets before it joins the consumer group, then keeps following them;
// before an engine processes stream records it is fed the table records it
// has not seen yet. The table records read are kept in memory for the life
// of the stage, so that an engine created later (a new partition, a
// rebalance, a restore from a checkpoint that is older than the table)
// replays them; replaying table records an engine already holds changes
// nothing. Table offsets are not committed: a restart reads the tables from
// their start again. A table's dead letter is emitted by the first engine
// that processes it, not by every partition group.
//
// # Delivery
//
// If any sink of a stage is exactly_once, the stage consumes and produces in
// a kgo.GroupTransactSession (read_committed, transactional ID
// "<pipeline>.<stage identity>.<instance>"): the outputs, the dead letters and the
// consumed offsets of one poll commit atomically, and a rebalance aborts the
// transaction and rewinds the engines to their checkpoint. Otherwise
// (at_least_once) the worker produces, flushes, then commits the offsets.
// Input is always read read_committed, so a transactional upstream stage
// never leaks aborted records. File sinks are flushed after each commit and
// are not transactional.
//
// A stage whose inputs are files (bounded) reads them once, tables first,
// into one engine, drains it and finishes; it may not also read topics. Its
// topic outputs are at-least-once: re-running a bounded run produces again.
//
// # Checkpoints
//
// With a state directory, each partition group keeps snapshots under
// STATE/<pipeline>/<stage identity>/pg-<N>/<tag>, where tag is a hash of the offsets
// (topic, partition, next offset) that the snapshot corresponds to. Before
// every commit, the worker calls Engine.Checkpoint into a new tag directory
// and writes offsets.json there last (a snapshot without it is incomplete and
// ignored); then it commits the transaction, or the consumer offsets. After a
// successful commit all but the two newest snapshots are deleted. On start
// (and after a rebalance or an aborted transaction) the engine of a partition
// group is restored from the snapshot whose offsets.json equals the group's
// committed offsets: a crash after the checkpoint but before the commit
// leaves a newer, unmatched snapshot that is ignored, and the previous one
// still matches. Without a matching snapshot the engine starts empty and the
// worker logs a warning.
//
// Snapshots are shared; the working store is not (STATE/.../pg-<N>/live-<instance>).
// Workers that share a state directory (one host, or a shared file system)
// therefore hand partition groups over in a rebalance without losing state:
// rebalances happen only between iterations, after the checkpoint and the
// commit, so the new owner finds the snapshot that matches the committed
// offsets. Workers with private state directories lose the state of a
// partition group that moves between them (the warning above): give every
// worker of a stateful stage the same -state-dir.
//
// The worker must not know about HCL or operator semantics: it moves records
// between Kafka, files and the engine.
package worker
