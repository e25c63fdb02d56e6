package native

import (
	"context"
	"errors"
	"fmt"
	"github.com/pipeline-compiler/pipeline/backends/internal/calibration"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	engine "github.com/pipeline-compiler/pipeline/runtime/native"
)

// Calibration sizes (calibration.Records are generated per input stream):
// records run before measuring so that caches and the allocator are warm,
// and the fewest records a measurement covers however short its duration.
const (
	calibrationWarmup = 2000
	calibrationMin    = 1000
)

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
	plan, inputs, err := calibration.Plan(p, op, ir.BackendNative)
	if err != nil {
		return costprofile.Measurement{}, err
	}
	taps := op.Streams()
	if op.Kind == ir.KindSource {
		taps = []string{op.ID}
	}
	run := func(inputs []engine.Input, deadline time.Time) (cpu time.Duration, n int64, err error) {
		e, err := engine.New(plan, calibration.Stage, engine.WithTaps(taps...))
		if err != nil {
			return 0, 0, err
		}
		defer e.Close()
		var out calibration.Discard
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
