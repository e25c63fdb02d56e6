package eval

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEventTimeMs(t *testing.T) {
	tests := []struct {
		name    string
		v       Value
		want    int64
		wantErr bool
	}{
		{"rfc3339", String("2026-01-01T00:00:05Z"), 1767225605000, false},
		{"offset", String("2026-01-01T01:00:05+01:00"), 1767225605000, false},
		{"fraction", String("2026-01-01T00:00:05.123456Z"), 1767225605123, false},
		{"before epoch", String("1969-12-31T23:59:59.5Z"), -500, false},
		{"epoch ms", Number(1767225605000), 1767225605000, false},
		{"negative ms", Number(-1), -1, false},
		{"fractional ms floor", Number(-1.5), -2, false},
		{"not a timestamp", String("yesterday"), 0, true},
		{"date only", String("2026-01-01"), 0, true},
		{"null", Null, 0, true},
		{"bool", Bool(true), 0, true},
		{"NaN", Number(math.NaN()), 0, true},
		{"Inf", Number(math.Inf(1)), 0, true},
		{"too large", Number(1e300), 0, true},
		{"list", List(nil), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EventTimeMs(tt.v)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
