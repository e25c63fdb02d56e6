package worker_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// TestPartitionedFileSink: a file sink with partition_by amount writes each
// record to part.jsonl under amount=<value>/ beside where the file would
// be, and nothing to the file itself. Expected by hand: the filter keeps
// amount >= 100.
func TestPartitionedFileSink(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "orders.jsonl")
	lines := `{"id":1,"amount":150}
{"id":2,"amount":250}
{"id":3,"amount":50}
{"id":4,"amount":150}
`
	if err := os.WriteFile(in, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out", "part.jsonl")
	plan := filterPlan("file:"+in, "file:"+out, ir.AtLeastOnce)
	plan.Pipeline.Operator("sink.out").Sink.PartitionBy = []string{"amount"}
	if err := worker.Run(context.Background(), plan, worker.DeadLetterFile(filepath.Join(dir, "dlq.jsonl"))); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err := filepath.WalkDir(filepath.Join(dir, "out"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = strings.TrimSpace(string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"out/amount=150/part.jsonl": `{"amount":150,"id":1}` + "\n" + `{"amount":150,"id":4}`,
		"out/amount=250/part.jsonl": `{"amount":250,"id":2}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}
