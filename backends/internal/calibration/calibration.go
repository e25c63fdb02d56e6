// Package calibration holds what the backends' calibrators share: the
// one-operator plan an operator kind is measured in, its synthetic input,
// and an emitter that drops outputs and counts dead letters. Each backend
// runs the plan on its own engine (backends/native on the native engine,
// backends/broker in the WebAssembly host).
//
// It must not know how any backend runs a stage.
package calibration

import (
	"context"
	"fmt"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/native"
)

// Stage is the ID of the one-operator stage being measured.
const Stage = "calibrate"

// Records is how many records are generated per input stream (one pass).
const Records = 20000

// Plan is a plan whose one stage, on backend, runs op, fed by channels from
// the producers of its inputs (or, for a source, by its own topic), and the
// stage's input records: the inputs' synthetic records interleaved.
func Plan(p *ir.Pipeline, op *ir.Operator, backend string) (*ir.Plan, []native.Input, error) {
	plan := &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline:      p,
		Stages:        []*ir.Stage{{ID: Stage, Backend: backend, Operators: []string{op.ID}}},
	}
	type feed struct {
		stream    string
		layout    *eval.Layout
		codec     eval.Codec
		eventTime []string
	}
	var feeds []feed
	if op.Kind == ir.KindSource {
		if op.Source == nil {
			return nil, nil, fmt.Errorf("%s has no source settings", op.ID)
		}
		codec, err := eval.NewCodec(op.Source.Format)
		if err != nil {
			return nil, nil, err
		}
		var et []string
		if op.Source.EventTime != nil && !op.Source.EventTime.IsZero() {
			et, _ = eval.ReadAttributes(*op.Source.EventTime, "record")
		}
		feeds = append(feeds, feed{op.ID, eval.NewLayout(op.Schema.Type), codec, et})
	} else {
		layouts, err := costprofile.InputLayouts(p, op)
		if err != nil {
			return nil, nil, err
		}
		codec, err := eval.NewCodec("json") // channels carry JSON
		if err != nil {
			return nil, nil, err
		}
		for k, s := range op.Inputs {
			plan.Channels = append(plan.Channels, &ir.Channel{From: s, To: op.ID, Stream: s, Topic: Stage + "." + s})
			feeds = append(feeds, feed{stream: s, layout: layouts[k], codec: codec})
		}
	}
	var inputs []native.Input
	var buf []byte
	for i := range Records {
		for _, f := range feeds {
			buf = f.codec.Append(buf[:0], costprofile.SyntheticRecord(f.layout, i, f.eventTime))
			inputs = append(inputs, native.Input{
				Stream:      f.stream,
				Offset:      int64(i),
				Value:       append([]byte(nil), buf...),
				TimestampMs: costprofile.SyntheticTime(i).UnixMilli(),
			})
		}
	}
	return plan, inputs, nil
}

// Discard drops a stage's outputs (encoding them is the cost measured,
// delivering them is the I/O layer's) and counts dead letters: synthetic
// records the operator rejects would measure the wrong path.
type Discard struct {
	Dead  int64
	First native.DeadLetter
}

func (*Discard) Emit(native.Output) error { return nil }

func (d *Discard) DeadLetter(dl native.DeadLetter) error {
	if d.Dead == 0 {
		d.First = dl
	}
	d.Dead++
	return nil
}

// Engine is what a calibrator measures: a stage that processes inputs and
// drains at their end (runtime/native's Engine, runtime/wasmhost's).
type Engine interface {
	Process(ctx context.Context, in native.Input, out native.Emitter) error
	Drain(ctx context.Context, out native.Emitter) error
	Close() error
}

// Measurement sizes: records run before measuring so that caches and the
// allocator are warm, and the fewest records a measurement covers however
// short its duration.
const (
	Warmup = 2000
	Min    = 1000
)

// Measure runs passes of inputs through fresh engines from newEngine for d
// (after a warm-up pass) and returns the process CPU time per input record.
// Each pass ends with a drain, so windows firing at the end of input are
// part of the cost. It fails when more than half the records of a pass are
// dead-lettered: a measurement of synthetic records the operator rejects
// would measure the wrong thing.
func Measure(ctx context.Context, op *ir.Operator, inputs []native.Input, d time.Duration, newEngine func() (Engine, error)) (costprofile.Measurement, error) {
	run := func(inputs []native.Input, deadline time.Time) (cpu time.Duration, n int64, err error) {
		e, err := newEngine()
		if err != nil {
			return 0, 0, err
		}
		defer e.Close()
		var out Discard
		defer func() {
			if err == nil && out.Dead > n/2 {
				err = fmt.Errorf("%d of %d synthetic records were dead-lettered (%s by %s: %s)", out.Dead, n, out.First.Reason, out.First.Operator, out.First.Err)
			}
		}()
		start, _ := costprofile.CPUTime()
		for i, in := range inputs {
			if err := e.Process(ctx, in, &out); err != nil {
				return 0, 0, err
			}
			n++
			if i%256 == 255 && n >= Min && time.Now().After(deadline) {
				break
			}
		}
		if err := e.Drain(ctx, &out); err != nil {
			return 0, 0, err
		}
		end, _ := costprofile.CPUTime()
		return end - start, n, nil
	}
	if _, _, err := run(inputs[:min(Warmup, len(inputs))], time.Now().Add(d)); err != nil {
		return costprofile.Measurement{}, err
	}
	var m costprofile.Measurement
	var cpu time.Duration
	for deadline := time.Now().Add(d); ; {
		c, n, err := run(inputs, deadline)
		if err != nil {
			return costprofile.Measurement{}, err
		}
		cpu += c
		m.Records += n
		if !time.Now().Before(deadline) {
			break
		}
	}
	m.Operator = op.ID
	m.NsPerRecord = max(float64(cpu.Nanoseconds())/float64(max(m.Records, 1)), 0.1)
	return m, nil
}
