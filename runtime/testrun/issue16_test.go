package testrun_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestIssue16 runs the reproductions of issue 16 (testdata/issue16, one
// spec per directory, expected records computed by hand in each test
// block) on the native engine, and checks each test's dead letters
// (operator: reason) against testdata/issue16/dead_letters.json. The beam
// and broker backends run the same specs (backends/*/issue16_test.go).
func TestIssue16(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "issue16")
	want := testkit.DeadLetters(t, dir)
	ran := 0
	for _, name := range testkit.SpecDirs(t, dir) {
		res, diags := lang.Load(filepath.Join(dir, name), lang.Options{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", name, diags)
		}
		for _, tb := range res.Pipeline.Tests {
			t.Run(name+"/"+tb.Name, func(t *testing.T) {
				ran++
				r, err := testrun.Run(res.Pipeline, tb)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range r.Failures {
					t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
				}
				w, ok := want[name+"/"+tb.Name]
				if !ok {
					t.Fatalf("dead_letters.json has no entry for %q", name+"/"+tb.Name)
				}
				if d := cmp.Diff(w, reasons(r.DeadLetters)); d != "" {
					t.Errorf("dead letters (-want +got):\n%s", d)
				}
				if tb.Name == "infinity is dead-lettered" {
					for i, want := range []string{`field "per_cm": the result is +Inf`, `field "per_cm": the result is -Inf`, `field "per_cm"`} {
						if i < len(r.DeadLetters) && !strings.Contains(r.DeadLetters[i].Err, want) {
							t.Errorf("dead letter %d: %q does not say %q", i, r.DeadLetters[i].Err, want)
						}
					}
				}
			})
		}
	}
	if ran != len(want) {
		t.Errorf("ran %d tests, but dead_letters.json lists %d", ran, len(want))
	}
}

func reasons(ds []native.DeadLetter) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.Operator+": "+d.Reason)
	}
	slices.Sort(out) // dead_letters.json lists them sorted
	return out
}
