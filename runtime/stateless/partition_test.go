package stateless

import (
	"testing"

	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// TestAppendPartitionDir: Hive-style name=value with Hive's escapes, by
// hand; no value makes a path element other than one directory below.
func TestAppendPartitionDir(t *testing.T) {
	tests := []struct {
		name string
		v    eval.Value
		want string
	}{
		{"dt", eval.String("2026-01-01"), "dt=2026-01-01"},
		{"hm", eval.String("10:15"), "hm=10%3A15"},
		{"d", eval.String("../etc"), "d=..%2Fetc"},
		{"d", eval.String(".."), "d=.."},
		{"d", eval.String(`a=b%c#d?e\f`), "d=a%3Db%25c%23d%3Fe%5Cf"},
		{"d", eval.String("tab\there é"), "d=tab%09here é"},
		{"d", eval.String(""), "d=__DEFAULT_PARTITION__"},
		{"d", eval.Null, "d=__DEFAULT_PARTITION__"},
		{"n", eval.Int(7), "n=7"},
		{"n", eval.Number(1.5), "n=1.5"},
		{"b", eval.Bool(true), "b=true"},
	}
	for _, tt := range tests {
		if got := string(AppendPartitionDir([]byte("x/"), tt.name, tt.v)); got != "x/"+tt.want {
			t.Errorf("%s = %v: got %q, want %q", tt.name, tt.v, got, "x/"+tt.want)
		}
	}
}
