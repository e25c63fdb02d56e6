package costprofile

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/zclconf/go-cty/cty"
)

// This file is the part of the calibration protocol every backend shares:
// which of the spec's operators stands for each kind, and the synthetic
// records it is fed, so that every backend measures the same work.

// Synthetic data shape: string attributes draw from SyntheticKeys values
// ("k0" … "k999"), the same on every stream so that join keys match;
// numbers cycle through 0 … 999.5; event time starts at SyntheticEpoch and
// advances SyntheticStep per record, so windows fill and fire as they
// would on a live stream.
const (
	SyntheticKeys = 1000
	SyntheticStep = 10 * time.Millisecond
)

// SyntheticEpoch is the event time of the first synthetic record.
var SyntheticEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Subjects returns, per operator kind p has, the operator that stands for
// it: the first of that kind in topological order, preferring a stream
// source over a table source.
func Subjects(p *ir.Pipeline) map[ir.Kind]*ir.Operator {
	out := map[ir.Kind]*ir.Operator{}
	for _, op := range p.Operators {
		cur, seen := out[op.Kind]
		if !seen || (op.Kind == ir.KindSource && cur.Source != nil && cur.Source.Table && op.Source != nil && !op.Source.Table) {
			out[op.Kind] = op
		}
	}
	return out
}

// Kinds returns the kinds of subjects in the order calibration measures
// them: the order the profile format lists kinds in.
func Kinds(subjects map[ir.Kind]*ir.Operator) []ir.Kind {
	var out []ir.Kind
	for _, k := range kinds {
		if subjects[k] != nil {
			out = append(out, k)
		}
	}
	return out
}

// InputLayouts returns the record layout of each input of op: the schema of
// the operator producing the stream.
func InputLayouts(p *ir.Pipeline, op *ir.Operator) ([]*eval.Layout, error) {
	var out []*eval.Layout
	for _, s := range op.Inputs {
		id, _ := ir.StreamOperator(s)
		prod := p.Operator(id)
		if prod == nil {
			return nil, fmt.Errorf("%s reads %s, which no operator produces", op.ID, s)
		}
		out = append(out, eval.NewLayout(prod.Schema.Type))
	}
	return out, nil
}

// SyntheticRecord returns record i of a synthetic stream with layout l.
// Attributes named in eventTime (those a source's event_time expression
// reads) carry record i's event time: an RFC 3339 string or epoch
// milliseconds, by their type.
func SyntheticRecord(l *eval.Layout, i int, eventTime []string) *eval.Record {
	r := eval.NewRecord(l)
	for slot, name := range l.Names {
		if slices.Contains(eventTime, name) {
			t := SyntheticTime(i)
			if l.Types[slot] == cty.Number {
				r.Values[slot] = eval.Number(float64(t.UnixMilli()))
			} else {
				r.Values[slot] = eval.String(t.Format(time.RFC3339Nano))
			}
			continue
		}
		r.Values[slot] = syntheticValue(l.Types[slot], l.Nested[slot], i+slot)
	}
	return r
}

// SyntheticTime is the event time of synthetic record i.
func SyntheticTime(i int) time.Time { return SyntheticEpoch.Add(time.Duration(i) * SyntheticStep) }

func syntheticValue(t cty.Type, nested *eval.Layout, i int) eval.Value {
	switch {
	case t == cty.String || t == cty.DynamicPseudoType:
		return eval.String("k" + strconv.Itoa(i%SyntheticKeys))
	case t == cty.Number:
		return eval.Number(float64(i%2000) / 2)
	case t == cty.Bool:
		return eval.Bool(i%2 == 0)
	case t.IsObjectType() && nested != nil:
		return eval.Object(SyntheticRecord(nested, i, nil))
	case t.IsListType() || t.IsSetType():
		return eval.List([]eval.Value{syntheticValue(t.ElementType(), eval.NewLayout(t.ElementType()), i)})
	case t.IsTupleType():
		var vs []eval.Value
		for _, et := range t.TupleElementTypes() {
			vs = append(vs, syntheticValue(et, eval.NewLayout(et), i))
		}
		return eval.List(vs)
	}
	return eval.Null // maps and other shapes: null is a valid value of any type
}
