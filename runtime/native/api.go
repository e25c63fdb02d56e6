package native

import (
	"context"
	"errors"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// Input is one record arriving at a stage.
type Input struct {
	// Stream is the ID of the stream the record belongs to: a source
	// operator ID ("source.orders") or, for a stage fed by a channel, the
	// channel's stream ID ("filter.big_us").
	Stream    string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte // encoded record (JSON)
	// TimestampMs is the record timestamp, used as event time when the
	// source has no event_time expression.
	TimestampMs int64
}

// Output is one record leaving a stage.
type Output struct {
	// Target is a sink operator ID ("sink.revenue"), or the stream ID of a
	// channel to another stage.
	Target      string
	Key         []byte
	Value       []byte
	TimestampMs int64
}

// DeadLetter is a record that failed to decode or evaluate, or arrived late.
type DeadLetter struct {
	Input    Input
	Operator string // the operator that rejected it
	Reason   string // "decode", "eval", "late"
	Err      string
}

// Emitter receives a stage's outputs. Calls happen on the goroutine that
// called Process, Advance or Drain.
type Emitter interface {
	Emit(Output) error
	DeadLetter(DeadLetter) error
}

// Engine runs the operators of one native stage for one partition group.
// It is not safe for concurrent use: run one Engine per goroutine.
type Engine struct {
	stage *ir.Stage
	_     eval.Frame
}

// ErrNotImplemented marks the placeholder API until the engine lands.
var ErrNotImplemented = errors.New("native: not implemented")

// Option configures an Engine.
type Option func(*config)

type config struct {
	stateDir string
}

// WithStateDir keeps operator state in an embedded key-value store in dir
// (default: in memory).
func WithStateDir(dir string) Option { return func(c *config) { c.stateDir = dir } }

// New builds the engine for stage stageID of plan.
func New(plan *ir.Plan, stageID string, opts ...Option) (*Engine, error) {
	return nil, ErrNotImplemented
}

// Process pushes one input record through the stage.
func (e *Engine) Process(ctx context.Context, in Input, out Emitter) error {
	return ErrNotImplemented
}

// Advance tells the engine that no input with an earlier timestamp than
// wallMs is pending for idle partitions, letting watermarks progress.
func (e *Engine) Advance(ctx context.Context, wallMs int64, out Emitter) error {
	return ErrNotImplemented
}

// Drain fires every open window and flushes all state that waits for time,
// as at the end of a bounded input or a stop with drain.
func (e *Engine) Drain(ctx context.Context, out Emitter) error { return ErrNotImplemented }

// Checkpoint writes a consistent snapshot of operator state to dir.
// Source offsets are recorded by the caller alongside it.
func (e *Engine) Checkpoint(dir string) error { return ErrNotImplemented }

// Restore loads the snapshot in dir, replacing current state.
func (e *Engine) Restore(dir string) error { return ErrNotImplemented }

// Close releases the state store.
func (e *Engine) Close() error { return nil }
