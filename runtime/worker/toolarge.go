package worker

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/kafka"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// A record that can never be produced must not stop the stage: the broker
// refuses it again on every replay, and every restart produces the rest of
// its batch again. So the worker learns, before consuming, how big a record
// each output topic accepts (the topic's max.message.bytes and the
// producer's batch limit, the smaller), and never hands the producer a
// record over it: an output too large is dead-lettered as too_large, and a
// dead letter too large for the dead-letter topic is truncated to fit. The
// check is on the uncompressed size, as franz-go's own check of its batch
// limit is, so a record that would fit only once compressed is
// dead-lettered too.
//
// Deciding before producing keeps exactly-once transactions whole: a
// refused produce fails the transactional producer, so the transaction
// could only abort and be replayed into the same refusal. Here the dead
// letter is produced in the same transaction as the rest of the batch,
// with the same offsets: nothing lost, nothing duplicated.

// topicLimits returns, per topic, the largest record batch (in bytes) the
// producer of cl may send to it (kafka.TopicLimits).
func (r *stageRunner) topicLimits(ctx context.Context, cl *kgo.Client, topics []string) map[string]int {
	limits, errs := kafka.TopicLimits(ctx, cl, topics)
	for _, err := range errs {
		r.log.Warn("checking records against the producer's limit only", "err", err)
	}
	return limits
}

// batchLimit caps the producer's record batches at the smallest limit of
// the output topics: franz-go batches up to its own limit (1 MB by
// default) whatever the topic takes, so a batch of small records to a
// topic with a smaller max.message.bytes would be refused whole, innocent
// records and all. With the cap, only a record too large by itself can be
// refused, and overLimit catches it first.
func (r *stageRunner) batchLimit() []kgo.Opt {
	least := 0
	for _, n := range r.limits {
		if n > 0 && (least == 0 || n < least) {
			least = n
		}
	}
	if least == 0 {
		return nil
	}
	return []kgo.Opt{kgo.ProducerBatchMaxBytes(int32(least))}
}

// overLimit returns by how many bytes rec exceeds what its topic accepts,
// and the limit; 0 when it fits or the topic's limit is unknown.
func (r *stageRunner) overLimit(rec *kgo.Record) (over, limit int) {
	limit = r.limits[rec.Topic]
	if limit <= 0 {
		return 0, 0
	}
	return max(kafka.BatchBytes(rec)-limit, 0), limit
}

// tooLarge turns an output that its topic cannot take into a dead letter
// that carries it (key, value, event time) with reason too_large, the
// topic it was for and, when one input produced it, that input's origin.
func (b *batch) tooLarge(target string, rec *kgo.Record, limit int) {
	dl := &kgo.Record{
		Topic: b.r.dlqTopic, Key: rec.Key, Value: rec.Value, Timestamp: rec.Timestamp,
		Headers: []kgo.RecordHeader{
			{Key: record.HeaderError, Value: kafka.TooLargeError(rec, limit)},
			{Key: record.HeaderReason, Value: []byte(record.ReasonTooLarge)},
			{Key: record.HeaderOperator, Value: []byte(target)},
			{Key: record.HeaderTarget, Value: []byte(rec.Topic)},
		},
	}
	if in := b.cur; in != nil {
		dl.Headers = append(dl.Headers, b.r.originHeaders(in.Stream, in.Partition, in.Offset)...)
	}
	b.addDead(dl, target, record.ReasonTooLarge, int64(len(rec.Value)))
}

// addDead queues a dead letter, truncated to fit the dead-letter topic:
// the value first, then the key, then the error text; the headers that
// locate the input are kept. size is the original value's size, recorded
// in HeaderTruncated when something was cut (a file line is cut before it
// gets here).
func (b *batch) addDead(rec *kgo.Record, operator, reason string, size int64) {
	kafka.FitDeadLetter(rec, b.r.limits[rec.Topic], size)
	b.records = append(b.records, rec)
	b.dead[[2]string{operator, reason}]++
}
