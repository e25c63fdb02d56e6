package eval

import (
	"errors"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// Consts are the plan-time constants an expression may read: var.NAME and
// local.NAME. Compile folds them into the program.
type Consts struct {
	Vars   map[string]cty.Value
	Locals map[string]cty.Value
}

// ConstsOf collects a pipeline's resolved variables and locals.
func ConstsOf(p *ir.Pipeline) Consts {
	c := Consts{Vars: map[string]cty.Value{}, Locals: map[string]cty.Value{}}
	for k, v := range p.Vars {
		c.Vars[k] = v.Value
	}
	for k, v := range p.Locals {
		c.Locals[k] = v.Value
	}
	return c
}

// Root names a record an expression can see: "record" for single-input
// operators, "left" and "right" for joins. Roots[i] is bound to Frame[i].
type Root struct {
	Name   string
	Layout *Layout
}

// Program is an expression compiled once into closures over record layouts.
// It is safe for concurrent use.
type Program struct {
	typ  cty.Type
	eval func(Frame) (Value, error)
}

// ErrNotImplemented is returned by the placeholders below until the
// compiler lands. TODO(eval): remove.
var errNotImplemented = errors.New("eval: not implemented")

// Compile parses e.Source and compiles it against roots and constants. The
// diagnostics point into e.Range.
func Compile(e ir.Expr, roots []Root, c Consts) (*Program, hcl.Diagnostics) {
	return &Program{typ: cty.DynamicPseudoType, eval: func(Frame) (Value, error) { return Null, errNotImplemented }}, nil
}

// Type is the static result type (cty.DynamicPseudoType when unknown).
func (p *Program) Type() cty.Type { return p.typ }

// Eval evaluates the program on one frame.
func (p *Program) Eval(f Frame) (Value, error) { return p.eval(f) }

// EvalBool evaluates a predicate; a null or non-bool result is an error.
func (p *Program) EvalBool(f Frame) (bool, error) {
	v, err := p.eval(f)
	if err != nil {
		return false, err
	}
	if v.Kind != KindBool {
		return false, errors.New("predicate is not a bool")
	}
	return v.Bool, nil
}

// ObjectProgram builds an output record from named fields, as map.fields,
// join.fields and aggregate.key do.
type ObjectProgram struct {
	layout *Layout
	fields []*Program // by output slot
}

// CompileObject compiles fields into a program producing records of the
// object type with those attribute names.
func CompileObject(fields []ir.Field, roots []Root, c Consts) (*ObjectProgram, hcl.Diagnostics) {
	return nil, nil
}

// Layout is the layout of the records Eval produces.
func (o *ObjectProgram) Layout() *Layout { return o.layout }

// Eval builds one output record.
func (o *ObjectProgram) Eval(f Frame) (*Record, error) { return nil, errNotImplemented }
