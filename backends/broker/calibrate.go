package broker

import (
	"context"
	"errors"
	"fmt"
	"github.com/pipeline-compiler/pipeline/backends/internal/calibration"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/wasmhost"
)

// Calibration sizes, as the native backend's (calibration.Records are
// generated per pass): records run before measuring so that the module's
// memory and the allocator are warm, and the fewest records a measurement
// covers however short its duration.
const (
	calibrationWarmup = 2000
	calibrationMin    = 1000
)

// Calibrate measures, for each operator kind p has that a transform can
// host, the CPU cost per input record of one of p's operators of that kind
// (costprofile.Subjects) run as a broker stage of its own through the
// compiled transform module in the local WebAssembly host: synthetic
// records generated from the operator's input schemas arrive encoded, as on
// its input topic, are run through the module in batches as Redpanda hands
// them over, and its outputs are written as they would leave the stage.
// Kinds the broker cannot host (stateful operators, exactly-once sinks,
// routes with too many outputs, operators reading several streams) are
// absent from the result. Each kind runs for c.Duration. It implements
// costprofile.Calibrator.
func Calibrate(ctx context.Context, p *ir.Pipeline, c costprofile.Calibration) (costprofile.Measurements, error) {
	if p == nil {
		return nil, errors.New("broker: calibrate: no pipeline")
	}
	rt, err := wasmhost.NewRuntime(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fmt.Errorf("broker: calibrate: %w", err)
	}
	defer rt.Close(context.WithoutCancel(ctx))
	subjects := costprofile.Subjects(p)
	out := costprofile.Measurements{}
	for _, kind := range costprofile.Kinds(subjects) {
		op := subjects[kind]
		if hostable(op) != "" || len(op.Inputs) > 1 {
			continue
		}
		if c.Started != nil {
			c.Started(kind, op.ID)
		}
		m, err := measure(ctx, rt, p, op, c.Duration)
		if err != nil {
			return nil, fmt.Errorf("broker: calibrate %s: %w", op.ID, err)
		}
		out[kind] = m
		if c.Measured != nil {
			c.Measured(kind, m)
		}
	}
	return out, nil
}

// measure runs op as a transform of its own for d.
func measure(ctx context.Context, rt *wasmhost.Runtime, p *ir.Pipeline, op *ir.Operator, d time.Duration) (costprofile.Measurement, error) {
	if len(op.Inputs) > 1 {
		return costprofile.Measurement{}, fmt.Errorf("%s reads %d streams; a transform reads one topic", op.ID, len(op.Inputs))
	}
	plan, inputs, err := calibration.Plan(p, op, ir.BackendBroker)
	if err != nil {
		return costprofile.Measurement{}, err
	}
	taps := op.Streams()
	if op.Kind == ir.KindSource {
		taps = []string{op.ID}
	}
	// anyIO: a file source or sink stands for a topic named after it, so
	// that every example can be calibrated, as the test runner does.
	a, err := compile(plan, calibration.Stage, compileOptions{taps: taps, anyIO: true})
	if err != nil {
		return costprofile.Measurement{}, err
	}
	mod, err := a.Host(ctx, rt)
	if err != nil {
		return costprofile.Measurement{}, err
	}
	t := a.Transform()
	run := func(inputs []native.Input, deadline time.Time) (cpu time.Duration, n int64, err error) {
		e, err := wasmhost.NewEngine(ctx, mod, t)
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
