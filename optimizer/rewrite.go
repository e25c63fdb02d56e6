package optimizer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Rewrites run before placement and change the pipeline, never what it
// means: every sink (and every stream a rewrite does not name in
// ir.Rewrite.Streams) receives exactly the records it received before.
//
// Filter pushdown moves a filter upstream so that it cuts records before
// the work in between, before a channel, and, being stateless, possibly
// onto the broker:
//
//   - past a map that feeds only the filter, when the predicate reads only
//     fields the map copies unchanged (out = record.in); the predicate is
//     rewritten to read the map's input (record.out → record.in);
//   - past a route whose every output feeds exactly one filter, all with
//     the same predicate, and which has a default output: every record
//     reaching the route was tested by that predicate on whichever output
//     it took, so testing it once before the route keeps the same records
//     on every output. The first of those filters moves; the others stay
//     and now pass every record (their selectivity hint becomes 1).
//
// Expressions are pure functions of the record (ir/eval has no clock or
// randomness), so a predicate means the same wherever it runs. What can
// change is the dead-letter topic, and only by losing records: a record the
// moved filter rejects is no longer evaluated by the map or route it moved
// past, so their errors on it no longer reach the dead-letter topic (just
// as an attribute nothing reads is not decoded, see Stage.Decodes). No
// record is dead-lettered that was not before: the moved predicate fails
// only on records that the map failed on, or that the predicate failed on
// before, too; the route rule requires a default output because without
// one a record matching no output was never tested by the predicate.

// rewrite applies the rewrite rules to p until none applies: every filter,
// in topological order, is pushed upstream as far as the rules allow. It
// returns p itself when no rule applied, else a rewritten copy (p is never
// modified), and the rewrites made, in order. A filter that moves takes the
// place just before the operator it moved past, so the order stays
// topological and otherwise unchanged: placement's enumeration follows the
// order, and a spec's order keeps its frontier narrow.
func rewrite(p *ir.Pipeline) (*ir.Pipeline, []ir.Rewrite) {
	rw := newRewriter(p)
	for _, op := range slices.Clone(rw.list) {
		if op.Filter != nil && len(op.Inputs) == 1 {
			for rw.pushFilter(op) {
			}
		}
	}
	if len(rw.done) == 0 {
		return p, nil
	}
	q := *p
	q.Operators = rw.list
	q.Tests = retarget(p.Tests, rw.done)
	return &q, rw.done
}

// retarget returns tests whose expectations read the streams that carry,
// after rewrites, the records their targets carried before: a test that
// expects records on a pushed filter reads them where the filter's records
// went. A target whose records no stream carries any more is kept: no
// stream of the rewritten pipeline can check it, and a runner must run such
// a test on the pipeline as written.
func retarget(tests []*ir.Test, rewrites []ir.Rewrite) []*ir.Test {
	moved := &ir.Plan{Rewrites: rewrites}
	out := make([]*ir.Test, len(tests))
	for i, t := range tests {
		c := *t
		c.Expect = slices.Clone(t.Expect)
		for k, ex := range c.Expect {
			if s, ok := moved.StreamFor(ex.Target); ok {
				c.Expect[k].Target = s
			}
		}
		out[i] = &c
	}
	return out
}

// rewriter holds shallow copies of a pipeline's operators, which rules
// modify by replacing fields, never by writing through shared pointers or
// slices.
type rewriter struct {
	list      []*ir.Operator
	byID      map[string]*ir.Operator
	consumers map[string][]*ir.Operator // stream → operators reading it
	passes    map[string]map[string]string
	done      []ir.Rewrite
	// gone marks streams whose records, and those any earlier rewrite
	// moved onto them, no stream carries any more.
	gone map[string]bool
}

