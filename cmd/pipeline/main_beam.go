//go:build !nobeam

package main

import (
	"os"

	beambackend "github.com/pipeline-compiler/pipeline/backends/beam"
)

// beamWorker runs the Beam SDK harness, and never returns, when a Beam
// runner started this binary as the worker of a job it staged (apply
// stages the pipeline binary itself as the job's worker binary). It runs
// before the CLI parses anything: the harness's flags are Go flag-package
// flags, which the CLI would reject.
func beamWorker(args []string) {
	if beambackend.IsWorker(args) {
		beambackend.WorkerMain(args)
		os.Exit(0)
	}
}
