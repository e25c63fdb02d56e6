package broker

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
	"github.com/pipeline-compiler/pipeline/runtime/wasmhost"
)

// TestRunner runs spec test blocks through the compiled transform module
// in the local WebAssembly host (`pipeline test -backend broker`): the
// operators a test covers are compiled into a broker stage per given
// stream, exactly as Compile compiles them for a deployment, and the given
// records are fed to the module.
type TestRunner struct {
	opts []wasmhost.Option

	once sync.Once
	rt   *wasmhost.Runtime
	err  error
}

var _ testrun.Runner = (*TestRunner)(nil)

// NewTestRunner returns a runner whose host runtime, created on first use,
// has opts.
func NewTestRunner(opts ...wasmhost.Option) *TestRunner { return &TestRunner{opts: opts} }

// Close releases the host runtime.
func (r *TestRunner) Close(ctx context.Context) error {
	if r.rt == nil {
		return nil
	}
	return r.rt.Close(ctx)
}

func (r *TestRunner) runtime(ctx context.Context) (*wasmhost.Runtime, error) {
	r.once.Do(func() { r.rt, r.err = wasmhost.NewRuntime(context.WithoutCancel(ctx), r.opts...) })
	return r.rt, r.err
}

// Run implements testrun.Runner.
func (r *TestRunner) Run(ctx context.Context, p *ir.Pipeline, t *ir.Test, taps []string) (testrun.Outputs, error) {
	plan, given, err := testPlan(p, t)
	if err != nil {
		return testrun.Outputs{}, err
	}
	c := &collector{got: map[string][][]byte{}}
	for i, st := range plan.Stages {
		a, err := compile(plan, st.ID, compileOptions{taps: stageTaps(p, st, taps), anyIO: true})
		if err != nil {
			return testrun.Outputs{}, err
		}
		rt, err := r.runtime(ctx)
		if err != nil {
			return testrun.Outputs{}, err
		}
		m, err := a.Host(ctx, rt)
		if err != nil {
			return testrun.Outputs{}, err
		}
		if err := feed(ctx, m, a, given[i], c); err != nil {
			return testrun.Outputs{}, err
		}
	}
	return testrun.Outputs{Got: c.got, DeadLetters: c.dead}, nil
}

func feed(ctx context.Context, m *wasmhost.Module, a *Artifact, g ir.TestData, c *collector) error {
	eng, err := wasmhost.NewEngine(ctx, m, a.Transform())
	if err != nil {
		return err
	}
	for i, rec := range g.Records {
		in := native.Input{Stream: g.Target, Offset: int64(i), Value: rec}
		if err := eng.Process(ctx, in, c); err != nil {
			eng.Close()
			return fmt.Errorf("%s record %d: %w", g.Target, i, err)
		}
	}
	if err := eng.Drain(ctx, c); err != nil {
		eng.Close()
		return err
	}
	return eng.Close()
}

// testPlan places the operators test t covers (those on a path from a
// given stream to an expected target) on broker stages, one per given
// stream that reaches an expected target, and returns each stage's given
// records. A covered operator a transform cannot host skips the test.
func testPlan(p *ir.Pipeline, t *ir.Test) (*ir.Plan, []ir.TestData, error) {
	covered := coveredOperators(p, t)
	for _, op := range p.Operators {
		if !covered[op.ID] {
			continue
		}
		if reason := hostable(op); reason != "" {
			return nil, nil, &testrun.SkipError{Reason: reason}
		}
	}
	plan := &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p}
	var given []ir.TestData
	for _, g := range t.Given {
		if !covered[g.Target] {
			continue
		}
		reach := downstream(p, g.Target)
		st := &ir.Stage{ID: "test." + strconv.Itoa(len(plan.Stages)), Backend: ir.BackendBroker}
		for _, op := range p.Operators {
			if covered[op.ID] && reach[op.ID] {
				st.Operators = append(st.Operators, op.ID)
			}
		}
		plan.Stages = append(plan.Stages, st)
		given = append(given, g)
	}
	return plan, given, nil
}

// hostable says why a transform cannot host op, or "": the answer of the
// broker's Capabilities (optimizer.Capabilities.Hosts), with files allowed
// since a test feeds its given records and collects its outputs in memory.
func hostable(op *ir.Operator) string {
	caps := Capabilities()
	caps.Files = true
	if ok, reason := caps.Hosts(op); !ok {
		return "the broker cannot host it: " + reason
	}
	return ""
}

// coveredOperators returns the operators on a path from a given stream to
// an expected target.
func coveredOperators(p *ir.Pipeline, t *ir.Test) map[string]bool {
	down := map[string]bool{}
	for _, g := range t.Given {
		for id := range downstream(p, g.Target) {
			down[id] = true
		}
	}
	up := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		if up[id] {
			return
		}
		up[id] = true
		if op := p.Operator(id); op != nil {
			for _, in := range op.Inputs {
				prod, _ := ir.StreamOperator(in)
				walk(prod)
			}
		}
	}
	for _, ex := range t.Expect {
		prod, _ := ir.StreamOperator(ex.Target)
		walk(prod)
	}
	out := map[string]bool{}
	for id := range up {
		if down[id] {
			out[id] = true
		}
	}
	return out
}

// downstream returns opID and every operator that reads its streams,
// transitively.
func downstream(p *ir.Pipeline, opID string) map[string]bool {
	out := map[string]bool{opID: true}
	for _, op := range p.Operators { // topological order
		for _, in := range op.Inputs {
			prod, _ := ir.StreamOperator(in)
			if out[prod] {
				out[op.ID] = true
			}
		}
	}
	return out
}

// stageTaps returns the taps on streams produced in stage st.
func stageTaps(p *ir.Pipeline, st *ir.Stage, taps []string) []string {
	in := stateless.InStage(st)
	var out []string
	for _, t := range taps {
		if prod, _ := ir.StreamOperator(t); in[prod] {
			out = append(out, t)
		}
	}
	return out
}

// collector gathers a test run's outputs by target.
type collector struct {
	got  map[string][][]byte
	dead []native.DeadLetter
}

func (c *collector) Emit(o native.Output) error {
	c.got[o.Target] = append(c.got[o.Target], bytes.Clone(o.Value))
	return nil
}

func (c *collector) DeadLetter(d native.DeadLetter) error {
	d.Input.Key, d.Input.Value = bytes.Clone(d.Input.Key), bytes.Clone(d.Input.Value)
	c.dead = append(c.dead, d)
	return nil
}
