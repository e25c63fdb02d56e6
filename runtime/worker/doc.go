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
// A partitioned file sink (partition_by) writes each record to the sink's
// file name inside its Hive-style partition directories (files.PartitionPath).
//
// # Checkpoints
//
// With a state directory, each partition group keeps snapshots under
// STATE/<pipeline>/<stage identity>/pg-<N>/<tag>-<unique>, where tag is a
// hash of the offsets (topic, partition, next offset) that the snapshot
// corresponds to, and every snapshot gets a new name. Before every commit,
// the worker calls Engine.Checkpoint into a new directory and writes
// offsets.json there last (a snapshot without it is incomplete); then it
// commits the transaction, or the consumer offsets, with the snapshot's
// name in the offset metadata of every partition of the group
// (commitmeta.go), re-committing unchanged offsets of a group that only
// fired windows. After a successful commit all but the two newest snapshots
// are deleted. On start (and after a rebalance or an aborted transaction)
// the engine of a partition group is restored from the snapshot the
// committed metadata names, checked against its offsets.json: a crash or an
// abort after the checkpoint leaves a newer snapshot that no commit names.
// Offsets committed without a name (by an older version) fall back to the
// newest snapshot at those offsets.
//
// A stateful stage (Properties().Stateless false) whose committed offsets
// have no such snapshot (missing, unreadable, or taken at other offsets)
// stops with a *CheckpointError naming the files; ResetState starts it
// empty instead, logged, counted (pipeline_state_resets_total) and in
// StageProgress.StateResets.
//
// Snapshots are shared; the working store is not (STATE/.../pg-<N>/live-<instance>).
// Workers that share a state directory (one host, or a shared file system)
// therefore hand partition groups over in a rebalance without losing state.
// Workers with private state directories cannot: a stateful partition group
// that moves between them finds no checkpoint and stops (see above). Give
// every worker of a stateful stage the same -state-dir.
//
// # Records too large
//
// Before consuming, a stage reads its output topics' max.message.bytes,
// caps its producer's batches at the smallest, and dead-letters (too_large)
// an output bigger than its topic takes instead of producing it; a dead
// letter bigger than the dead-letter topic takes is truncated
// (toolarge.go). A file source's lines are bounded by the source's
// max_record_bytes.
//
// The worker must not know about HCL or operator semantics: it moves records
// between Kafka, files and the engine.
package worker
