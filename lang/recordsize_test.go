package lang

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
)

// TestMaxRecordBytes decodes a source's max_record_bytes into the IR and
// rejects what is not a whole, positive number of bytes at its position.
func TestMaxRecordBytes(t *testing.T) {
	tests := []struct {
		value  string // "" leaves the attribute out
		want   int64  // ir.Source.RecordLimit()
		errors []string
	}{
		{"", ir.DefaultMaxRecordBytes, nil},
		{"2048", 2048, nil},
		{"4 * 1024 * 1024", 4 << 20, nil},
		{"0", 0, []string{"error b.hcl:5:22: Invalid size"}},
		{"-1", 0, []string{"error b.hcl:5:22: Invalid size"}},
		{"1.5", 0, []string{"error b.hcl:5:22: Invalid size"}},
		{"1e12", 0, []string{"error b.hcl:5:22: Invalid size"}},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			attr := ""
			if tt.value != "" {
				attr = "max_record_bytes = " + tt.value
			}
			src := `source "big" {
  topic  = "big"
  schema = object({ id = string })
  # the attribute is on the next line
  ` + attr + `
}
sink "s" {
  input = source.big
  topic = "x"
}`
			res, diags := loadCase(src, Options{})
			if d := cmp.Diff(tt.errors, errorsOf(diags)); d != "" {
				t.Fatalf("errors (-want +got):\n%s", d)
			}
			if tt.errors != nil {
				return
			}
			if got := res.Pipeline.Operator("source.big").Source.RecordLimit(); got != tt.want {
				t.Errorf("RecordLimit() = %d, want %d", got, tt.want)
			}
		})
	}
}
