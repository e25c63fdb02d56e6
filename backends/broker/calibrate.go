package broker

import (
	"context"
	"errors"
	"fmt"
	"github.com/pipeline-compiler/pipeline/backends/internal/calibration"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/wasmhost"
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
	return calibration.Measure(ctx, op, inputs, d, func() (calibration.Engine, error) {
		return wasmhost.NewEngine(ctx, mod, t)
	})
}
