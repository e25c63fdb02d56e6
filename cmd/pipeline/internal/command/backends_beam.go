package command

import (
	"github.com/pipeline-compiler/pipeline/backends/beam/beamclient"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// beamTestRunner runs `pipeline test -backend beam` on Prism in
// pipeline-beam.
func beamTestRunner(m *Meta) testrun.Runner { return beamclient.TestRunner{Client: m.beamClient()} }

// beamCalibrator measures the beam backend on Prism in pipeline-beam.
var beamCalibrator costprofile.Calibrator = (&Meta{}).beamClient().Calibrate

const beamUncalibrated = ""
