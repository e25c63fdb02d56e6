package kafka

import (
	"bytes"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// encodedBatchBytes is the size of a record batch holding rec as the Kafka
// protocol encodes it (kmsg), the figure BatchBytes must not undercount.
func encodedBatchBytes(rec *kgo.Record) int {
	r := kmsg.Record{Key: rec.Key, Value: rec.Value, TimestampDelta64: 1 << 40, OffsetDelta: 1 << 30}
	for _, h := range rec.Headers {
		r.Headers = append(r.Headers, kmsg.Header{Key: h.Key, Value: []byte(h.Value)})
	}
	body := r.AppendTo(nil)
	b := kmsg.RecordBatch{NumRecords: 1, Records: body}
	return len(b.AppendTo(nil))
}

func TestBatchBytesBoundsTheEncoding(t *testing.T) {
	tests := []struct {
		name string
		rec  *kgo.Record
	}{
		{"empty", &kgo.Record{}},
		{"small", &kgo.Record{Key: []byte("k"), Value: []byte("v")}},
		{"headers", &kgo.Record{Value: bytes.Repeat([]byte("x"), 300), Headers: []kgo.RecordHeader{{Key: "a", Value: []byte("b")}, {Key: record.HeaderError, Value: bytes.Repeat([]byte("e"), 200)}}}},
		{"large", &kgo.Record{Key: bytes.Repeat([]byte("k"), 70_000), Value: bytes.Repeat([]byte("v"), 2_000_000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc := BatchBytes(tt.rec), encodedBatchBytes(tt.rec)
			if got < enc || got > enc+16 {
				t.Errorf("BatchBytes = %d, the encoded batch has %d bytes: want at least that and at most 16 more", got, enc)
			}
		})
	}
}

func TestFitDeadLetter(t *testing.T) {
	newDL := func() *kgo.Record {
		return &kgo.Record{
			Key: bytes.Repeat([]byte("k"), 100), Value: bytes.Repeat([]byte("v"), 10_000),
			Headers: []kgo.RecordHeader{
				{Key: record.HeaderError, Value: bytes.Repeat([]byte("e"), 500)},
				{Key: record.HeaderSourceOffset, Value: []byte("12345")},
			},
		}
	}
	tests := []struct {
		name               string
		limit              int
		wantValue, wantKey int // lengths after
		wantErrText        int
		wantTruncated      bool
	}{
		{"no limit", 0, 10_000, 100, 500, false},
		{"fits", 20_000, 10_000, 100, 500, false},
		{"value cut", 5_000, -1, 100, 500, true},
		// Too small for even the headers that locate the input: value, key
		// and error text all go, the offset header stays.
		{"all cut", 100, 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newDL()
			FitDeadLetter(rec, tt.limit, 10_000)
			if tt.wantValue >= 0 && len(rec.Value) != tt.wantValue {
				t.Errorf("value has %d bytes, want %d", len(rec.Value), tt.wantValue)
			}
			if len(rec.Key) != tt.wantKey || len(rec.Headers[0].Value) != tt.wantErrText {
				t.Errorf("key %d, error text %d bytes; want %d, %d", len(rec.Key), len(rec.Headers[0].Value), tt.wantKey, tt.wantErrText)
			}
			if string(rec.Headers[1].Value) != "12345" {
				t.Errorf("the source offset header was cut: %q", rec.Headers[1].Value)
			}
			truncated := len(rec.Headers) == 3 && rec.Headers[2].Key == record.HeaderTruncated && string(rec.Headers[2].Value) == "10000"
			if truncated != tt.wantTruncated {
				t.Errorf("truncated header = %v (%v), want %v", truncated, rec.Headers, tt.wantTruncated)
			}
			if tt.limit > 0 && tt.wantValue != 0 && BatchBytes(rec) > tt.limit {
				t.Errorf("the dead letter has %d bytes, over the limit %d", BatchBytes(rec), tt.limit)
			}
		})
	}
}
