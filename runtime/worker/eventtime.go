package worker

import (
	"math"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// HeaderEventTime carries a record's event time across channels as exact
// epoch milliseconds (a decimal int64), set by whichever stage computed
// it. A Kafka record timestamp cannot carry it: it holds no time before
// 1970 and franz-go encodes it through UnixNano, which wraps after 2262.
const HeaderEventTime = "pipeline.event_time"

// maxTimestampMs is the latest time franz-go encodes correctly as a record
// timestamp (through time.Time.UnixNano).
const maxTimestampMs = math.MaxInt64 / int64(time.Millisecond)

// EncodeEventTime is the HeaderEventTime value for ms.
func EncodeEventTime(ms int64) []byte { return strconv.AppendInt(nil, ms, 10) }

// DecodeEventTime reads a HeaderEventTime value.
func DecodeEventTime(v []byte) (int64, bool) {
	ms, err := strconv.ParseInt(string(v), 10, 64)
	return ms, err == nil
}

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
			if ms, ok := DecodeEventTime(h.Value); ok {
				return ms
			}
		}
	}
	return rec.Timestamp.UnixMilli()
}
