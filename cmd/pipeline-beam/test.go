package main

import (
	"context"
	"errors"
	"fmt"

	beambackend "github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamclient"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// serveTest runs one test block on Prism here.
func serveTest(ctx context.Context, req *beamclient.Request, ev *events) error {
	if req.Pipeline == nil {
		return errors.New("test: the request has no pipeline")
	}
	var t *ir.Test
	for _, x := range req.Pipeline.Tests {
		if x.Name == req.Test {
			t = x
		}
	}
	if t == nil {
		return fmt.Errorf("test: the pipeline has no test %q", req.Test)
	}
	out, err := beambackend.TestRunner{}.Run(ctx, req.Pipeline, t, req.Taps)
	if skip, ok := errors.AsType[*testrun.SkipError](err); ok {
		return ev.send(beamclient.Event{Event: beamclient.EventError, Error: err.Error(), Skip: skip.Reason})
	}
	if err != nil {
		return err
	}
	return ev.send(beamclient.Event{Event: beamclient.EventOK, Outputs: &out})
}

// serveCalibrate measures the beam backend on Prism here.
func serveCalibrate(ctx context.Context, req *beamclient.Request, ev *events) error {
	ms, err := beambackend.Calibrate(ctx, req.Pipeline, costprofileCalibration(req, ev))
	if err != nil {
		return err
	}
	return ev.send(beamclient.Event{Event: beamclient.EventOK, Measurements: ms})
}

func costprofileCalibration(req *beamclient.Request, ev *events) costprofile.Calibration {
	return costprofile.Calibration{
		Duration: req.Duration,
		Started: func(kind ir.Kind, op string) {
			_ = ev.send(beamclient.Event{Event: beamclient.EventStarted, Kind: kind, Operator: op})
		},
		Measured: func(kind ir.Kind, m costprofile.Measurement) {
			_ = ev.send(beamclient.Event{Event: beamclient.EventMeasured, Kind: kind, Measurement: &m})
		},
	}
}