func newRewriter(p *ir.Pipeline) *rewriter {
	rw := &rewriter{
		list:      make([]*ir.Operator, len(p.Operators)),
		byID:      make(map[string]*ir.Operator, len(p.Operators)),
		consumers: map[string][]*ir.Operator{},
		passes:    map[string]map[string]string{},
		gone:      map[string]bool{},
	}
	copies := make([]ir.Operator, len(p.Operators))
	for i, op := range p.Operators {
		copies[i] = *op
		c := &copies[i]
		rw.list[i] = c
		rw.byID[c.ID] = c
		for _, in := range c.Inputs {
			if !slices.Contains(rw.consumers[in], c) {
				rw.consumers[in] = append(rw.consumers[in], c)
			}
		}
	}
	return rw
}

// pushFilter moves filter f before its producer if a rule allows it.
func (rw *rewriter) pushFilter(f *ir.Operator) bool {
	in := f.Inputs[0]
	prodID, out := ir.StreamOperator(in)
	prod := rw.byID[prodID]
	switch {
	case prod == nil || len(prod.Inputs) != 1:
		return false
	case prod.Map != nil:
		return rw.pastMap(f, prod)
	case prod.Route != nil && out != "":
		return rw.pastRoute(f, prod, out)
	}
	return false
}

// pastMap pushes filter f before the run of maps directly above it (m
// first, then m's producer while it is a map too) that each feed only the
// next, as far as the predicate reads only fields every map of the run
// copies unchanged. The run is taken in one rewrite, with the predicate
// parsed and renamed once: pushing a filter map by map re-parsed it at
// every step and recorded one rewrite per step, and a chain alternating
// n filters and maps made Θ(n²) of both (issue 17, item 9).
func (rw *rewriter) pastMap(f, m *ir.Operator) bool {
	refs, ok := attrRefs(f.Filter.Where, "record")
	if !ok {
		return false
	}
	// fields pairs each field the predicate reads with the field it reads
	// above the maps passed so far (a slice, updated in place: a step
	// costs a lookup per field, no allocation).
	var fields [][2]string
	for _, r := range refs {
		if !slices.ContainsFunc(fields, func(p [2]string) bool { return p[0] == r.name }) {
			fields = append(fields, [2]string{r.name, r.name})
		}
	}
	var run []*ir.Operator
	next := make([]string, len(fields))
walk:
	for below := f; m != nil && m.Map != nil && len(m.Inputs) == 1; {
		if cs := rw.consumers[m.ID]; len(cs) != 1 || cs[0] != below {
			break
		}
		pass := rw.passThrough(m)
		for i, p := range fields {
			src, ok := pass[p[1]]
			if !ok {
				break walk
			}
			next[i] = src
		}
		for i := range fields {
			fields[i][1] = next[i]
		}
		run, below = append(run, m), m
		m = rw.producer(m.Inputs[0])
	}
	if len(run) == 0 {
		return false
	}
	rename := make(map[string]string, len(fields))
	for _, p := range fields {
		rename[p[0]] = p[1]
	}
	where, ok := renameRefs(f.Filter.Where, "record", refs, rename)
	if !ok {
		return false
	}
	top, bottom := run[len(run)-1], run[0]
	rw.swap(f, top, bottom.ID)
	f.Filter = &ir.Filter{Where: where}

	why := "reads no field of the record"
	if len(rename) > 0 {
		var fields []string
		for out, src := range rename {
			if out == src {
				fields = append(fields, out)
			} else {
				fields = append(fields, fmt.Sprintf("%s = record.%s", out, src))
			}
		}
		slices.Sort(fields)
		why = fmt.Sprintf("reads only passed-through fields (%s)", strings.Join(fields, ", "))
	}
	if len(run) > 1 {
		why += fmt.Sprintf(" of %d maps, %s to %s", len(run), bottom.ID, top.ID)
	}
	// The records f's output carried are now bottom's; those each map of
	// the run carried, no stream carries any more. A map whose records
	// were already gone (an earlier filter passed it) is not listed
	// again, so the moves stay linear in the number of operators.
	moves := []ir.StreamMove{{From: f.ID, To: bottom.ID}}
	for _, op := range run {
		if !rw.gone[op.ID] {
			moves = append(moves, ir.StreamMove{From: op.ID})
			rw.gone[op.ID] = true
		}
	}
	rw.gone[bottom.ID] = false
	rw.done = append(rw.done, ir.Rewrite{Rule: ir.RuleFilterPushdown, Operator: f.ID, Before: top.ID, Why: why, Streams: moves})
	return true
}

