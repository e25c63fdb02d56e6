package optimizer_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/optimizer"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestRewritesPreserveResults runs every test block of every example, and
// of specs written so that filter pushdown fires, on the pipeline as
// written and on the pipeline the plan runs (after rewrites), and requires
// the same records on every expected target: a target whose records a
// rewrite moved is read where Plan.StreamFor says they went, as the plan's
// pipeline's tests do. A rewritten
// pipeline may dead-letter fewer records (a pushed filter drops some before
// the operator that would fail on them), never others.
func TestRewritesPreserveResults(t *testing.T) {
	specs := []struct {
		dir      string
		rewrites int // how many rewrites the plan must make
	}{
		{"../examples/orders", 0},
		{"../examples/iot", 0},
		{"../examples/payments", 0},
		{"../examples/lognorm", 0},
		{"testdata/rewrites/map", 1},
		{"testdata/rewrites/route", 2},
	}
	for _, sp := range specs {
		t.Run(filepath.Base(sp.dir), func(t *testing.T) {
			res, diags := lang.Load(sp.dir, lang.Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			orig := res.Pipeline
			plan, diags := optimizer.Plan(orig, optimizer.TestBackends)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if len(plan.Rewrites) != sp.rewrites {
				t.Errorf("%d rewrites, want %d: %v", len(plan.Rewrites), sp.rewrites, plan.Rewrites)
			}
			if len(orig.Tests) == 0 {
				t.Fatal("no test blocks")
			}
			want, err := testrun.RunAll(orig, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The plan's pipeline carries the tests, retargeted where the
			// records they expect went: run as pipeline test runs them.
			got, err := testrun.RunAll(plan.Pipeline, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				g := got[i]
				if !w.Passed {
					t.Errorf("test %q fails on the pipeline as written: %+v", w.Test, w.Failures)
				}
				for target, recs := range w.Got {
					s, ok := plan.StreamFor(target)
					if !ok {
						continue
					}
					if d := cmp.Diff(recs, g.Got[s]); d != "" {
						t.Errorf("test %q: %s (read as %s after rewrites) differs (-written +rewritten):\n%s", w.Test, target, s, d)
					}
				}
				if !g.Passed {
					t.Errorf("test %q fails after rewrites: %+v", w.Test, g.Failures)
				}
				t.Logf("test %q: dead letters as written %v, rewritten %v", w.Test, deadInputs(w), deadInputs(g))
				before := deadInputs(w)
				for _, in := range deadInputs(g) {
					if i := slices.Index(before, in); i >= 0 {
						before = slices.Delete(before, i, i+1)
					} else {
						t.Errorf("test %q: the rewritten pipeline dead-letters %s, the written one does not", w.Test, in)
					}
				}
			}
			// The rewritten plan round-trips through its JSON encoding.
			a, err := plan.Encode()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ir.DecodePlan(a)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := back.Encode(); !bytes.Equal(a, b) {
				t.Errorf("plan JSON does not round-trip:\n%s", cmp.Diff(string(a), string(b)))
			}
		})
	}
}

// deadInputs names the inputs a test run dead-lettered.
func deadInputs(r testrun.Result) []string {
	var out []string
	for _, d := range r.DeadLetters {
		out = append(out, fmt.Sprintf("%s@%d", d.Input.Stream, d.Input.Offset))
	}
	return out
}
