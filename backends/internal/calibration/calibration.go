// Package calibration holds what the backends' calibrators share: the
// one-operator plan an operator kind is measured in, its synthetic input,
// and an emitter that drops outputs and counts dead letters. Each backend
// runs the plan on its own engine (backends/native on the native engine,
// backends/broker in the WebAssembly host).
//
// It must not know how any backend runs a stage.
package calibration

import (
	"fmt"

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
