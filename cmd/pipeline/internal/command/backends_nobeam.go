//go:build nobeam

package command

import (
	"context"
	"errors"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// beamTestRunner is the stand-in of a binary built with -tags nobeam: it
// says so instead of running tests on native by mistake.
func beamTestRunner(*Meta) testrun.Runner { return noBeam{} }

// beamCalibrator is nil: calibrate says why (beamUncalibrated).
var beamCalibrator costprofile.Calibrator

const beamUncalibrated = "this pipeline binary was built without the beam backend (-tags nobeam)"

type noBeam struct{}

func (noBeam) Run(context.Context, *ir.Pipeline, *ir.Test, []string) (testrun.Outputs, error) {
	return testrun.Outputs{}, errors.New("this pipeline binary was built without the beam backend (-tags nobeam)")
}
