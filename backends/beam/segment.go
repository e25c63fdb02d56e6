package beam

import (
	"slices"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// A segment is the stateless part of a stage that hangs off one root
// stream: a source of the stage, a stream fed into it by a channel, or the
// output of a keyed operator (dedupe, join, aggregate). Stateless operators
// have one input each, so these parts are trees and never depend on each
// other except through keyed operators, and each runs in one ParDo on
// runtime/stateless's Processor: the same code that runs stateless stages
// in the broker, so filter, map, route and sink encoding mean the same on
// every backend.
type segment struct {
	root string
	// source is the root's source operator; nil when the root is a channel
	// stream or a keyed operator's output.
	source *ir.Operator
	// ops are the tree's operators in topological order, the source first.
	ops []string
	// streams are the streams the tree produces, with the root.
	streams []string
	// exports are the streams among them that leave the segment as
	// elements: those keyed operators of the stage read, and taps.
	exports []string
}

// segment returns the segment rooted at stream root.
func (st *stage) segment(root string, taps []string) *segment {
	sg := &segment{root: root, streams: []string{root}}
	if in := st.inputs[root]; in != nil && in.Source != nil {
		sg.source = in.Source
		sg.ops = append(sg.ops, in.Source.ID)
	}
	inTree := map[string]bool{root: true}
	for _, c := range st.ops {
		op := c.op
		if op.Kind == ir.KindSource || !isStateless(op) || !inTree[op.Inputs[0]] {
			continue
		}
		sg.ops = append(sg.ops, op.ID)
		for _, s := range op.Streams() {
			inTree[s] = true
			sg.streams = append(sg.streams, s)
		}
	}
	for _, s := range sg.streams {
		if slices.Contains(taps, s) || st.keyedReads(s) {
			sg.exports = append(sg.exports, s)
		}
	}
	return sg
}

// keyedReads reports whether a keyed operator of the stage reads stream s.
func (st *stage) keyedReads(s string) bool {
	for _, c := range st.ops {
		if !isStateless(c.op) && slices.Contains(c.op.Inputs, s) {
			return true
		}
	}
	return false
}

// direct reports whether the segment needs no Processor: its root is not
// a source and no stateless operator reads it.
func (sg *segment) direct() bool { return sg.source == nil && len(sg.ops) == 0 }

// segmentStage is the ID of the one stage of a segment's plan.
const segmentStage = "segment"

// plan returns the plan runtime/stateless runs the segment from: the
// segment's operators as one stage, fed by a channel carrying the root
// when it is not a source, with the real stage's channels that leave from
// the tree. A table source is presented as a stream: the Processor only
// decodes it, and the join that reads it keeps the table.
func (st *stage) segmentPlan(sg *segment) *ir.Plan {
	pl := *st.plan.Pipeline
	if sg.source != nil && sg.source.Source.Table {
		pl.Operators = slices.Clone(pl.Operators)
		i := slices.Index(pl.Operators, sg.source)
		op, src := *sg.source, *sg.source.Source
		src.Table = false
		op.Source = &src
		pl.Operators[i] = &op
	}
	p := &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: &pl,
		Stages: []*ir.Stage{{ID: segmentStage, Backend: ir.BackendBeam, Operators: sg.ops}}}
	inTree := map[string]bool{}
	for _, id := range sg.ops {
		inTree[id] = true
	}
	if sg.source == nil {
		for _, id := range sg.ops {
			if slices.Contains(pl.Operator(id).Inputs, sg.root) {
				p.Channels = append(p.Channels, &ir.Channel{From: sg.root, To: id, Stream: sg.root, Topic: "beam:" + sg.root})
				break
			}
		}
	}
	for _, ch := range st.plan.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if inTree[prod] && !st.in[ch.To] {
			p.Channels = append(p.Channels, ch)
		}
	}
	return p
}

// newProcessor builds the segment's Processor.
func (st *stage) newProcessor(sg *segment) (*stateless.Processor, error) {
	return stateless.New(st.segmentPlan(sg), segmentStage, stateless.WithTaps(sg.exports...))
}
