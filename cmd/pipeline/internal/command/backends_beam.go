//go:build !nobeam

package command

import (
	beambackend "github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// beamTestRunner runs `pipeline test -backend beam` on Prism in this
// process. It lives in its own file so that a binary built with
// -tags nobeam leaves the Beam SDK out (backends_nobeam.go).
func beamTestRunner(*Meta) testrun.Runner { return beambackend.TestRunner{} }

// beamCalibrator measures the beam backend on in-process Prism.
var beamCalibrator costprofile.Calibrator = beambackend.Calibrate

const beamUncalibrated = ""
