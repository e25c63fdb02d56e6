package native

import (
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
	ops := e.g.Operators()
	planned := map[string][]string{}
	if len(e.cfg.taps) == 0 {
		for _, d := range e.stage.Decodes {
			planned[d.Stream] = d.Fields
		}
	}
	for _, id := range e.g.Streams() {
		s := e.g.Stream(id)
		l := s.Layout()
		if l.Type == cty.DynamicPseudoType || l.Len() == 0 {
			continue
		}
		names, ok := planned[id]
		if !ok {
			var all bool
			if names, all = eval.StageReads(ops, id, e.g.Leaves); all {
				continue
			}
		}
		mask := l.Mask(names)
		for _, m := range mask {
			if !m {
				s.SetNeeded(mask)
				break
			}
		}
	}
}
