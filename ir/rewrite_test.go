package ir

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormatCost(t *testing.T) {
	tests := []struct {
		in         float64
		want, sign string
	}{
		{1.19125, "1.19", "+1.19"},
		{0.63, "0.63", "+0.63"},
		{5.51782, "5.52", "+5.52"},
		{0.0023, "0.0023", "+0.0023"},
		{0.000123456, "0.000123", "+0.000123"},
		{9.996, "10", "+10"},
		{12345, "12300", "+12300"},
		{-1.88123, "-1.88", "-1.88"},
		{0, "0", "+0"},
		{math.Copysign(0, -1), "0", "+0"},
		{3e-9, "3e-09", "+3e-09"},
		{math.Inf(1), "+Inf", "+Inf"},
	}
	for _, tt := range tests {
		if got := FormatCost(tt.in); got != tt.want {
			t.Errorf("FormatCost(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if got := FormatCostDelta(tt.in); got != tt.sign {
			t.Errorf("FormatCostDelta(%v) = %q, want %q", tt.in, got, tt.sign)
		}
	}
}

// TestStreamFor follows a stream of the spec through rewrites: a filter
// pushed before a map, then before another.
func TestStreamFor(t *testing.T) {
	p := &Plan{Rewrites: []Rewrite{
		{Operator: "filter.f", Before: "map.b", Streams: []StreamMove{{From: "filter.f", To: "map.b"}, {From: "map.b"}}},
		{Operator: "filter.f", Before: "map.a", Streams: []StreamMove{{From: "filter.f", To: "map.a"}, {From: "map.a"}}},
	}}
	type res struct {
		Stream string
		OK     bool
	}
	got := map[string]res{}
	for _, s := range []string{"filter.f", "map.a", "map.b", "source.s"} {
		to, ok := p.StreamFor(s)
		got[s] = res{to, ok}
	}
	want := map[string]res{"filter.f": {"map.b", true}, "map.a": {"", false}, "map.b": {"", false}, "source.s": {"source.s", true}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("StreamFor (-want +got):\n%s", d)
	}
}
