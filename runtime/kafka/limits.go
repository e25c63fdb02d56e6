package kafka

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// A record that can never be produced must not stop a stage: the broker
// refuses it again on every replay. So every producer of the project (the
// native worker, Beam's writer) learns, before producing, how big a record
// each output topic accepts (TopicLimits), never hands its client a record
// over it (BatchBytes), dead-letters it as too_large instead, and cuts a
// dead letter too large for the dead-letter topic to fit (FitDeadLetter).
// Sizes are uncompressed, as franz-go's own check of its batch limit is.

// maxMessageBytesKey is the topic config that bounds a record batch.
const maxMessageBytesKey = "max.message.bytes"

// TopicLimits returns, per topic, the largest record batch (in bytes) the
// producer of cl may send to it: the smaller of the topic's
// max.message.bytes and the producer's batch limit. A topic whose config
// cannot be read gets the producer's limit, and the problem is returned in
// errs (the caller logs it: the check still catches what the producer
// would refuse).
func TopicLimits(ctx context.Context, cl *kgo.Client, topics []string) (limits map[string]int, errs []error) {
	clientMax := 0
	if v, ok := cl.OptValue(kgo.ProducerBatchMaxBytes).(int32); ok {
		clientMax = int(v)
	}
	limits = map[string]int{}
	for _, t := range topics {
		limits[t] = clientMax
	}
	rcs, err := kadm.NewClient(cl).DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return limits, []error{fmt.Errorf("read the topics' %s: %w", maxMessageBytesKey, err)}
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			errs = append(errs, fmt.Errorf("read topic %s's %s: %w", rc.Name, maxMessageBytesKey, rc.Err))
			continue
		}
		for _, c := range rc.Configs {
			if c.Key != maxMessageBytesKey || c.Value == nil {
				continue
			}
			if n, err := strconv.Atoi(*c.Value); err == nil && n > 0 && (limits[rc.Name] == 0 || n < limits[rc.Name]) {
				limits[rc.Name] = n
			}
		}
	}
	return limits, errs
}

// BatchBytes is the size of a record batch that holds only rec, an upper
// bound of what the producer and the broker measure: the batch header,
// then the record with its varint lengths at their widest for the
// timestamp and offset deltas.
func BatchBytes(rec *kgo.Record) int {
	const batchHeader = 61
	v := func(n int) int { return binary.PutVarint(make([]byte, binary.MaxVarintLen64), int64(n)) }
	body := 1 + binary.MaxVarintLen64 + 5 + v(len(rec.Key)) + len(rec.Key) + v(len(rec.Value)) + len(rec.Value) + v(len(rec.Headers))
	for _, h := range rec.Headers {
		body += v(len(h.Key)) + len(h.Key) + v(len(h.Value)) + len(h.Value)
	}
	return batchHeader + v(body) + body
}

// FitDeadLetter cuts dead letter rec to fit limit bytes (0: no limit): the
// value first, then the key, then the error text; the headers that locate
// the input are kept. size is the original value's size: when anything was
// cut (or size says the value was cut before, as a file line too long is),
// the record.HeaderTruncated header holds it.
func FitDeadLetter(rec *kgo.Record, limit int, size int64) {
	cut := size > int64(len(rec.Value))
	if over := BatchBytes(rec) - limit; limit > 0 && over > 0 {
		cut = true
		// The header added below takes at most 40 bytes.
		over += 40
		n := min(over, len(rec.Value))
		rec.Value, over = rec.Value[:len(rec.Value)-n], over-n
		n = min(over, len(rec.Key))
		rec.Key, over = rec.Key[:len(rec.Key)-n], over-n
		for i := range rec.Headers {
			if h := &rec.Headers[i]; over > 0 && h.Key == record.HeaderError {
				n = min(over, len(h.Value))
				h.Value, over = h.Value[:len(h.Value)-n], over-n
			}
		}
	}
	if cut {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: record.HeaderTruncated, Value: strconv.AppendInt(nil, size, 10)})
	}
}

// TooLargeError is the pipeline.error text of an output dead-lettered as
// too_large.
func TooLargeError(rec *kgo.Record, limit int) []byte {
	return fmt.Appendf(nil, "a record of %d bytes is larger than the %d bytes topic %s accepts (its max.message.bytes, or the producer's batch limit)", BatchBytes(rec), limit, rec.Topic)
}
