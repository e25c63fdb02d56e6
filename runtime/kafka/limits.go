package kafka

import (
	"context"
	"fmt"
	"slices"
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
	limits, errs = MaxMessageBytes(ctx, kadm.NewClient(cl), topics)
	for _, t := range topics {
		if n := limits[t]; n == 0 || (clientMax > 0 && clientMax < n) {
			limits[t] = clientMax
		}
	}
	return limits, errs
}

// MaxMessageBytes returns each topic's max.message.bytes, the largest
// record batch the broker accepts on it. A topic whose config cannot be
// read is left out, and the problem is returned in errs.
func MaxMessageBytes(ctx context.Context, adm *kadm.Client, topics []string) (limits map[string]int, errs []error) {
	limits = map[string]int{}
	rcs, err := adm.DescribeTopicConfigs(ctx, topics...)
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
			if n, err := strconv.Atoi(*c.Value); err == nil && n > 0 {
				limits[rc.Name] = n
			}
		}
	}
	return limits, errs
}

// BatchBytes is the size of a record batch that holds only rec
// (record.BatchBytes).
func BatchBytes(rec *kgo.Record) int {
	hb := 0
	for _, h := range rec.Headers {
		hb += record.HeaderBytes(len(h.Key), len(h.Value))
	}
	return record.BatchBytes(len(rec.Key), len(rec.Value), len(rec.Headers), hb)
}

// FitDeadLetter cuts dead letter rec to fit limit bytes (0: no limit), as
// record.DeadLetterCuts says. size is the original value's size: when
// anything was cut (or size says the value was cut before, as a file line
// too long is), the record.HeaderTruncated header holds it.
func FitDeadLetter(rec *kgo.Record, limit int, size int64) {
	cut := size > int64(len(rec.Value))
	if limit > 0 {
		errAt := slices.IndexFunc(rec.Headers, func(h kgo.RecordHeader) bool { return h.Key == record.HeaderError })
		errLen := 0
		if errAt >= 0 {
			errLen = len(rec.Headers[errAt].Value)
		}
		v, k, e := record.DeadLetterCuts(BatchBytes(rec)-limit, len(rec.Value), len(rec.Key), errLen)
		if v+k+e > 0 {
			cut = true
			rec.Value, rec.Key = rec.Value[:len(rec.Value)-v], rec.Key[:len(rec.Key)-k]
			if errAt >= 0 {
				h := &rec.Headers[errAt]
				h.Value = h.Value[:len(h.Value)-e]
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
	return record.TooLargeError(BatchBytes(rec), limit, rec.Topic)
}
