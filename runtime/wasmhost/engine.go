package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// Transform is one deployed transform as an Engine runs it: how the module
// is set up, and what its output topics mean to the stage.
type Transform struct {
	Config
	// Stream is the stream ID of the input topic's records.
	Stream string
	// Targets maps each output topic to the engine Output.Target of its
	// records: a sink operator ID, or a channel's stream ID.
	Targets map[string]string
	// DeadLetterTopic is the output topic of rejected records; they are
	// reported as record.DeadLetter with their input.
	DeadLetterTopic string
}

// batchSize is the most inputs an Engine buffers before running them
// through the module.
const batchSize = 1024

// Engine runs a stateless stage through a transform module with the stage
// engine interface the worker drives: Process buffers inputs, and Flush
// (which Advance and Drain also do) runs them through the module as one
// batch. The worker flushes before every commit. A transform keeps no
// state, so checkpoints are empty.
type Engine struct {
	inst   *Instance
	t      Transform
	inputs []record.Input
	recs   []Record
	arena  []byte
	out    record.Emitter
}

// NewEngine starts an instance of m for t.
func NewEngine(ctx context.Context, m *Module, t Transform) (*Engine, error) {
	inst, err := m.Start(ctx, t.Config)
	if err != nil {
		return nil, err
	}
	return &Engine{inst: inst, t: t}, nil
}

// Instance returns the running module.
func (e *Engine) Instance() *Instance { return e.inst }

// Process buffers one input; a full buffer is run through the module.
func (e *Engine) Process(ctx context.Context, in record.Input, out record.Emitter) error {
	if in.Stream != e.t.Stream {
		return fmt.Errorf("wasm: transform reads %s, not %s", e.t.Stream, in.Stream)
	}
	// Inputs are copied: the caller may reuse its buffers before the flush.
	start := len(e.arena)
	e.arena = append(append(e.arena, in.Key...), in.Value...)
	if in.Key != nil {
		in.Key = e.arena[start : start+len(in.Key) : start+len(in.Key)]
	}
	in.Value = e.arena[start+len(in.Key) : len(e.arena) : len(e.arena)]
	e.inputs = append(e.inputs, in)
	if len(e.inputs) >= batchSize {
		return e.Flush(ctx, out)
	}
	return nil
}

// Flush runs the buffered inputs through the module and emits its outputs.
func (e *Engine) Flush(ctx context.Context, out record.Emitter) error {
	if len(e.inputs) == 0 {
		return nil
	}
	e.recs = e.recs[:0]
	for _, in := range e.inputs {
		e.recs = append(e.recs, Record{Key: in.Key, Value: in.Value, TimestampMs: in.TimestampMs, Offset: in.Offset})
	}
	e.out = out
	err := e.inst.Process(ctx, e.recs, e.emit)
	e.inputs, e.arena = e.inputs[:0], e.arena[:0]
	if cap(e.arena) > 8<<20 {
		e.arena = nil // do not hold on to a large batch's memory
	}
	return err
}

// emit turns a module write into an engine output or dead letter.
func (e *Engine) emit(o Output) error {
	in := e.inputs[o.Input]
	if o.Topic == e.t.DeadLetterTopic {
		dl := record.DeadLetter{Input: in}
		for _, h := range o.Headers {
			switch string(h.Key) {
			case record.HeaderError:
				dl.Err = string(h.Value)
			case record.HeaderReason:
				dl.Reason = string(h.Value)
			case record.HeaderOperator:
				dl.Operator = string(h.Value)
			}
		}
		return e.out.DeadLetter(dl)
	}
	target, ok := e.t.Targets[o.Topic]
	if !ok {
		return fmt.Errorf("wasm: transform wrote to %q, which is no output of the stage", o.Topic)
	}
	ts := in.TimestampMs
	for _, h := range o.Headers {
		// The event time the module computed for a channel record.
		if string(h.Key) == record.HeaderEventTime {
			if ms, ok := record.DecodeEventTime(h.Value); ok {
				ts = ms
			}
		}
	}
	return e.out.Emit(record.Output{Target: target, Topic: o.Topic, Key: o.Key, Value: o.Value, TimestampMs: ts})
}

// Advance flushes: a transform has no timers.
func (e *Engine) Advance(ctx context.Context, _ int64, out record.Emitter) error {
	return e.Flush(ctx, out)
}

// Drain flushes: a transform has no open windows.
func (e *Engine) Drain(ctx context.Context, out record.Emitter) error {
	return e.Flush(ctx, out)
}

// Checkpoint writes an empty snapshot: a transform keeps no state.
func (e *Engine) Checkpoint(dir string) error {
	if len(e.inputs) > 0 {
		return errors.New("wasm: checkpoint with unflushed inputs")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("wasm: checkpoint: %w", err)
	}
	return nil
}

// Restore restores nothing: a transform keeps no state.
func (e *Engine) Restore(string) error { return nil }

// AddPartitions does nothing: a transform has no watermark to hold back.
func (e *Engine) AddPartitions(string, ...int32) {}

// Close stops the module.
func (e *Engine) Close() error {
	return e.inst.Close(context.Background())
}
