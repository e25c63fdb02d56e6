package registry

import (
	"context"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/backends/beam/beamclient"
	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/backends/native"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// Backend is one execution backend.
type Backend interface {
	// Name is the backend's name in specs (backend "NAME" {}) and plans.
	Name() string
	// Capabilities is what the backend hosts and costs before
	// calibration, given the spec (its backend block may add notes).
	Capabilities(p *ir.Pipeline) optimizer.Capabilities
	// Validate decodes and checks the spec's backend block for this
	// backend, if any.
	Validate(p *ir.Pipeline) hcl.Diagnostics
	// Calibrate measures what each operator kind of p costs on this
	// machine; it implements costprofile.Calibrator.
	Calibrate(ctx context.Context, p *ir.Pipeline, c costprofile.Calibration) (costprofile.Measurements, error)
	// TestRunner runs test blocks on the backend; nil means the native
	// engine (testrun's default).
	TestRunner() testrun.Runner
}

// Environment is a set of backends, in a fixed order.
type Environment struct {
	backends []Backend
	beam     *beamclient.Client
}

// Option configures an Environment.
type Option func(*Environment)

// With adds b, replacing a backend of the same name.
func With(b Backend) Option {
	return func(e *Environment) {
		if i := slices.IndexFunc(e.backends, func(x Backend) bool { return x.Name() == b.Name() }); i >= 0 {
			e.backends[i] = b
			return
		}
		e.backends = append(e.backends, b)
	}
}

// BeamClient sets the client the beam backend runs pipeline-beam with
// (its log destination and environment); Default's beam entry uses it.
func BeamClient(c *beamclient.Client) Option { return func(e *Environment) { e.beam = c } }

// New returns an environment of the backends opts add.
func New(opts ...Option) *Environment {
	e := &Environment{}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Default returns the standard backends, then opts applied. This is the
// one list of backends: adding one is a line here.
func Default(opts ...Option) *Environment {
	e := New(opts...)
	beam := beamclient.Backend{Client: e.beam}
	std := New(
		With(broker.Backend{}),
		With(native.Backend{}),
		With(beam),
	)
	for _, b := range e.backends { // opts override the standard entries
		With(b)(std)
	}
	return std
}

// All returns the backends in order.
func (e *Environment) All() []Backend { return slices.Clone(e.backends) }

// Get returns the backend called name, or nil.
func (e *Environment) Get(name string) Backend {
	for _, b := range e.backends {
		if b.Name() == name {
			return b
		}
	}
	return nil
}

// Names returns the backends' names in order.
func (e *Environment) Names() []string {
	out := make([]string, len(e.backends))
	for i, b := range e.backends {
		out[i] = b.Name()
	}
	return out
}

// Validate checks every backend's block of p.
func (e *Environment) Validate(p *ir.Pipeline) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, b := range e.backends {
		diags = append(diags, b.Validate(p)...)
	}
	return diags
}

// PlanOptions declare every backend's capabilities to the optimizer,
// adjusted by prof (nil: the built-in costs).
func (e *Environment) PlanOptions(p *ir.Pipeline, prof *costprofile.Profile) []optimizer.Option {
	opts := make([]optimizer.Option, 0, len(e.backends))
	for _, b := range e.backends {
		opts = append(opts, optimizer.WithCapabilities(b.Name(), prof.Apply(b.Name(), b.Capabilities(p))))
	}
	return opts
}
