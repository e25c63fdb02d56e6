package native

import (
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/zclconf/go-cty/cty"
)

// This file computes which attributes of an input stream's records the
// stage reads, so that Process decodes only those (eval's DecodeNeeded):
// JSON decoding is the largest per-record cost after evaluation, and wide
// records often carry fields that a filter or aggregate never looks at.
//
// Which attributes an expression reads is the evaluator's knowledge
// (eval.ReadAttributes); this file only follows the stage's graph.

// attrSet is a set of top-level record attributes; all means the whole
// record is needed (it is written out, or read with a computed index).
type attrSet struct {
	all   bool
	names map[string]bool
}

func (s *attrSet) add(name string) {
	if s.names == nil {
		s.names = map[string]bool{}
	}
	s.names[name] = true
}

func (s *attrSet) union(o attrSet) {
	if o.all {
		s.all = true
	}
	for n := range o.names {
		s.add(n)
	}
}

// addExpr adds the attributes of root that x reads.
func (s *attrSet) addExpr(x *ir.Expr, root string) {
	if s.all || x == nil || x.IsZero() {
		return
	}
	names, all := eval.ReadAttributes(*x, root)
	if all {
		s.all = true
		return
	}
	for _, n := range names {
		s.add(n)
	}
}

// needs returns the attributes of the records on rt that the stage reads:
// those its consumers' expressions read, and, for consumers that pass the
// record on unchanged (filter, route, dedupe), what their own consumers
// read. A record that leaves the stage or reaches a sink is needed whole.
func (e *Engine) needs(rt *route, depth int) attrSet {
	var s attrSet
	if rt.export || depth > len(e.nodes) {
		s.all = true
		return s
	}
	for _, ed := range rt.consumers {
		op := ed.n.operator()
		switch n := ed.n.(type) {
		case *filterNode:
			s.addExpr(&op.Filter.Where, "record")
			s.union(e.needs(n.out, depth+1))
		case *routeNode:
			for _, o := range op.Route.Outputs {
				s.addExpr(o.When, "record")
			}
			for _, o := range n.outs {
				s.union(e.needs(o.out, depth+1))
			}
		case *dedupeNode:
			s.addExpr(&op.Dedupe.Key, "record")
			s.union(e.needs(n.out, depth+1))
		case *mapNode:
			for i := range op.Map.Fields {
				s.addExpr(&op.Map.Fields[i].Expr, "record")
			}
		case *aggNode:
			for i := range op.Aggregate.Key {
				s.addExpr(&op.Aggregate.Key[i].Expr, "record")
			}
			for _, f := range op.Aggregate.Fields {
				s.addExpr(f.Arg, "record")
			}
		case *joinNode:
			root, keys := "left", op.Join.LeftKeys
			if ed.port == 1 {
				root, keys = "right", op.Join.RightKeys
			}
			for i := range keys {
				s.addExpr(&keys[i], root)
			}
			s.addExpr(&op.Join.On, root)
			for i := range op.Join.Fields {
				s.addExpr(&op.Join.Fields[i].Expr, root)
			}
		default: // sinks write the record out
			s.all = true
		}
		if s.all {
			return s
		}
	}
	return s
}

// pruneInputs sets each input stream's decode mask.
func (e *Engine) pruneInputs() {
	for _, s := range e.inputs {
		if s.layout.Type == cty.DynamicPseudoType || s.layout.Len() == 0 {
			continue
		}
		need := e.needs(s.out, 0)
		if s.eventTime != nil {
			need.addExpr(s.eventTimeExpr, "record")
		}
		if need.all {
			continue
		}
		mask := s.layout.Mask(keys(need.names))
		for _, m := range mask {
			if !m {
				s.needed = mask
				break
			}
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
