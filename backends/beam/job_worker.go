package beam

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

var initOnce sync.Once

// Init initializes the Beam SDK in a process that builds and submits
// pipelines (schemas of registered types, logging). Call it before
// building a pipeline; calling it again does nothing. A worker process
// uses WorkerMain instead.
func Init() { initOnce.Do(beam.Init) }

// IsWorker reports whether args (without the program name) are the
// arguments a Beam runner or Beam's Go boot loader starts a Go worker
// binary with: --worker plus its endpoints. pipeline-beam checks this
// before its own command-line parsing, so that it can be staged as the
// job's worker binary.
func IsWorker(args []string) bool {
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "worker", "worker=true":
			return strings.HasPrefix(a, "-")
		}
	}
	return false
}

// WorkerMain runs the Beam SDK harness with args (those IsWorker accepts)
// until the runner stops it; it does not return normally. The harness
// reads its settings from Go's global flag set, so the args are parsed
// there; quotes around a value (Prism's PROCESS environment passes
// --id='…' with literal quotes) are stripped first.
func WorkerMain(args []string) {
	clean := make([]string, len(args))
	for i, a := range args {
		if name, val, ok := strings.Cut(a, "="); ok && len(val) >= 2 && val[0] == '\'' && val[len(val)-1] == '\'' {
			a = name + "=" + val[1:len(val)-1]
		}
		clean[i] = a
	}
	if err := flag.CommandLine.Parse(clean); err != nil {
		fmt.Fprintf(os.Stderr, "beam worker: %v\n", err)
		os.Exit(2)
	}
	beam.Init() // runs the harness, then exits the process
	fmt.Fprintln(os.Stderr, "beam worker: the SDK harness returned without a worker flag")
	os.Exit(2)
}
