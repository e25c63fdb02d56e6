// Package cputime measures the CPU time benchmarks use, beside their wall
// time: on a machine shared with other work, wall time per operation moves
// with the load (±50 % here), while the process's CPU time moves far less,
// so ratios of CPU time are what growth benchmarks compare. It knows
// nothing about what it measures.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Report starts measuring the process's CPU time (user and system, every
// thread: the garbage collector's work counts) and returns the function
// that stops and reports it as the metric "cpu-ns/op". Call it right
// before the benchmark's loop and the returned function right after.
func Report(b *testing.B) func() {
	start := now()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(now()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
