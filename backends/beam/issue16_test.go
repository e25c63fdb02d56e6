package beam_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestIssue16 runs issue 16's reproductions (testdata/issue16) on Beam:
// every test block must pass with the dead letters (operator: reason)
// that dead_letters.json lists, as on native (runtime/testrun).
func TestIssue16(t *testing.T) {
	if testing.Short() {
		t.Skip("runs test blocks on Prism")
	}
	dir := filepath.Join("..", "..", "testdata", "issue16")
	want := testkit.DeadLetters(t, dir)
	for _, name := range testkit.SpecDirs(t, dir) {
		res, diags := lang.Load(filepath.Join(dir, name), lang.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", name, diags)
		}
		for _, tb := range res.Pipeline.Tests {
			t.Run(name+"/"+tb.Name, func(t *testing.T) {
				r, err := testrun.Run(res.Pipeline, tb, testrun.WithRunner(beam.TestRunner{}))
				if err != nil {
					t.Fatal(err)
				}
				if r.Skipped != "" {
					t.Fatalf("skipped: %s", r.Skipped)
				}
				for _, f := range r.Failures {
					t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
				}
				got := []string{}
				got = append(got, deadReasons(r.DeadLetters)...)
				slices.Sort(got) // one record's operators run in no set order on Beam
				if d := cmp.Diff(want[name+"/"+tb.Name], got); d != "" {
					t.Errorf("dead letters (-want +got):\n%s", d)
				}
			})
		}
	}
}
