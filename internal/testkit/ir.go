package testkit

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Builders for hand-made pipelines.

// X is an expression as lang would produce it, positioned on line 1 of
// test.hcl.
func X(src string) ir.Expr {
	return ir.Expr{Source: src, Range: ir.Range{Filename: "test.hcl", Start: ir.Pos{Line: 1, Column: 1}, End: ir.Pos{Line: 1, Column: 1 + len(src), Byte: len(src)}}}
}

// XP is X for an optional expression.
func XP(src string) *ir.Expr { e := X(src); return &e }

// Obj is an object schema.
func Obj(attrs map[string]cty.Type) ir.Schema { return ir.Schema{Type: cty.Object(attrs)} }

// Source is a JSON topic source named name (topic name), with an
// event_time expression unless eventTime is "".
func Source(name string, s ir.Schema, eventTime string) *ir.Operator {
	op := &ir.Operator{ID: "source." + name, Kind: ir.KindSource, Name: name, Schema: s,
		Source: &ir.Source{Topic: name, Format: "json"}}
	if eventTime != "" {
		op.Source.EventTime = XP(eventTime)
	}
	return op
}

// Sink is an at-least-once JSON topic sink named name (topic name) reading
// input.
func Sink(name, input string, s ir.Schema) *ir.Operator {
	return &ir.Operator{ID: "sink." + name, Kind: ir.KindSink, Name: name, Inputs: []string{input}, Schema: s,
		Sink: &ir.Sink{Topic: name, Format: "json", Delivery: ir.AtLeastOnce}}
}

// Fields builds fields from name, expression pairs.
func Fields(kv ...string) []ir.Field {
	var out []ir.Field
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, ir.Field{Name: kv[i], Expr: X(kv[i+1])})
	}
	return out
}

// PlanOf puts every operator into one native stage "s" of pipeline "t".
func PlanOf(ops ...*ir.Operator) *ir.Plan {
	p := &ir.Pipeline{Name: "t", Operators: ops}
	st := &ir.Stage{ID: "s", Backend: ir.BackendNative}
	for _, op := range ops {
		st.Operators = append(st.Operators, op.ID)
	}
	return &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p, Stages: []*ir.Stage{st}}
}
