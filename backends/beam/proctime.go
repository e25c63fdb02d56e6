package beam

import (
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Processing-time windows (an aggregate's window_time = "processing") on
// Beam, with native's semantics (runtime/native, WithClock and
// WithEventTimeClock):
//
//   - In a deployed stage, a record's time in the aggregate is the wall
//     clock when it reaches the aggregate: assignFn re-stamps the element
//     with wallClock() before it assigns windows, so Beam windows and
//     groups it by arrival. The element's WmMs becomes that same reading:
//     the aggregate's clock has reached it, so no record is ever late, and
//     a session closes once a later arrival's clock is past its end, as
//     native's do by the clock. The windows fire when the stage's Beam
//     watermark passes their end: at the end of a bounded input, as native
//     drains; on topics, as the read's watermark advances (see README,
//     "Processing-time windows").
//   - In tests (WithEventTimeClock, which TestRunner passes, as
//     runtime/testrun runs native with native.WithEventTimeClock) each
//     record arrives at its event time and the clock reads the stage
//     watermark: the element keeps its event time and the watermark it
//     arrived under, so the aggregate groups and dead-letters exactly as
//     native's simulated clock does.

// wallClock is the clock processing-time aggregates read in deployed
// stages (epoch milliseconds). Tests in this package replace it: Prism's
// loopback workers run in the test's process.
var wallClock = func() int64 { return time.Now().UnixMilli() }

// WithEventTimeClock simulates the clock of processing-time windows for
// tests, which must not depend on when they run: a record arrives at its
// event time and the clock reads the stage watermark, so processing-time
// windows group and fire as event-time windows without allowed_lateness,
// as on native with native.WithEventTimeClock. Without it, processing-time
// aggregates read the wall clock.
func WithEventTimeClock() Option {
	return func(c *buildConfig) { c.eventClock = true }
}

// wallClocked reports whether aggregate op of a stage built with cfg reads
// the wall clock.
func (c *buildConfig) wallClocked(op *ir.Operator) bool {
	return !c.eventClock && op.Aggregate != nil && op.Aggregate.Window.Time == ir.WindowProcessingTime
}

// arrive stamps el with its arrival time in a wall-clocked aggregate: its
// time and the watermark it is judged by both become the clock's reading.
func arrive(el element) element {
	now := wallClock()
	el.TsMs, el.WmMs = now, now
	return el
}
