package worker

import (
	"testing"

	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRowKindOf: a channel record's row kind comes from its
// pipeline.row_kind header; none, or a malformed one, is an insert (0).
func TestRowKindOf(t *testing.T) {
	h := func(v string) []kgo.RecordHeader {
		return []kgo.RecordHeader{{Key: record.HeaderRowKind, Value: []byte(v)}}
	}
	tests := []struct {
		name    string
		headers []kgo.RecordHeader
		want    uint8
	}{
		{"no header", nil, 0},
		{"update_before", h("1"), 1},
		{"update_after", h("2"), 2},
		{"delete", h("3"), 3},
		{"out of range", h("7"), 0},
		{"two digits", h("12"), 0},
		{"other header", []kgo.RecordHeader{{Key: HeaderEventTime, Value: []byte("3")}}, 0},
	}
	for _, tt := range tests {
		if got := rowKindOf(&kgo.Record{Headers: tt.headers}); got != tt.want {
			t.Errorf("%s: rowKindOf = %d, want %d", tt.name, got, tt.want)
		}
	}
}
