package worker

import (
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// HeaderEventTime carries a record's event time across channels (see
// package record).
const HeaderEventTime = record.HeaderEventTime

// maxTimestampMs is the latest time franz-go encodes correctly as a record
// timestamp (through time.Time.UnixNano).
const maxTimestampMs = math.MaxInt64 / int64(time.Millisecond)

// RecordTimestamp is the Kafka record timestamp for event time ms, or the
// zero time (the producer then stamps the wall clock) when a record
// timestamp cannot hold ms; HeaderEventTime carries it exactly.
func RecordTimestamp(ms int64) time.Time {
	if ms <= 0 || ms > maxTimestampMs {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// eventTimeOf is an input record's event time: its HeaderEventTime, else
// its timestamp.
func eventTimeOf(rec *kgo.Record) int64 {
	for _, h := range rec.Headers {
		if h.Key == HeaderEventTime {
			if ms, ok := record.DecodeEventTime(h.Value); ok {
				return ms
			}
		}
	}
	return rec.Timestamp.UnixMilli()
}

// rowKindOf is a channel record's row kind (record.HeaderRowKind), 0
// (insert) without one.
func rowKindOf(rec *kgo.Record) uint8 {
	for _, h := range rec.Headers {
		if h.Key == record.HeaderRowKind && len(h.Value) == 1 && h.Value[0] >= '0' && h.Value[0] <= '3' {
			return h.Value[0] - '0'
		}
	}
	return 0
}
