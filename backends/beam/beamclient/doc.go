// Package beamclient is the core's side of the beam backend: it finds (or,
// in a source checkout, builds) the pipeline-beam binary and talks to it
// over the protocol below. The core pipeline binary links no Beam SDK and no
// cloud SDK; everything that needs them runs in pipeline-beam, a separate
// main package (cmd/pipeline-beam) that is also staged as a job's worker.
//
// # Protocol (version 1)
//
// The core starts `pipeline-beam COMMAND` (run, test, calibrate, cancel,
// state),
// writes one Request as a JSON line to its stdin, and reads Events as JSON
// lines from its stdout until a final event ("ok" or "error"). Its stderr
// is the backend's log, passed through to the core's stderr unchanged. A
// request whose Protocol differs from the binary's is refused with an
// "error" event; `pipeline-beam protocol` prints the binary's version alone,
// which is how the core checks a binary before using it.
//
//   - run: Plan, Broker and StopWhenIdle. pipeline-beam submits every beam
//     stage of the plan, reports each as a "submitted" event, then "ready".
//     The core then writes Control lines: {"release": STAGE} when a stage
//     that runs elsewhere finished (a bounded read downstream of it may
//     end). pipeline-beam reports {"event":"done","stage":...} (with Error
//     when it failed) for every job it waits for (Awaits), and "ok" once
//     stdin is closed; closing stdin early stops the jobs running in the
//     pipeline-beam process (Prism in-process, loopback workers). Jobs on a
//     job server outlive it: destroy cancels them.
//   - test: Pipeline, Test (a test block's name) and Taps; the final "ok"
//     carries Outputs, or "error" carries Skip when Beam cannot host the
//     operators the test covers.
//   - calibrate: Pipeline and Duration; "started" and "measured" per operator
//     kind, then "ok" with Measurements.
//   - cancel: Endpoint and JobID; "ok" once the job service cancelled it.
//   - state: Endpoint and JobID; "ok" with JobState, the job service's
//     state of the job (RUNNING, DONE, FAILED, CANCELLED, …).
//
// It must not import the Beam SDK (a test asserts the core links none), nor
// know about the other backends.
package beamclient
