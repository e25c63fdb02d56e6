package command

import (
	"sort"

	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"github.com/pipeline-compiler/pipeline/backends/broker"
	nativebackend "github.com/pipeline-compiler/pipeline/backends/native"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// planBackends are the backends plan may place operators on, with what
// each backend package declares it can host and costs, and how it measures
// itself for calibrate (nil: it cannot yet, and uncalibrated says why).
// Adding a backend is one line here.
var planBackends = []struct {
	name         string
	capabilities func() optimizer.Capabilities
	calibrate    costprofile.Calibrator
	uncalibrated string
}{
	{ir.BackendBroker, broker.Capabilities, broker.Calibrate, ""},
	{ir.BackendNative, nativebackend.Capabilities, nativebackend.Calibrate, ""},
	{ir.BackendBeam, beamconfig.Capabilities, beamCalibrator, beamUncalibrated}, // backends_beam.go
}

// testRunners are the backends `pipeline test -backend NAME` can run tests
// on. A nil runner is the native engine (testrun's default). Adding a
// backend is one line here.
var testRunners = map[string]func(*Meta) testrun.Runner{
	"native": func(*Meta) testrun.Runner { return nil },
	"broker": func(*Meta) testrun.Runner { return broker.NewTestRunner() },
	"beam":   beamTestRunner, // backends_beam.go; a nobeam build has a stub
}

func testBackends() []string {
	names := make([]string, 0, len(testRunners))
	for name := range testRunners {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
