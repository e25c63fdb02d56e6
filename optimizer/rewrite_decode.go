package optimizer

import (
	"slices"
	"sort"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// Projection pruning: a stage decodes only the fields of its input records
// that its operators read (eval.StageReads), and the plan says which
// (ir.Stage.Decodes), per source the stage hosts and per channel into it.

// setDecodes fills every stage's Decodes: for every input stream whose
// schema is an object type (a source the stage hosts, a channel into it),
// the fields the stage's operators read. stageOf is the stage of every
// operator, by position.
func setDecodes(g *graph, stages []*ir.Stage, stageOf []int, channels []*ir.Channel) {
	ops := make([][]*ir.Operator, len(stages))
	inputs := make([][]string, len(stages))
	for i, op := range g.p.Operators {
		s := stageOf[i]
		ops[s] = append(ops[s], op)
		if op.Source != nil && op.Schema.Type.IsObjectType() {
			inputs[s] = append(inputs[s], op.ID)
		}
	}
	leaving := make([]map[string]bool, len(stages))
	for _, ch := range channels {
		id, _ := ir.StreamOperator(ch.Stream)
		j, ok := g.index[id]
		if !ok || !g.p.Operators[j].Schema.Type.IsObjectType() {
			continue
		}
		from, to := stageOf[j], stageOf[g.index[ch.To]]
		if leaving[from] == nil {
			leaving[from] = map[string]bool{}
		}
		leaving[from][ch.Stream] = true
		if !slices.Contains(inputs[to], ch.Stream) {
			inputs[to] = append(inputs[to], ch.Stream)
		}
	}
	for s, st := range stages {
		st.Decodes = nil
		for _, stream := range inputs[s] {
			id, _ := ir.StreamOperator(stream)
			attrs := g.p.Operators[g.index[id]].Schema.Type.AttributeTypes()
			names, all := eval.StageReads(ops[s], stream, func(x string) bool { return leaving[s][x] })
			if all {
				names = make([]string, 0, len(attrs))
				for n := range attrs {
					names = append(names, n)
				}
				sort.Strings(names)
			} else {
				// An expression that reads an attribute the schema lacks
				// did not type-check; list only the schema's.
				names = slices.DeleteFunc(names, func(n string) bool { _, ok := attrs[n]; return !ok })
			}
			st.Decodes = append(st.Decodes, ir.Decode{Stream: stream, Fields: names, Of: len(attrs)})
		}
	}
}
