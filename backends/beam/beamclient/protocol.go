package beamclient

import (
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// ProtocolVersion is the version of the protocol between the core and
// pipeline-beam. Bump it on any change a binary of the other version would
// misread: the core then rebuilds pipeline-beam in a source checkout, or
// says which version to install.
const ProtocolVersion = 1

// Commands pipeline-beam serves.
const (
	CommandRun       = "run"
	CommandTest      = "test"
	CommandCalibrate = "calibrate"
	CommandCancel    = "cancel"
	CommandState     = "state"
)

// Request is the one JSON line the core writes to pipeline-beam's stdin.
type Request struct {
	Protocol int `json:"protocol"`

	// run
	Plan         *ir.Plan      `json:"plan,omitempty"`
	Broker       *ir.Broker    `json:"broker,omitempty"` // where the stages' topics are (the embedded broker's addresses when the spec has none)
	StopWhenIdle time.Duration `json:"stop_when_idle,omitempty"`

	// test, calibrate
	Pipeline *ir.Pipeline  `json:"pipeline,omitempty"`
	Test     string        `json:"test,omitempty"`
	Taps     []string      `json:"taps,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`

	// cancel
	Endpoint string `json:"endpoint,omitempty"`
	JobID    string `json:"job_id,omitempty"`
}

// Control is a line the core writes to a running `run` after its Request.
type Control struct {
	// Release names a stage of the run that finished outside
	// pipeline-beam: bounded reads of its output may end.
	Release string `json:"release,omitempty"`
}

// Event is one JSON line pipeline-beam writes to its stdout.
type Event struct {
	Event string `json:"event"` // one of the Event* constants

	// submitted, done
	Stage     string `json:"stage,omitempty"`
	JobID     string `json:"job_id,omitempty"`
	Endpoint  string `json:"endpoint,omitempty"`
	Runner    string `json:"runner,omitempty"`
	InProcess bool   `json:"in_process,omitempty"` // on Prism inside pipeline-beam: it stops with it
	Awaits    bool   `json:"awaits,omitempty"`     // a "done" event follows

	// started, measured
	Kind        ir.Kind                  `json:"kind,omitempty"`
	Operator    string                   `json:"operator,omitempty"`
	Measurement *costprofile.Measurement `json:"measurement,omitempty"`

	// ok
	Outputs      *testrun.Outputs         `json:"outputs,omitempty"`
	JobState     string                   `json:"job_state,omitempty"` // state: the job service's word (RUNNING, DONE, …)
	Measurements costprofile.Measurements `json:"measurements,omitempty"`

	// error, done
	Error string `json:"error,omitempty"`
	Skip  string `json:"skip,omitempty"` // test: why Beam cannot host it
}

// Event names.
const (
	EventSubmitted = "submitted"
	EventReady     = "ready"
	EventDone      = "done"
	EventStarted   = "started"
	EventMeasured  = "measured"
	EventOK        = "ok"
	EventError     = "error"
)
