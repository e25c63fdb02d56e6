package native

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	engine "github.com/pipeline-compiler/pipeline/runtime/native"
)

// Calibration sizes: records generated per input stream (one engine pass),
// records run before measuring so that caches and the allocator are warm,
// and the fewest records a measurement covers however short its duration.
const (
	calibrationRecords = 20000
	calibrationWarmup  = 2000
	calibrationMin     = 1000
)

// calibrationStage is the ID of the one-operator stage being measured.
const calibrationStage = "calibrate"

// Calibrate measures, for each operator kind p has, the CPU cost per input
// record of one of p's operators of that kind (costprofile.Subjects) run
// by the native engine as a stage of its own: synthetic records generated
// from the operator's input schemas arrive encoded, as on a channel (a
// source's in its own format), and its output streams are encoded as they
// would leave the stage. Each kind runs for c.Duration, on fresh in-memory
// state every pass over the generated records; windows fire as event time
// advances, and draining at the end of each pass is part of the cost.
// It implements costprofile.Calibrator.
func Calibrate(ctx context.Context, p *ir.Pipeline, c costprofile.Calibration) (costprofile.Measurements, error) {
	if p == nil {
		return nil, errors.New("native: calibrate: no pipeline")
	}
	subjects := costprofile.Subjects(p)
	out := costprofile.Measurements{}
	for _, kind := range costprofile.Kinds(subjects) {
		op := subjects[kind]
		if c.Started != nil {
			c.Started(kind, op.ID)
		}
		m, err := measure(ctx, p, op, c.Duration)
		if err != nil {
			return nil, fmt.Errorf("native: calibrate %s: %w", op.ID, err)
		}
		out[kind] = m
		if c.Measured != nil {
			c.Measured(kind, m)
		}
	}
	return out, nil
}

// measure runs op as a stage of its own for d.
func measure(ctx context.Context, p *ir.Pipeline, op *ir.Operator, d time.Duration) (costprofile.Measurement, error) {
	plan, inputs, err := calibrationPlan(p, op)
	if err != nil {
		return costprofile.Measurement{}, err
	}
	taps := op.Streams()
	if op.Kind == ir.KindSource {
		taps = []string{op.ID}
	}
	run := func(inputs []engine.Input, deadline time.Time) (cpu time.Duration, n int64, err error) {
		e, err := engine.New(plan, calibrationStage, engine.WithTaps(taps...))
		if err != nil {
			return 0, 0, err
		}
		defer e.Close()
		var out discard
		defer func() {
			if err == nil && out.dead > n/2 {
				err = fmt.Errorf("%d of %d synthetic records were dead-lettered (%s by %s: %s)", out.dead, n, out.first.Reason, out.first.Operator, out.first.Err)
			}
		}()
		start, _ := costprofile.CPUTime()
		for i, in := range inputs {
			if err := e.Process(ctx, in, &out); err != nil {
				return 0, 0, err
			}
			n++
			if i%256 == 255 && n >= calibrationMin && time.Now().After(deadline) {
				break
			}
		}
		if err := e.Drain(ctx, &out); err != nil {
			return 0, 0, err
		}
		end, _ := costprofile.CPUTime()
		return end - start, n, nil
	}
	if _, _, err := run(inputs[:min(calibrationWarmup, len(inputs))], time.Now().Add(d)); err != nil {
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

// calibrationPlan is a plan whose one stage runs op, fed by channels from
// the producers of its inputs (or, for a source, by its own topic), and the
// stage's input records: the inputs' synthetic records interleaved.
func calibrationPlan(p *ir.Pipeline, op *ir.Operator) (*ir.Plan, []engine.Input, error) {
	plan := &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline:      p,
		Stages:        []*ir.Stage{{ID: calibrationStage, Backend: ir.BackendNative, Operators: []string{op.ID}}},
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
			plan.Channels = append(plan.Channels, &ir.Channel{From: s, To: op.ID, Stream: s, Topic: calibrationStage + "." + s})
			feeds = append(feeds, feed{stream: s, layout: layouts[k], codec: codec})
		}
	}
	var inputs []engine.Input
	var buf []byte
	for i := range calibrationRecords {
		for _, f := range feeds {
			buf = f.codec.Append(buf[:0], costprofile.SyntheticRecord(f.layout, i, f.eventTime))
			inputs = append(inputs, engine.Input{
				Stream:      f.stream,
				Offset:      int64(i),
				Value:       append([]byte(nil), buf...),
				TimestampMs: costprofile.SyntheticTime(i).UnixMilli(),
			})
		}
	}
	return plan, inputs, nil
}

// discard drops a stage's outputs (encoding them is the cost measured,
// delivering them is the I/O layer's) and counts dead letters: synthetic
// records the operator rejects would measure the wrong path.
type discard struct {
	dead  int64
	first engine.DeadLetter
}

func (*discard) Emit(engine.Output) error { return nil }

func (d *discard) DeadLetter(dl engine.DeadLetter) error {
	if d.dead == 0 {
		d.first = dl
	}
	d.dead++
	return nil
}