// pastRoute pushes filter f, which reads output out of route r, before r
// when every output of r feeds exactly one filter with f's predicate and r
// has a default output.
func (rw *rewriter) pastRoute(f, r *ir.Operator, out string) bool {
	hasDefault := slices.ContainsFunc(r.Route.Outputs, func(o ir.RouteOutput) bool { return o.Default })
	if !hasDefault {
		return false
	}
	pred := strings.TrimSpace(f.Filter.Where.Source)
	var others []string
	streams := r.Streams()
	for _, s := range streams {
		cs := rw.consumers[s]
		if len(cs) != 1 || cs[0].Filter == nil || len(cs[0].Inputs) != 1 || strings.TrimSpace(cs[0].Filter.Where.Source) != pred {
			return false
		}
		if cs[0] != f {
			others = append(others, cs[0].ID)
		}
	}
	stream := r.ID + "." + out
	rw.swap(f, r, stream)
	moves := []ir.StreamMove{{From: f.ID, To: stream}}
	for _, s := range streams {
		moves = append(moves, ir.StreamMove{From: s})
		rw.gone[s] = true
	}
	rw.gone[stream] = false
	for _, id := range others {
		rw.byID[id].Stats.Selectivity = 1
	}
	why := fmt.Sprintf("every output of %s feeds a filter with the same predicate", r.ID)
	if len(others) > 0 {
		why += fmt.Sprintf(" (%s, which now pass every record)", strings.Join(others, ", "))
	}
	why += " and it has a default output, so every output keeps the same records"
	rw.done = append(rw.done, ir.Rewrite{Rule: ir.RuleFilterPushdown, Operator: f.ID, Before: r.ID, Why: why, Streams: moves})
	return true
}

// swap moves filter f from after op (reading stream, one of op's outputs)
// to before it: f reads op's input, op reads f, and f's consumers read
// stream instead of f.
func (rw *rewriter) swap(f, op *ir.Operator, stream string) {
	in := op.Inputs[0]
	after := rw.consumers[f.ID]
	for _, c := range after {
		c.Inputs = slices.Clone(c.Inputs)
		for k, s := range c.Inputs {
			if s == f.ID {
				c.Inputs[k] = stream
			}
		}
	}
	f.Inputs = []string{in}
	op.Inputs = []string{f.ID}
	if p := rw.producer(in); p != nil {
		f.Schema = p.Schema
	}
	rw.consumers[in] = slices.Clone(rw.consumers[in])
	for k, c := range rw.consumers[in] {
		if c == op {
			rw.consumers[in][k] = f
		}
	}
	rw.consumers[stream] = after
	rw.consumers[f.ID] = []*ir.Operator{op}
	// f now runs right before op: its input precedes op, its consumers
	// follow f's old place, which followed op.
	rw.list = slices.DeleteFunc(rw.list, func(o *ir.Operator) bool { return o == f })
	rw.list = slices.Insert(rw.list, slices.Index(rw.list, op), f)
}

func (rw *rewriter) producer(stream string) *ir.Operator {
	id, _ := ir.StreamOperator(stream)
	return rw.byID[id]
}

// passThrough returns, for map m, each output field that copies an input
// field unchanged and the input field it copies.
func (rw *rewriter) passThrough(m *ir.Operator) map[string]string {
	if p, ok := rw.passes[m.ID]; ok {
		return p
	}
	p := map[string]string{}
	for _, f := range m.Map.Fields {
		if src, ok := passThrough(f.Expr); ok {
			p[f.Name] = src
		}
	}
	rw.passes[m.ID] = p
	return p
}
