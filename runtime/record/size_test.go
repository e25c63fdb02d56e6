package record

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeadLetterCuts(t *testing.T) {
	type cuts struct{ Value, Key, Err int }
	tests := []struct {
		name                      string
		over, value, key, errText int
		want                      cuts
	}{
		{"fits", 0, 100, 10, 50, cuts{}},
		{"under", -5, 100, 10, 50, cuts{}},
		// 1 over, plus room for the truncated header, all from the value.
		{"value only", 1, 100, 10, 50, cuts{1 + TruncatedHeaderBytes, 0, 0}},
		// 100 over + 40 = 140: the whole value (100), the whole key (10), 30 of the error text.
		{"value, key, error", 100, 100, 10, 50, cuts{100, 10, 30}},
		{"everything", 1000, 100, 10, 50, cuts{100, 10, 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got cuts
			got.Value, got.Key, got.Err = DeadLetterCuts(tt.over, tt.value, tt.key, tt.errText)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("DeadLetterCuts(%d, %d, %d, %d) (-want +got):\n%s", tt.over, tt.value, tt.key, tt.errText, d)
			}
		})
	}
}
