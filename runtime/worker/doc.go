// Package worker runs the native stages of a plan against a Kafka-protocol
// broker and JSON-lines files: it consumes each stage's input topics in a
// consumer group, feeds one runtime/native Engine per partition group,
// produces outputs and dead letters, and commits consumed offsets either
// transactionally (exactly_once sinks) or after a flush (at_least_once).
//
// # Partition groups
//
// Partition N of every input topic of a stage forms partition group N, served
// by one Engine on one goroutine (engines are not safe for concurrent use).
// The consumer group uses the range balancer, which assigns the same
// partition numbers of equally partitioned topics to the same member, so a
// stream–table join sees both sides of a key.
//
// # Checkpoints
//
// With a state directory, each partition group keeps snapshots under
// STATE/<pipeline>/<stage>/pg-<N>/<tag>, where tag is a hash of the offsets
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
// The worker must not know about HCL or operator semantics: it moves records
// between Kafka, files and the engine.
package worker
