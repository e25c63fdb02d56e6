package beam_test

import (
	"path/filepath"
	"testing"

	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestIssue13Language runs the language features of issue 13
// (testdata/issue13) on Beam: every test block passes with no dead
// letters, as on native (runtime/testrun/issue13_test.go).
func TestIssue13Language(t *testing.T) {
	if testing.Short() {
		t.Skip("runs test blocks on Prism")
	}
	dir := filepath.Join("..", "..", "testdata", "issue13")
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
				if len(r.DeadLetters) != 0 {
					t.Errorf("dead letters: %+v", r.DeadLetters)
				}
			})
		}
	}
}
