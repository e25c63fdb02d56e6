package beam_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

var examples = []string{"orders", "iot", "payments", "lognorm"}

func load(t *testing.T, name string) *ir.Pipeline {
	t.Helper()
	res, diags := lang.Load(filepath.Join("..", "..", "examples", name), lang.Options{})
	if diags.HasErrors() || res == nil || res.Pipeline == nil {
		t.Fatalf("load %s: %v", name, diags)
	}
	return res.Pipeline
}

// TestExamplesMatchNative runs every test block of every example on Beam
// (Prism in this process) and on the native engine, and requires the block
// to pass on Beam with the same normalized records on every expected
// target, and the same dead letters (operator and reason), as on native.
func TestExamplesMatchNative(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every example test block on Prism")
	}
	for _, name := range examples {
		p := load(t, name)
		for _, tb := range p.Tests {
			t.Run(name+"/"+tb.Name, func(t *testing.T) {
				nat, err := testrun.Run(p, tb)
				if err != nil {
					t.Fatalf("native: %v", err)
				}
				bm, err := testrun.Run(p, tb, testrun.WithRunner(beam.TestRunner{}))
				if err != nil {
					t.Fatalf("beam: %v", err)
				}
				if bm.Skipped != "" {
					t.Fatalf("beam skipped: %s", bm.Skipped)
				}
				for _, f := range bm.Failures {
					t.Errorf("beam: %s (-want +got):\n%s", f.Target, f.Diff)
				}
				if d := cmp.Diff(nat.Got, bm.Got); d != "" {
					t.Errorf("beam and native outputs differ (-native +beam):\n%s", d)
				}
				if d := cmp.Diff(deadReasons(nat.DeadLetters), deadReasons(bm.DeadLetters)); d != "" {
					t.Errorf("dead letters differ (-native +beam):\n%s", d)
				}
			})
		}
	}
}

func deadReasons(ds []native.DeadLetter) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Operator+": "+d.Reason)
	}
	return out
}
