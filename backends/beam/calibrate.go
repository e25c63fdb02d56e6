package beam

import (
	"context"
	"errors"
	"fmt"

	"github.com/pipeline-compiler/pipeline/backends/internal/calibration"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
)

// calibrationSmall is the record count of the smaller of the two jobs a
// kind is measured with; the larger runs twice as many.
const calibrationSmall = calibration.Records / 4

// Calibrate measures, for each operator kind p has, the CPU cost per input
// record of one of p's operators of that kind run on in-process Prism as
// a stage of its own, with the same one-operator plan and synthetic input
// the other backends' calibrators use (backends/internal/calibration).
//
// Every run is a whole Beam job, whose submission and start-up cost far
// more than its records on a short input. So each kind runs two jobs, of N
// and 2N records, and the cost per record is the difference in process CPU
// time divided by N: the fixed cost cancels, and what remains is what a
// record costs the runner and the SDK harness together (element coding,
// the data plane, the evaluator). c.Duration does not apply: the job sizes
// are fixed. It implements costprofile.Calibrator.
func Calibrate(ctx context.Context, p *ir.Pipeline, c costprofile.Calibration) (costprofile.Measurements, error) {
	if p == nil {
		return nil, errors.New("beam: calibrate: no pipeline")
	}
	subjects := costprofile.Subjects(p)
	out := costprofile.Measurements{}
	for _, kind := range costprofile.Kinds(subjects) {
		op := subjects[kind]
		if c.Started != nil {
			c.Started(kind, op.ID)
		}
		m, err := measure(ctx, p, op)
		if err != nil {
			return nil, fmt.Errorf("beam: calibrate %s: %w", op.ID, err)
		}
		out[kind] = m
		if c.Measured != nil {
			c.Measured(kind, m)
		}
	}
	return out, nil
}

// measure runs op's one-operator stage as jobs of N and 2N records.
func measure(ctx context.Context, p *ir.Pipeline, op *ir.Operator) (costprofile.Measurement, error) {
	plan, inputs, err := calibration.Plan(p, op, ir.BackendBeam)
	if err != nil {
		return costprofile.Measurement{}, err
	}
	taps := op.Streams()
	if op.Kind == ir.KindSource {
		taps = []string{op.ID}
	}
	run := func(n int) (cpuNs int64, err error) {
		byStream := map[string]*Feed{}
		var feeds []Feed
		for _, in := range inputs {
			if byStream[in.Stream] == nil {
				feeds = append(feeds, Feed{Stream: in.Stream})
				byStream[in.Stream] = &feeds[len(feeds)-1]
			}
		}
		for _, in := range inputs {
			f := byStream[in.Stream]
			if len(f.Records) < n {
				f.Records = append(f.Records, Record{Value: in.Value, Offset: in.Offset, TimestampMs: in.TimestampMs})
			}
		}
		if err := Sequence(plan, calibration.Stage, feeds); err != nil {
			return 0, err
		}
		io := newTestIO(feeds)
		defer io.close()
		pipe, err := Build(plan, calibration.Stage, io, WithTaps(taps...))
		if err != nil {
			return 0, err
		}
		start, _ := costprofile.CPUTime()
		if err := Run(ctx, pipe, "calibrate-"+p.Name); err != nil {
			return 0, err
		}
		end, _ := costprofile.CPUTime()
		if dead := len(io.outputs().DeadLetters); dead > n*len(feeds)/2 {
			d := io.outputs().DeadLetters[0]
			return 0, fmt.Errorf("%d of %d synthetic records were dead-lettered (%s by %s: %s)", dead, n*len(feeds), d.Reason, d.Operator, d.Err)
		}
		return (end - start).Nanoseconds(), nil
	}
	if _, err := run(calibrationSmall / 10); err != nil { // warm-up: Prism, the harness, the code
		return costprofile.Measurement{}, err
	}
	small, err := run(calibrationSmall)
	if err != nil {
		return costprofile.Measurement{}, err
	}
	large, err := run(2 * calibrationSmall)
	if err != nil {
		return costprofile.Measurement{}, err
	}
	return costprofile.Measurement{
		Operator:    op.ID,
		Records:     int64(3 * calibrationSmall),
		NsPerRecord: max(float64(large-small)/float64(calibrationSmall), 0.1),
	}, nil
}
