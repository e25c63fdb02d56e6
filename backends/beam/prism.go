package beam

import (
	"context"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
)

// localPrism is the endpoint of the one Prism job service a process starts
// for its in-process runs: starting Prism once and submitting every
// pipeline to it keeps a test suite from paying Prism's start-up per test.
var localPrism = sync.OnceValues(func() (string, error) {
	return startPrism(context.Background())
})

// quietBeam makes the Beam SDK and Prism log warnings and errors only, when
// the SDK is not initialized yet: at info level they log every job's life
// cycle, which would drown the output of a command that runs many jobs
// (pipeline test).
var quietBeam = sync.OnceFunc(func() {
	if !beam.Initialized() {
		beamlog.LogLevel = "warn"
	}
	Init()
})

// Run runs p on Prism in this process, with loopback workers (goroutines
// of this process), and waits until it finishes. Every Run of a process
// shares one Prism job service.
func Run(ctx context.Context, p *beam.Pipeline, name string) error {
	quietBeam()
	endpoint, err := localPrism()
	if err != nil {
		return err
	}
	job, err := Submit(ctx, p, name, &beamconfig.JobConfig{Runner: beamconfig.RunnerPrism, Endpoint: endpoint, Environment: beamconfig.EnvLoopback})
	if err != nil {
		return err
	}
	return job.Wait(ctx)
}
