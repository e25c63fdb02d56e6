package testrun_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestExamples runs every test block of every pipeline under examples/.
func TestExamples(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*")
	if len(dirs) == 0 {
		t.Skip("no examples")
	}
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			p, err := load(dir)
			if err != nil {
				t.Skipf("lang.Load: %v", err)
			}
			if len(p.Tests) == 0 {
				t.Skip("no test blocks")
			}
			for _, tb := range p.Tests {
				t.Run(tb.Name, func(t *testing.T) {
					res, err := testrun.Run(p, tb)
					if err != nil {
						t.Fatal(err)
					}
					for _, f := range res.Failures {
						t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
					}
					if !res.Passed {
						for _, d := range res.DeadLetters {
							t.Logf("dead letter: %s %s: %s (%s)", d.Operator, d.Reason, d.Err, d.Input.Value)
						}
					}
				})
			}
		})
	}
}

// load runs lang.Load, turning a panic (lang still being written) into an
// error so the test can skip.
func load(dir string) (p *ir.Pipeline, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	res, diags := lang.Load(dir, lang.Options{})
	if diags.HasErrors() {
		return nil, diags
	}
	if res == nil || res.Pipeline == nil {
		return nil, fmt.Errorf("no pipeline")
	}
	return res.Pipeline, nil
}
