package broker

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// Backend is the broker backend's entry in backends/registry.
type Backend struct{}

func (Backend) Name() string                                     { return ir.BackendBroker }
func (Backend) Capabilities(*ir.Pipeline) optimizer.Capabilities { return Capabilities() }
func (Backend) Validate(p *ir.Pipeline) hcl.Diagnostics          { return Validate(p) }
func (Backend) TestRunner() testrun.Runner                       { return NewTestRunner() }

func (Backend) Calibrate(ctx context.Context, p *ir.Pipeline, c costprofile.Calibration) (costprofile.Measurements, error) {
	return Calibrate(ctx, p, c)
}
