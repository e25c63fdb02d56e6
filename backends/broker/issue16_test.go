package broker

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestIssue16 runs issue 16's stateless reproductions (testdata/issue16:
// infinities, RFC 3339 timestamps) through the transform module in the
// WebAssembly host: each must pass with the dead letters dead_letters.json
// lists, as on native. The stateful ones must be skipped.
func TestIssue16(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	dir := filepath.Join("..", "..", "testdata", "issue16")
	want := testkit.DeadLetters(t, dir)
	runner := NewTestRunner()
	defer runner.Close(context.Background())
	ran := 0
	for _, name := range testkit.SpecDirs(t, dir) {
		p := loadPipeline(t, filepath.Join(dir, name))
		for _, tb := range p.Tests {
			t.Run(name+"/"+tb.Name, func(t *testing.T) {
				r, err := testrun.Run(p, tb, testrun.WithRunner(runner))
				if err != nil {
					t.Fatal(err)
				}
				if r.Skipped != "" {
					if name == "stateless" {
						t.Fatalf("skipped: %s", r.Skipped)
					}
					t.Skipf("broker: %s", r.Skipped)
				}
				ran++
				for _, f := range r.Failures {
					t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
				}
				got := []string{}
				for _, d := range r.DeadLetters {
					got = append(got, d.Operator+": "+d.Reason)
				}
				slices.Sort(got)
				if d := cmp.Diff(want[name+"/"+tb.Name], got); d != "" {
					t.Errorf("dead letters (-want +got):\n%s", d)
				}
			})
		}
	}
	if ran != 4 {
		t.Errorf("ran %d tests on the broker, want 4", ran)
	}
}
