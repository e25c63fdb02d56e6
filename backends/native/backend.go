package native

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// Backend is the native backend's entry in backends/registry.
type Backend struct{}

func (Backend) Name() string { return ir.BackendNative }

// Capabilities are Capabilities(), with a note on every native stage when
// the spec sets instances.
func (Backend) Capabilities(p *ir.Pipeline) optimizer.Capabilities {
	caps := Capabilities()
	if cfg, diags := DecodeConfig(p); !diags.HasErrors() && cfg.Instances > 0 {
		caps.Notes = append(caps.Notes, fmt.Sprintf("instances = %d: a worker process runs at most %d of its partition groups at once", cfg.Instances, cfg.Instances))
	}
	return caps
}

func (Backend) Validate(p *ir.Pipeline) hcl.Diagnostics { return Validate(p) }

func (Backend) Calibrate(ctx context.Context, p *ir.Pipeline, c costprofile.Calibration) (costprofile.Measurements, error) {
	return Calibrate(ctx, p, c)
}

// TestRunner is nil: testrun runs tests on the native engine by default.
func (Backend) TestRunner() testrun.Runner { return nil }
