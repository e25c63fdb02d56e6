package broker

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestExamplesMatchNative runs every test block of every example through
// the transform module in the WebAssembly host and on the native engine:
// each block the broker can host must pass and give the same outputs and
// dead letters on both; the others must be skipped with a reason.
func TestExamplesMatchNative(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	runner := NewTestRunner()
	defer runner.Close(context.Background())
	ran := map[string]int{}
	for _, name := range []string{"orders", "iot", "payments", "lognorm"} {
		p := loadPipeline(t, "../../examples/"+name)
		for _, tb := range p.Tests {
			t.Run(name+"/"+tb.Name, func(t *testing.T) {
				got, err := testrun.Run(p, tb, testrun.WithRunner(runner))
				if err != nil {
					t.Fatal(err)
				}
				if got.Skipped != "" {
					t.Skipf("broker: %s", got.Skipped)
				}
				ran[name]++
				want, err := testrun.Run(p, tb)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range got.Failures {
					t.Errorf("broker: %s (-want +got):\n%s", f.Target, f.Diff)
				}
				if d := cmp.Diff(want.Got, got.Got); d != "" {
					t.Errorf("outputs differ from native (-native +broker):\n%s", d)
				}
				if d := cmp.Diff(deadLetters(want.DeadLetters), deadLetters(got.DeadLetters)); d != "" {
					t.Errorf("dead letters differ from native (-native +broker):\n%s", d)
				}
			})
		}
	}
	if ran["lognorm"] != 2 {
		t.Errorf("ran %d lognorm tests on the broker, want 2", ran["lognorm"])
	}
}

// deadLetter is what the comparison looks at in a dead letter.
type deadLetter struct {
	Operator, Reason, Err, Stream, Value string
	Offset                               int64
}

func deadLetters(dls []native.DeadLetter) []deadLetter {
	var out []deadLetter
	for _, d := range dls {
		out = append(out, deadLetter{d.Operator, d.Reason, d.Err, d.Input.Stream, string(d.Input.Value), d.Input.Offset})
	}
	return out
}

// TestDeadLettersMatchNative feeds records that fail to decode or evaluate
// through lognorm on both runners: the dead letters must be the same.
func TestDeadLettersMatchNative(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	p := loadPipeline(t, "../../examples/lognorm")
	tb := *p.Tests[0]
	g := tb.Given[0]
	g.Records = append(slices.Clone(g.Records),
		json.RawMessage(`{"level": "info", "msg": `),                // malformed
		json.RawMessage(`{"level": ["x"], "msg": "m"}`),             // wrong type
		json.RawMessage(`{"level": "error", "msg": "ok", "ts": 1}`), // number into a string: converted
	)
	tb.Given = []ir.TestData{g}
	runner := NewTestRunner()
	defer runner.Close(context.Background())
	got, err := testrun.Run(p, &tb, testrun.WithRunner(runner))
	if err != nil {
		t.Fatal(err)
	}
	want, err := testrun.Run(p, &tb)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.DeadLetters) != 2 {
		t.Fatalf("native gave %d dead letters, want 2: %+v", len(want.DeadLetters), want.DeadLetters)
	}
	if d := cmp.Diff(deadLetters(want.DeadLetters), deadLetters(got.DeadLetters)); d != "" {
		t.Errorf("dead letters differ from native (-native +broker):\n%s", d)
	}
	if d := cmp.Diff(want.Got, got.Got); d != "" {
		t.Errorf("outputs differ from native (-native +broker):\n%s", d)
	}
}
