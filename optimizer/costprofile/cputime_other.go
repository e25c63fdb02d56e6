//go:build !unix

package costprofile

import "time"

var clockStart = time.Now()

// CPUTime is not available here: it returns the wall time since the
// process started instead, and false.
func CPUTime() (time.Duration, bool) { return time.Since(clockStart), false }
