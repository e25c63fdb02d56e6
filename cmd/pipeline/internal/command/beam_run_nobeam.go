//go:build nobeam

package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// A binary built with -tags nobeam leaves the Beam SDK out: it refuses beam
// stages, and cannot cancel Beam jobs an earlier apply submitted.

func init() { destroySteps[ir.BackendBeam] = destroyBeamJobs }

var errNoBeam = errors.New("this pipeline binary was built without the beam backend (-tags nobeam); build it without that tag to run beam stages")

type beamJobs struct{}

func beamRunnable(*ir.Plan) error { return errNoBeam }

func (m *Meta) submitBeam(_ context.Context, p *ir.Plan, _ *session, _ *runFlags) (*beamJobs, error) {
	for _, st := range p.Stages {
		if st.Backend == ir.BackendBeam {
			return nil, fmt.Errorf("stage %s: %w", st.ID, errNoBeam)
		}
	}
	return nil, nil
}

func (*beamJobs) workerOptions() []worker.Option { return nil }
func (*beamJobs) wait(*ir.Plan) error            { return nil }
func (*beamJobs) stop()                          {}
func (*beamJobs) record(*state.State)            {}

func destroyBeamJobs(env *destroyEnv) ([]destroyAction, hcl.Diagnostics) {
	for _, s := range env.state.Stages {
		if s.BeamJob != nil {
			return nil, hcl.Diagnostics{errorDiag("Cannot destroy: stage %s runs as Beam job %s on %s, and %v", s.ID, s.BeamJob.ID, s.BeamJob.Endpoint, errNoBeam)}
		}
	}
	return nil, nil
}
