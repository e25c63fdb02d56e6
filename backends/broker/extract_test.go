package broker

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestExtractionFunctionsInModule runs regex_extract and split_index in the
// transform module and on the native engine: the test block's hand-computed
// records must come out of both.
func TestExtractionFunctionsInModule(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	runner := NewTestRunner()
	defer runner.Close(context.Background())
	p := loadPipeline(t, "testdata/extract")
	for _, tb := range p.Tests {
		for name, opts := range map[string][]testrun.Option{"broker": {testrun.WithRunner(runner)}, "native": nil} {
			t.Run(name+"/"+tb.Name, func(t *testing.T) {
				got, err := testrun.Run(p, tb, opts...)
				if err != nil {
					t.Fatal(err)
				}
				if got.Skipped != "" {
					t.Fatalf("skipped: %s", got.Skipped)
				}
				for _, f := range got.Failures {
					t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
				}
				if d := cmp.Diff(0, len(got.DeadLetters)); d != "" {
					t.Errorf("dead letters: %v", got.DeadLetters)
				}
			})
		}
	}
}
