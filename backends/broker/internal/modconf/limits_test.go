package modconf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLimitsRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		limits map[string]int
		want   string
	}{
		{"none", nil, ""},
		{"sorted, zero left out", map[string]int{"revenue": 1048576, "orders.dlq": 2000, "x": 0}, "orders.dlq=2000,revenue=1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EncodeLimits(tt.limits)
			if got != tt.want {
				t.Fatalf("EncodeLimits = %q, want %q", got, tt.want)
			}
			back, err := DecodeLimits(got)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{}
			for k, v := range tt.limits {
				if v > 0 {
					want[k] = v
				}
			}
			if d := cmp.Diff(want, back); d != "" {
				t.Errorf("DecodeLimits(EncodeLimits) (-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeLimitsRejects(t *testing.T) {
	for _, s := range []string{"orders", "orders=", "=5", "orders=-1", "orders=1,x"} {
		if _, err := DecodeLimits(s); err == nil {
			t.Errorf("DecodeLimits(%q) succeeded, want an error", s)
		}
	}
}
