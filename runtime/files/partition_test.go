package files

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPartitionPath(t *testing.T) {
	tests := []struct {
		file, partition, want string
	}{
		{"out/part.jsonl", "", "out/part.jsonl"},
		{"out/part.jsonl", "dt=2026-01-01", "out/dt=2026-01-01/part.jsonl"},
		{"out/part.jsonl", "dt=2026-01-01/hm=10%3A15", "out/dt=2026-01-01/hm=10%3A15/part.jsonl"},
		{"part.jsonl", "k=__DEFAULT_PARTITION__", "k=__DEFAULT_PARTITION__/part.jsonl"},
		{"/data/q10/out/p.jsonl", "a=1/b=%2F", "/data/q10/out/a=1/b=%2F/p.jsonl"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(filepath.FromSlash(tt.want), PartitionPath(filepath.FromSlash(tt.file), tt.partition)); diff != "" {
			t.Errorf("PartitionPath(%q, %q) (-want +got):\n%s", tt.file, tt.partition, diff)
		}
	}
}
