package beam

import (
	"context"
	"testing"

	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
)

// Helpers for the tests that run a spec over files, here and in package
// beam_test.

// OneStage places every operator of p in one stage of backend b.
func OneStage(p *ir.Pipeline, b string) *ir.Plan {
	st := &ir.Stage{ID: b + ".1", Backend: b}
	for _, op := range p.Operators {
		st.Operators = append(st.Operators, op.ID)
	}
	return &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p, Stages: []*ir.Stage{st}}
}

// LoadOneStage loads spec and places every operator in one stage of
// backend b.
func LoadOneStage(t testing.TB, spec, b string) *ir.Plan {
	t.Helper()
	res, diags := lang.LoadFiles(map[string][]byte{"main.hcl": []byte(spec)}, lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return OneStage(res.Pipeline, b)
}

// RunFiles runs plan's first stage, whose sources and sinks are files, on
// Prism in this process, its dead letters written to the file dlq.
func RunFiles(t testing.TB, plan *ir.Plan, dlq string) {
	t.Helper()
	st := plan.Stages[0].ID
	io, err := NewKafkaIO(plan, st, kafkaio.Conn{})
	if err != nil {
		t.Fatal(err)
	}
	io.DeadLetterFile = dlq
	pipe, err := Build(plan, st, io)
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), pipe, plan.Pipeline.Name); err != nil {
		t.Fatal(err)
	}
}
