package beam_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/ir"
)

// TestFileLineTooLarge: a file line longer than the source's
// max_record_bytes is read only that far, dead-lettered as too_large, and
// the lines after it are processed, as on native (issue 17, item 2).
func TestFileLineTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a job on Prism")
	}
	beam.Init()
	dir := t.TempDir()
	input, out, dlq := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "dlq.jsonl")
	big := `{"id":"` + strings.Repeat("x", 5000) + `"}`
	if err := os.WriteFile(input, []byte(`{"id":"a"}`+"\n"+big+"\n"+`{"id":"b"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf(`
pipeline "big" {}
source "in" {
  file             = %q
  schema           = object({ id = string })
  max_record_bytes = 100
}
sink "out" {
  input = source.in
  file  = %q
}
`, input, out)
	beam.RunFiles(t, beam.LoadOneStage(t, spec, ir.BackendBeam), dlq)
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"id":"a"}`+"\n"+`{"id":"b"}`+"\n", string(got)); diff != "" {
		t.Errorf("out.jsonl (-want +got):\n%s", diff)
	}
	dead, err := os.ReadFile(dlq)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(dead)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "too_large") || !strings.Contains(lines[0], "line 2 is 5009 bytes long") {
		t.Errorf("dead letters: want one too_large for line 2 (5009 bytes), got:\n%s", dead)
	}
	if !strings.Contains(lines[0], `"value":"{\"id\":\"xxx`) {
		t.Errorf("dead letter does not keep the line's start:\n%s", dead)
	}
	if len(dead) > 2000 {
		t.Errorf("dead letter is %d bytes: the line should have been read only up to max_record_bytes", len(dead))
	}
}
