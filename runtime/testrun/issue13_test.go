package testrun_test

import (
	"path/filepath"
	"testing"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestIssue13Language runs the language features of issue 13
// (testdata/issue13, one spec per directory, expected records computed by
// hand in each test block) on the native engine: no failures and no dead
// letters. backends/beam/issue13_test.go runs the same specs on Beam.
func TestIssue13Language(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "issue13")
	for _, name := range testkit.SpecDirs(t, dir) {
		res, diags := lang.Load(filepath.Join(dir, name), lang.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", name, diags)
		}
		if len(res.Pipeline.Tests) == 0 {
			t.Errorf("%s has no test blocks", name)
		}
		for _, tb := range res.Pipeline.Tests {
			t.Run(name+"/"+tb.Name, func(t *testing.T) {
				r, err := testrun.Run(res.Pipeline, tb)
				if err != nil {
					t.Fatal(err)
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
