package beam

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// partSpec writes a file source to a sink partitioned by two of its fields.
const partSpec = `
pipeline "parts" {}
source "in" {
  file   = %q
  schema = object({ id = number, dt = string, hm = string })
}
sink "out" {
  input        = source.in
  file         = %q
  partition_by = [record.dt, record.hm]
}
`

// TestPartitionedFileSink runs a partitioned file sink file to file on
// Prism (KafkaIO without a broker, as pipeline-beam runs a file stage) and
// on native's worker, and checks both wrote the Hive-style layout worked
// out by hand: name=value directories in partition_by order, the
// characters Hive escapes percent-encoded, null and "" as
// __DEFAULT_PARTITION__, each file holding its records.
func TestPartitionedFileSink(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a pipeline on Prism")
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "in.jsonl")
	lines := []string{
		`{"id":1,"dt":"2026-01-01","hm":"10:15"}`,
		`{"id":2,"dt":"2026-01-01","hm":"10:16"}`,
		`{"id":3,"dt":"2026-01-01","hm":"10:15"}`,
		`{"id":4,"dt":"2026-01-02","hm":""}`,
		`{"id":5,"dt":"2026-01-02","hm":null}`,
		`{"id":6,"dt":"a/b","hm":"x=y"}`,
	}
	if err := os.WriteFile(input, []byte(joinLines(lines)), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"dt=2026-01-01/hm=10%3A15/part.jsonl":               {lines[0], lines[2]},
		"dt=2026-01-01/hm=10%3A16/part.jsonl":               {lines[1]},
		"dt=2026-01-02/hm=__DEFAULT_PARTITION__/part.jsonl": {lines[3], lines[4]},
		"dt=a%2Fb/hm=x%3Dy/part.jsonl":                      {lines[5]},
	}
	for _, backend := range []string{ir.BackendBeam, ir.BackendNative} {
		t.Run(backend, func(t *testing.T) {
			out := filepath.Join(dir, backend)
			plan := LoadOneStage(t, fmt.Sprintf(partSpec, input, filepath.Join(out, "part.jsonl")), backend)
			if backend == ir.BackendNative {
				if err := worker.Run(context.Background(), plan, worker.StateDir(t.TempDir())); err != nil {
					t.Fatal(err)
				}
			} else {
				RunFiles(t, plan, filepath.Join(t.TempDir(), "dlq.jsonl"))
			}
			got := readTree(t, out)
			wantN := map[string][]string{}
			for path, recs := range want {
				wantN[filepath.FromSlash(path)] = normalized(t, toStrings(recs))
			}
			if diff := cmp.Diff(wantN, got); diff != "" {
				t.Errorf("files under %s (-want +got):\n%s", out, diff)
			}
		})
	}
}

// readTree returns every file under root (relative path) with its records
// normalized (sorted, keys sorted).
func readTree(t *testing.T, root string) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		var recs [][]byte
		for sc := bufio.NewScanner(f); sc.Scan(); {
			recs = append(recs, append([]byte(nil), sc.Bytes()...))
		}
		rel, _ := filepath.Rel(root, path)
		got[rel] = normalized(t, recs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func joinLines(lines []string) string {
	s := ""
	for _, l := range lines {
		s += l + "\n"
	}
	return s
}
