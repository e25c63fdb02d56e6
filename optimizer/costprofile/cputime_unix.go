//go:build unix

package costprofile

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time this process has used so far, all threads
// and garbage collection included: on a shared machine, wall time would
// measure the neighbours too. Where it is not available (ok is false) the
// duration is wall time since an arbitrary start, still fit for differences.
func CPUTime() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return time.Duration(time.Now().UnixNano()), false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
