package eval

import (
	"sort"

	"github.com/pipeline-compiler/pipeline/ir"
)

// StageReads returns the top-level attributes of the records of stream that
// the operators ops (one stage, in any order) read, so that the stage
// decodes only those: JSON decoding is the largest per-record cost after
// evaluation, and wide records often carry fields nothing looks at.
//
// It is the attributes the consumers' expressions read (ReadAttributes)
// and, for consumers that pass the record on unchanged (filter, route,
// dedupe), what their own consumers read; when stream is the stream of a
// source in ops, also what its event_time reads. all is true when the whole
// record is needed: it reaches a sink, or a stream for which leaves is true
// (it leaves the stage: a channel, a tap), or an expression that reads the
// record as a value or with a computed index. names is sorted.
//
// The optimizer records the result in the plan (ir.Stage.Decodes) and the
// native engine decodes accordingly: one computation, one answer.
func StageReads(ops []*ir.Operator, stream string, leaves func(stream string) bool) (names []string, all bool) {
	r := &reader{leaves: leaves, consumers: map[string][]consumer{}, done: map[string]bool{}}
	for _, op := range ops {
		for port, in := range op.Inputs {
			r.consumers[in] = append(r.consumers[in], consumer{op, port})
		}
		if op.ID == stream && op.Source != nil && op.Source.EventTime != nil {
			r.addExpr(op.Source.EventTime, "record")
		}
	}
	r.stream(stream)
	if r.all {
		return nil, true
	}
	names = make([]string, 0, len(r.names))
	for n := range r.names {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, false
}

type consumer struct {
	op   *ir.Operator
	port int
}

// reader accumulates the attributes read from one stream's records.
type reader struct {
	leaves    func(string) bool
	consumers map[string][]consumer
	done      map[string]bool // streams already followed
	all       bool
	names     map[string]bool
}

func (r *reader) addExpr(x *ir.Expr, root string) {
	if r.all || x.IsZero() {
		return
	}
	names, all := ReadAttributes(*x, root)
	if all {
		r.all = true
		return
	}
	if r.names == nil {
		r.names = map[string]bool{}
	}
	for _, n := range names {
		r.names[n] = true
	}
}

// stream adds what the stage reads from the records on s, which are the
// records being decoded or those records passed on unchanged.
func (r *reader) stream(s string) {
	if r.all || r.done[s] {
		return
	}
	r.done[s] = true
	if r.leaves != nil && r.leaves(s) {
		r.all = true
		return
	}
	for _, c := range r.consumers[s] {
		op := c.op
		switch {
		case op.Filter != nil:
			r.addExpr(&op.Filter.Where, "record")
			r.stream(op.ID)
		case op.Route != nil:
			for _, o := range op.Route.Outputs {
				r.addExpr(o.When, "record")
			}
			for _, out := range op.Streams() {
				r.stream(out)
			}
		case op.Dedupe != nil:
			r.addExpr(&op.Dedupe.Key, "record")
			r.stream(op.ID)
		case op.Map != nil:
			for i := range op.Map.Fields {
				r.addExpr(&op.Map.Fields[i].Expr, "record")
			}
		case op.Aggregate != nil:
			for i := range op.Aggregate.Key {
				r.addExpr(&op.Aggregate.Key[i].Expr, "record")
			}
			for _, f := range op.Aggregate.Fields {
				r.addExpr(f.Arg, "record")
				r.addExpr(f.Where, "record")
			}
		case op.Top != nil:
			for i := range op.Top.Key {
				r.addExpr(&op.Top.Key[i], "record")
			}
			for i := range op.Top.OrderBy {
				r.addExpr(&op.Top.OrderBy[i].Expr, "record")
			}
			if op.Top.Window == nil {
				r.addExpr(&ir.Expr{Source: "record." + FieldWindowEnd}, "record")
			}
			// Records pass unchanged: everything downstream reads is read.
			r.stream(op.ID)
		case op.Join != nil:
			root, keys := "left", op.Join.LeftKeys
			if c.port == 1 {
				root, keys = "right", op.Join.RightKeys
			}
			for i := range keys {
				r.addExpr(&keys[i], root)
			}
			r.addExpr(&op.Join.On, root)
			for i := range op.Join.Fields {
				r.addExpr(&op.Join.Fields[i].Expr, root)
			}
		default: // a sink writes the record out
			r.all = true
		}
		if r.all {
			return
		}
	}
}
