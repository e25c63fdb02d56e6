package native

import (
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/zclconf/go-cty/cty"
)

// This file decides which attributes of an input stream's records the
// stage decodes (eval's DecodeNeeded): JSON decoding is the largest
// per-record cost after evaluation, and wide records often carry fields
// that a filter or aggregate never looks at.
//
// Which attributes a stage reads is computed once, by eval.StageReads: the
// optimizer records it in the plan (ir.Stage.Decodes) and the engine
// decodes exactly that. A plan without it (made by hand, or by a build that
// predates it) and a run with taps, which add streams that leave the stage,
// compute it here with the same function.

// pruneInputs sets each input stream's decode mask.
func (e *Engine) pruneInputs() {
	ops := make([]*ir.Operator, len(e.nodes))
	for i, n := range e.nodes {
		ops[i] = n.operator()
	}
	leaves := func(stream string) bool {
		rt := e.routes[stream]
		return rt != nil && rt.export
	}
	planned := map[string][]string{}
	if len(e.cfg.taps) == 0 {
		for _, d := range e.stage.Decodes {
			planned[d.Stream] = d.Fields
		}
	}
	for _, s := range e.inputs {
		if s.layout.Type == cty.DynamicPseudoType || s.layout.Len() == 0 {
			continue
		}
		names, ok := planned[s.stream]
		if !ok {
			var all bool
			if names, all = eval.StageReads(ops, s.stream, leaves); all {
				continue
			}
		}
		mask := s.layout.Mask(names)
		for _, m := range mask {
			if !m {
				s.needed = mask
				break
			}
		}
	}
}
