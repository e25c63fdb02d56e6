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
	return calibration.Measure(ctx, op, inputs, d, func() (calibration.Engine, error) {
		return engine.New(plan, calibration.Stage, engine.WithTaps(taps...))
	})
}
