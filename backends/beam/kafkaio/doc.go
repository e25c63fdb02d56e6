// Package kafkaio reads and writes Kafka topics from Apache Beam Go
// pipelines in pure Go, over franz-go.
//
// Beam Go's own kafkaio is a cross-language transform: it needs a Java
// expansion service and Docker. This package instead reads with a
// splittable DoFn (one restriction per topic partition, a growable offset
// range, a watermark that follows the records' event times, and
// ProcessContinuation so that the read runs unbounded) and writes with a
// DoFn that produces through franz-go's idempotent producer and flushes at
// the end of every bundle.
//
// Delivery is at-least-once. A bundle whose flush fails is retried by the
// runner, and the idempotent producer only removes duplicates within one
// producer session, so a retried bundle can write its records twice. The
// read does not commit offsets: a job that is submitted again starts from
// the earliest offsets and writes everything again. Nothing here is
// transactional, so exactly-once output is not claimed.
//
// It knows Kafka and Beam; it must not know about the IR's operators, the
// evaluator, the optimizer or the CLI. The caller supplies event time
// through a registered Timestamper.
package kafkaio
