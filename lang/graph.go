package lang

import (
	"sort"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// resolve binds every input reference to its producer, reports unknown
// references and cycles, and returns the operators in deterministic
// topological order (ties broken by ID; operators on a cycle last).
func (l *loader) resolve() []*opDecl {
	var streams []string // every stream ID, for suggestions
	for _, d := range l.decls {
		switch {
		case d.op.Kind == ir.KindSink:
		case d.op.Route != nil:
			for _, o := range d.op.Route.Outputs {
				streams = append(streams, d.op.ID+"."+o.Name)
			}
		default:
			streams = append(streams, d.op.ID)
		}
	}
	sort.Strings(streams)
	for _, d := range l.decls {
		for _, ref := range d.refs {
			if ref.stream != "" {
				ref.producer = l.resolveRef(ref, streams)
			}
		}
	}
	l.reportCycles()
	return l.topoOrder()
}

func (l *loader) resolveRef(ref *streamRef, streams []string) *opDecl {
	opID, output := ir.StreamOperator(ref.stream)
	target := l.ops[opID]
	switch {
	case target == nil:
		l.errorf(ref.rng, "Reference to undeclared operator", "There is no operator %s.%s", opID, didYouMean(ref.stream, streams))
	case target.op.Kind == ir.KindSink:
		l.errorf(ref.rng, "Invalid reference", "%s is a sink: it writes records out and has no output to read.", opID)
	case target.op.Route != nil && output == "":
		var outs []string
		for _, o := range target.op.Route.Outputs {
			outs = append(outs, opID+"."+o.Name)
		}
		l.errorf(ref.rng, "Missing route output", "%s sends records to named outputs; refer to one of them: %s.", opID, strings.Join(outs, ", "))
	case target.op.Route != nil:
		var outs []string
		for _, o := range target.op.Route.Outputs {
			if o.Name == output {
				return target
			}
			outs = append(outs, o.Name)
		}
		l.errorf(ref.rng, "Reference to undeclared route output", "%s has no output %q.%s", opID, output, didYouMean(output, outs))
	case output != "":
		l.errorf(ref.rng, "Invalid reference", "%s has a single output; refer to it as %s.", opID, opID)
	default:
		return target
	}
	return nil
}

// reportCycles reports each cycle of operators once, naming its members.
func (l *loader) reportCycles() {
	const (
		visiting = 1
		done     = 2
	)
	state := map[*opDecl]int{}
	var stack []*opDecl
	var visit func(d *opDecl)
	visit = func(d *opDecl) {
		state[d] = visiting
		stack = append(stack, d)
		for _, ref := range d.refs {
			p := ref.producer
			if p == nil {
				continue
			}
			switch state[p] {
			case visiting:
				i := len(stack) - 1
				for stack[i] != p {
					i--
				}
				// Name the cycle in data-flow order: producer first.
				var names []string
				for k := i; k < len(stack); k++ {
					names = append(names, stack[k].op.ID)
				}
				for a, b := 0, len(names)-1; a < b; a, b = a+1, b-1 {
					names[a], names[b] = names[b], names[a]
				}
				names = append([]string{names[len(names)-1]}, names...)
				l.errorf(ref.rng, "Cycle between operators", "The operators read each other's output in a cycle: %s. A pipeline must be acyclic.", strings.Join(names, " → "))
			case 0:
				visit(p)
			}
		}
		stack = stack[:len(stack)-1]
		state[d] = done
	}
	for _, d := range l.sortedDecls() {
		if state[d] == 0 {
			visit(d)
		}
	}
}

func (l *loader) sortedDecls() []*opDecl {
	ds := append([]*opDecl(nil), l.decls...)
	sort.Slice(ds, func(i, j int) bool { return ds[i].op.ID < ds[j].op.ID })
	return ds
}

// topoOrder is Kahn's algorithm with the ready set ordered by ID.
func (l *loader) topoOrder() []*opDecl {
	indeg := map[*opDecl]int{}
	users := map[*opDecl][]*opDecl{}
	for _, d := range l.decls {
		for _, ref := range d.refs {
			if ref.producer != nil {
				indeg[d]++
				users[ref.producer] = append(users[ref.producer], d)
			}
		}
	}
	var ready, order []*opDecl
	for _, d := range l.decls {
		if indeg[d] == 0 {
			ready = append(ready, d)
		}
	}
	placed := map[*opDecl]bool{}
	for len(ready) > 0 {
		sort.Slice(ready, func(i, j int) bool { return ready[i].op.ID < ready[j].op.ID })
		d := ready[0]
		ready = ready[1:]
		order = append(order, d)
		placed[d] = true
		for _, u := range users[d] {
			indeg[u]--
			if indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	for _, d := range l.sortedDecls() {
		if !placed[d] {
			order = append(order, d) // on or behind a cycle: already reported
		}
	}
	return order
}

// typecheck computes every operator's output schema in topological order,
// checking its expressions against its inputs' schemas.
func (l *loader) typecheck(order []*opDecl) {
	done := map[*opDecl]bool{}
	for _, d := range order {
		in := make([]cty.Type, len(d.refs))
		for i, ref := range d.refs {
			in[i] = cty.DynamicPseudoType
			if ref.producer != nil && done[ref.producer] {
				in[i] = ref.producer.out
			}
		}
		d.out = d.check(in)
		d.op.Schema = ir.Schema{Type: d.out}
		l.changelog(d)
		done[d] = true
	}
}

// deadOperators warns about operators whose output reaches no sink and
// route outputs that nothing reads.
func (l *loader) deadOperators(order []*opDecl) {
	live := map[*opDecl]bool{}
	var mark func(d *opDecl)
	mark = func(d *opDecl) {
		if live[d] {
			return
		}
		live[d] = true
		for _, ref := range d.refs {
			if ref.producer != nil {
				mark(ref.producer)
			}
		}
	}
	read := map[string]bool{}
	for _, d := range order {
		if d.op.Kind == ir.KindSink {
			mark(d)
		}
		for _, ref := range d.refs {
			if ref.producer != nil {
				read[ref.stream] = true
			}
		}
	}
	for _, d := range order {
		if !live[d] {
			l.warnf(d.block.DefRange, "Operator output is never written", "No path leads from %s to a sink, so its work is wasted. Connect it to a sink or remove it.", d.op.ID)
			continue
		}
		if d.op.Route == nil {
			continue
		}
		for _, o := range d.op.Route.Outputs {
			if !read[d.op.ID+"."+o.Name] {
				l.warnf(o.Range.HCL(), "Route output is never read", "Nothing reads %s.%s, so records routed to it are dropped.", d.op.ID, o.Name)
			}
		}
	}
}
