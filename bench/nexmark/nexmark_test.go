package nexmark_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"testing"

	"github.com/pipeline-compiler/pipeline/backends/beam/beamclient"
	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/bench/nexmark/internal/testgen"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// stateless are the written queries with no aggregate, join or dedupe: the
// broker can host them whole.
var stateless = []string{"q0", "q1", "q2", "q10", "q14", "q21", "q22"}

func load(t *testing.T, q string) *ir.Pipeline {
	t.Helper()
	res, diags := lang.Load(q, lang.Options{})
	if diags.HasErrors() || res == nil || res.Pipeline == nil {
		t.Fatalf("load %s: %v", q, diags)
	}
	if len(res.Pipeline.Tests) == 0 {
		t.Fatalf("%s has no test block", q)
	}
	return res.Pipeline
}

// TestTestsUpToDate regenerates every tests.hcl and given-records file
// (generator + reference) and compares them with the checked-in files.
func TestTestsUpToDate(t *testing.T) {
	for _, q := range testgen.Queries() {
		files, err := testgen.Render(q)
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range files {
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(want, got) {
				t.Errorf("%s is out of date (%v): run go generate ./bench/nexmark", path, err)
			}
		}
	}
}

// run runs every test block of every query on runner (nil: native) and
// requires each to pass without dead letters.
func run(t *testing.T, queries []string, runner testrun.Runner) {
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			p := load(t, q)
			var opts []testrun.Option
			if runner != nil {
				opts = append(opts, testrun.WithRunner(runner))
			}
			results, err := testrun.RunAll(p, nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if r.Skipped != "" {
					t.Fatalf("test %q skipped: %s", r.Test, r.Skipped)
				}
				for _, f := range r.Failures {
					t.Errorf("test %q, %s (-want +got):\n%s", r.Test, f.Target, f.Diff)
				}
				for _, d := range r.DeadLetters {
					t.Errorf("test %q: dead letter from %s (%s): %s", r.Test, d.Operator, d.Reason, d.Err)
				}
			}
		})
	}
}

func TestNative(t *testing.T) { run(t, testgen.Queries(), nil) }

func TestBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	for _, q := range stateless {
		if !slices.Contains(testgen.Queries(), q) {
			t.Fatalf("%s is listed as stateless but has no reference", q)
		}
	}
	runner := broker.NewTestRunner()
	defer runner.Close(context.Background())
	run(t, stateless, topicSinks{runner})
}

// topicSinks runs a pipeline whose file sinks write to topics instead: a
// broker transform can only write topics, and its test runner refuses a
// file sink ("output sink.out has no topic"). The records are the same.
type topicSinks struct{ testrun.Runner }

func (r topicSinks) Run(ctx context.Context, p *ir.Pipeline, tb *ir.Test, taps []string) (testrun.Outputs, error) {
	cp := *p
	cp.Operators = slices.Clone(p.Operators)
	for i, op := range cp.Operators {
		if op.Sink != nil && op.Sink.File != "" {
			o, s := *op, *op.Sink
			s.Topic, s.File = "nexmark-"+op.Name, ""
			o.Sink = &s
			cp.Operators[i] = &o
		}
	}
	return r.Runner.Run(ctx, &cp, tb, taps)
}

// TestBeam runs every query's tests on Beam (Prism) through the
// pipeline-beam binary that PIPELINE_BEAM names; building it takes minutes,
// so it runs only when asked.
func TestBeam(t *testing.T) {
	if os.Getenv("PIPELINE_BEAM") == "" {
		t.Skip("set PIPELINE_BEAM to a pipeline-beam binary (go build -o /tmp/pipeline-beam ./cmd/pipeline-beam) to run the queries on Beam")
	}
	queries := testgen.Queries()
	run(t, queries, beamclient.Backend{}.TestRunner())
}
