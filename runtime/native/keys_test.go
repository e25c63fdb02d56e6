package native

import (
	"bytes"
	"math"
	"testing"

	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// TestAppendKeyNumbers: number keys are equal exactly when the numbers
// are (issue 16.5): 64-bit integers from different records meet, their
// neighbours do not, and 1 and 1.0, 0 and -0 are one key. Keys of numbers
// a float64 holds keep the encoding they had before integers were exact,
// so existing state stays readable.
func TestAppendKeyNumbers(t *testing.T) {
	key := func(vs ...eval.Value) []byte {
		var b []byte
		for _, v := range vs {
			b = appendKey(b, v)
		}
		return b
	}
	const id = 1234567890123456789
	for _, tt := range []struct {
		name  string
		a, b  []eval.Value
		equal bool
	}{
		{"same id", []eval.Value{eval.Int(id)}, []eval.Value{eval.Int(id)}, true},
		{"neighbours", []eval.Value{eval.Int(id)}, []eval.Value{eval.Int(id - 1)}, false},
		{"id and its float64", []eval.Value{eval.Int(id)}, []eval.Value{eval.Number(1.2345678901234568e18)}, false},
		{"2^53 and 2^53+1", []eval.Value{eval.Int(1 << 53)}, []eval.Value{eval.Int(1<<53 + 1)}, false},
		{"1 and 1.0", []eval.Value{eval.Int(1)}, []eval.Value{eval.Number(1.0)}, true},
		{"0 and -0", []eval.Value{eval.Int(0)}, []eval.Value{eval.Number(math.Copysign(0, -1))}, true},
		{"composite", []eval.Value{eval.Int(id), eval.String("a")}, []eval.Value{eval.Int(id), eval.String("a")}, true},
		{"composite neighbours", []eval.Value{eval.Int(id), eval.String("a")}, []eval.Value{eval.Int(id - 1), eval.String("a")}, false},
		{"MinInt64 and MaxInt64", []eval.Value{eval.Int(math.MinInt64)}, []eval.Value{eval.Int(math.MaxInt64)}, false},
	} {
		if got := bytes.Equal(key(tt.a...), key(tt.b...)); got != tt.equal {
			t.Errorf("%s: equal keys = %v, want %v", tt.name, got, tt.equal)
		}
	}
	// The encoding of numbers within 2^53 is the one from before.
	want := append([]byte{byte(eval.KindNumber)}, 0x40, 0x59, 0, 0, 0, 0, 0, 0) // 100 as float64 bits
	if got := key(eval.Int(100)); !bytes.Equal(got, want) {
		t.Errorf("key of 100 = %x, want %x", got, want)
	}
}
