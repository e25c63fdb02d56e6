package beamclient

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// Backend is the beam backend's entry in backends/registry: a thin client
// that plans with beamconfig and runs everything else in pipeline-beam.
type Backend struct {
	// Client runs pipeline-beam; nil uses a zero Client.
	Client *Client
}

func (b Backend) client() *Client {
	if b.Client != nil {
		return b.Client
	}
	return &Client{}
}

func (Backend) Name() string                                     { return ir.BackendBeam }
func (Backend) Capabilities(*ir.Pipeline) optimizer.Capabilities { return beamconfig.Capabilities() }
func (Backend) Validate(p *ir.Pipeline) hcl.Diagnostics          { return beamconfig.ValidateJobConfig(p) }
func (b Backend) TestRunner() testrun.Runner                     { return TestRunner{Client: b.client()} }

func (b Backend) Calibrate(ctx context.Context, p *ir.Pipeline, c costprofile.Calibration) (costprofile.Measurements, error) {
	return b.client().Calibrate(ctx, p, c)
}
