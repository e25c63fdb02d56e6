package beam

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
)

// TestStartFrom checks where a job's read of each kind of input starts.
func TestStartFrom(t *testing.T) {
	source := func(topic, startFrom string) *ir.Operator {
		return &ir.Operator{ID: "source." + topic, Kind: ir.KindSource, Source: &ir.Source{Topic: topic, StartFrom: startFrom}}
	}
	ms := int64(1767225600000) // 2026-01-01T00:00:00Z
	tests := []struct {
		name    string
		in      Input
		latest  bool
		afterMs *int64
	}{
		{"a source without start_from", Input{Source: source("a", ""), Topic: "a"}, false, nil},
		{"earliest", Input{Source: source("a", "earliest"), Topic: "a"}, false, nil},
		{"latest", Input{Source: source("a", "latest"), Topic: "a"}, true, nil},
		{"a time", Input{Source: source("a", "2026-01-01T00:00:00Z"), Topic: "a"}, false, &ms},
		{"a table starts at its beginning whatever start_from says", Input{Source: source("a", "latest"), Topic: "a", Table: true}, false, nil},
		{"a channel starts at its beginning", Input{Channel: &ir.Channel{Topic: "p.filter.x"}, Topic: "p.filter.x"}, false, nil},
	}
	for _, tt := range tests {
		latest, afterMs := startFrom(tt.in)
		if latest != tt.latest || !cmp.Equal(afterMs, tt.afterMs) {
			t.Errorf("%s: latest %v, after %v; want %v, %v", tt.name, latest, deref(afterMs), tt.latest, deref(tt.afterMs))
		}
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
