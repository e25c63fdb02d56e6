package eval

import (
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/internal/suggest"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
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
//
// Evaluation follows hcl.Expression.Value, errors included; the
// differential tests (diff_test.go, compile_fuzz_test.go) hold it to that.
// The known differences:
//
//   - Numbers on the hot path are int64 when their value is an integer
//     within int64, else float64 (see Value); cty computes with big.Float.
//     Integers agree with cty exactly through + - * % and comparisons, and
//     through / when the quotient is an integer. Other results are the
//     float64 nearest to the exact one: cty keeps a product's exact digits,
//     and a literal's or a parsed string's 512 bits through every
//     operation, so chained products, and arithmetic with decimal literals
//     float64 cannot represent (0.1), may differ in the last bits; a number
//     converted to a string after such an operation (or after integer
//     arithmetic left int64) prints float64's shortest form where cty prints
//     its longer digits; x % y with such operands truncates a quotient
//     rounded differently; a product beyond float64's range is infinite
//     here and finite in cty. Record values combined with + - / and
//     compared agree exactly.
//   - Where hcl's result is unknown (a dynamically typed null passed to a
//     function that does not accept dynamic types, such as contains), a
//     record-level evaluation cannot produce it: the Program fails.
//   - A value whose static type is dynamic is typed at run time by the
//     JSON convention (arrays are tuples, objects are objects), except where
//     the compiler knows the exact type (hcl fallbacks, cty function calls,
//     try, conditionals, tuple and object constructors). A map that reaches
//     == through another dynamically typed path compares as an object.
//
// The structure: every syntax node compiles to a closure returning a Value
// (the full evaluator, implementing every rule); hot nodes also carry typed
// fast paths that return plain bools, numbers and strings without copying
// Values (compile_fast.go); syntax with no native form (for expressions,
// splats, template loops) is evaluated by hcl per record on a cty copy of
// the frame; functions without a native implementation are called through
// cty on converted arguments (funcs_native.go).
type Program struct {
	typ  cty.Type
	rng  hcl.Range
	eval evalFn
	cond condFn // fast path of a bool program, or nil
	// fallbacks counts the nodes evaluated by hcl per record (for tests
	// and for explaining performance).
	fallbacks int
}

// Compile parses e.Source and compiles it against roots and constants. The
// diagnostics point into e.Range.
//
// Compilation first evaluates the expression once with hcl, every root bound
// to an unknown value of its schema: that yields the static result type and
// every error HCL can find without data (unknown attributes, operand and
// argument type mismatches, unknown functions), which become compile
// diagnostics. The expression is then compiled into closures; the syntax the
// compiler has no native form for is evaluated by hcl itself, per record,
// from a cty copy of the frame (correct, slower).
func Compile(e ir.Expr, roots []Root, c Consts, opts ...CompileOption) (*Program, hcl.Diagnostics) {
	expr, diags := parse(e)
	if diags.HasErrors() {
		return nil, diags
	}
	cp := newCompiler(roots, c)
	for _, o := range opts {
		o(cp)
	}
	if cp.scope != nil && !cp.scope.sameConsts(c) {
		cp.scope = nil // its memo would mix values of other constants
	}
	typ, diags := cp.check(expr)
	if diags.HasErrors() {
		return nil, diags
	}
	n := cp.compile(expr)
	return &Program{typ: typ, rng: expr.Range(), eval: n.eval, cond: n.fast.cond, fallbacks: cp.fallbacks}, diags
}

// CompileOption configures Compile and CompileObject.
type CompileOption func(*compiler)

// InScope compiles the program in scope s, sharing the values of common
// subexpressions with the other programs of s (see Scope). Unlike other
// programs, such a program is for one goroutine at a time, as s is.
func InScope(s *Scope) CompileOption { return func(c *compiler) { c.scope = s } }

// parse re-parses an IR expression at its original position, so diagnostics
// point into the user's file.
func parse(e ir.Expr) (hclsyntax.Expression, hcl.Diagnostics) {
	start := hcl.Pos{Line: e.Range.Start.Line, Column: e.Range.Start.Column, Byte: e.Range.Start.Byte}
	if start.Line == 0 {
		start = hcl.InitialPos
	}
	return hclsyntax.ParseExpression([]byte(e.Source), e.Range.Filename, start)
}

// Type is the static result type (cty.DynamicPseudoType when unknown).
func (p *Program) Type() cty.Type { return p.typ }

// EvalError is a failure to evaluate an expression on one record. It
// points at the expression in the spec, for the dead-letter headers.
type EvalError struct {
	Range hcl.Range
	Err   error
}

func (e *EvalError) Error() string {
	if e.Range.Filename == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s:%d,%d: %v", e.Range.Filename, e.Range.Start.Line, e.Range.Start.Column, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

// Eval evaluates the program on one frame. A failure is an *EvalError.
func (p *Program) Eval(f Frame) (Value, error) {
	if p.cond != nil {
		if b, ok := p.cond(f); ok {
			return Bool(b), nil
		}
	}
	v, err := p.eval(f)
	if err != nil {
		return Null, &EvalError{Range: p.rng, Err: plainError(err)}
	}
	return v, nil
}

// errNotBool is the error of a predicate whose result is not a bool.
var errNotBool = errors.New("the condition is null or not a bool")

// EvalBool evaluates a predicate; a null or non-bool result is an error.
func (p *Program) EvalBool(f Frame) (bool, error) {
	if p.cond != nil {
		if b, ok := p.cond(f); ok {
			return b, nil
		}
	}
	v, err := p.eval(f)
	if err != nil {
		return false, &EvalError{Range: p.rng, Err: plainError(err)}
	}
	if v.Kind != KindBool {
		return false, &EvalError{Range: p.rng, Err: errNotBool}
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
func CompileObject(fields []ir.Field, roots []Root, c Consts, opts ...CompileOption) (*ObjectProgram, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	progs := make(map[string]*Program, len(fields))
	attrs := make(map[string]cty.Type, len(fields))
	for _, f := range fields {
		if _, dup := progs[f.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate field",
				Detail:   fmt.Sprintf("The field %q is defined more than once.", f.Name),
				Subject:  f.Expr.Range.Ptr(),
			})
			continue
		}
		p, d := Compile(f.Expr, roots, c, opts...)
		diags = append(diags, d...)
		if p == nil {
			continue
		}
		progs[f.Name] = p
		attrs[f.Name] = p.Type()
	}
	if diags.HasErrors() {
		return nil, diags
	}
	l := NewLayout(cty.Object(attrs))
	o := &ObjectProgram{layout: l, fields: make([]*Program, l.Len())}
	for i, name := range l.Names {
		o.fields[i] = progs[name]
	}
	return o, diags
}

// Layout is the layout of the records Eval produces.
func (o *ObjectProgram) Layout() *Layout { return o.layout }

// Eval builds one output record.
func (o *ObjectProgram) Eval(f Frame) (*Record, error) {
	r := newRecordOf(o.layout, len(o.fields))
	if err := o.EvalInto(f, r); err != nil {
		return nil, err
	}
	return r, nil
}

// EvalInto is Eval building the record in r, which it gives the program's
// layout, reusing r.Values when it has the capacity: an operator that owns
// its output record (runtime/stateless's map) builds each record without
// allocating. The fields are evaluated before r is written, field by field,
// so r must not be a record of f. On error r holds a partial record.
func (o *ObjectProgram) EvalInto(f Frame, r *Record) error {
	n := len(o.fields)
	if cap(r.Values) < n {
		r.Values = make([]Value, n)
	}
	r.Layout, r.Values = o.layout, r.Values[:n]
	for i, p := range o.fields {
		v, err := p.Eval(f)
		if err == nil {
			err = Finite(v)
		}
		if err != nil {
			return fmt.Errorf("field %q: %w", o.layout.Names[i], err)
		}
		r.Values[i] = v
	}
	return nil
}

// Records of up to 16 attributes are allocated with their values in one
// allocation.
type (
	record4 struct {
		r Record
		v [4]Value
	}
	record8 struct {
		r Record
		v [8]Value
	}
	record16 struct {
		r Record
		v [16]Value
	}
)

// newRecordOf returns a record of layout l with n null values.
func newRecordOf(l *Layout, n int) *Record {
	switch {
	case n <= 4:
		b := &record4{}
		b.r = Record{Layout: l, Values: b.v[:n]}
		return &b.r
	case n <= 8:
		b := &record8{}
		b.r = Record{Layout: l, Values: b.v[:n]}
		return &b.r
	case n <= 16:
		b := &record16{}
		b.r = Record{Layout: l, Values: b.v[:n]}
		return &b.r
	}
	return &Record{Layout: l, Values: make([]Value, n)}
}

// evalFn is one compiled node.
type evalFn func(Frame) (Value, error)

// node is a compiled expression with its static types.
type node struct {
	eval evalFn
	// typ is the static type: the type of the value hcl computes with every
	// root unknown.
	typ cty.Type
	// errTyp is the type of the unknown value hcl yields when this node
	// fails. It matters where HCL goes on after an error: && and ||
	// short-circuit past a failed operand whose unknown converts to bool, and
	// a conditional unifies its result type with the failed branch's.
	errTyp cty.Type
	// konst is set when the node is a constant.
	konst bool
	val   Value
	// fast is the optional allocation-free fast path of the node.
	fast fastPath
	// typed, when set, evaluates the node together with the exact cty type
	// of its result. Nodes whose static type is not exact have one where
	// the type is known at run time (hcl fallbacks, cty calls, try,
	// conditionals): a Value alone cannot tell a map from an object or a
	// list from a tuple, and == and cty functions depend on that.
	typed typedFn
}

// typedFn evaluates a node with the cty type of its result.
type typedFn func(Frame) (Value, cty.Type, error)

// evalT evaluates n with the best type known for the result; on failure,
// the type of the unknown value hcl would go on with.
func (n *node) evalT(f Frame) (Value, cty.Type, error) {
	if n.typed != nil {
		return n.typed(f)
	}
	v, err := n.eval(f)
	if err != nil {
		return v, n.errTyp, err
	}
	return v, n.typ, nil
}

// withTyped sets n's typed evaluator and derives eval from it.
func withTyped(n node, t typedFn) node {
	n.typed = t
	n.eval = func(f Frame) (Value, error) {
		v, _, err := t(f)
		return v, err
	}
	return n
}

// stdFuncs is the function table, built once.
var stdFuncs = sync.OnceValue(Functions)

// compiler holds what one Compile call needs.
type compiler struct {
	roots   []Root
	consts  Consts
	unk     *hcl.EvalContext // roots unknown, constants known
	varObj  cty.Value
	locObj  cty.Value
	funcs   map[string]function.Function
	suggest map[hcl.Range]string // did-you-mean for unknown attributes
	// fallbacks counts the nodes compiled to a per-record hcl evaluation.
	fallbacks int
	// Per-node memos (compile_static.go).
	static    map[hclsyntax.Expression]staticInfo
	reads     map[hclsyntax.Expression]bool
	templates map[hclsyntax.Expression]bool
	// scope, when set, memoizes common subexpressions (cse.go); keys are
	// the canonical forms computed so far.
	scope *Scope
	keys  map[hclsyntax.Expression]string
}

func newCompiler(roots []Root, c Consts) *compiler {
	cp := &compiler{roots: roots, consts: c, funcs: stdFuncs(), suggest: map[hcl.Range]string{},
		static: map[hclsyntax.Expression]staticInfo{}, reads: map[hclsyntax.Expression]bool{}, templates: map[hclsyntax.Expression]bool{},
		keys: map[hclsyntax.Expression]string{}}
	cp.varObj = objectOrEmpty(c.Vars)
	cp.locObj = objectOrEmpty(c.Locals)
	vars := map[string]cty.Value{"var": cp.varObj, "local": cp.locObj}
	for _, r := range roots {
		vars[r.Name] = cty.UnknownVal(rootType(r))
	}
	cp.unk = &hcl.EvalContext{Variables: vars, Functions: cp.funcs}
	return cp
}

func objectOrEmpty(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// rootType is the static type of a root's records.
func rootType(r Root) cty.Type {
	if r.Layout == nil || r.Layout.Type == cty.NilType {
		return cty.DynamicPseudoType
	}
	return r.Layout.Type
}

// check evaluates expr with unknown roots: static type and diagnostics.
func (c *compiler) check(expr hclsyntax.Expression) (t cty.Type, diags hcl.Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			rng := expr.Range()
			t, diags = cty.NilType, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid expression",
				Detail:   fmt.Sprintf("The expression cannot be type-checked: %v.", r),
				Subject:  &rng,
			}}
		}
	}()
	c.collectSuggestions(expr)
	v, diags := expr.Value(c.unk)
	for _, d := range diags {
		if d.Summary == "Unsupported attribute" && d.Subject != nil {
			if s, ok := c.suggest[*d.Subject]; ok {
				d.Detail += fmt.Sprintf(" Did you mean %q?", s)
			}
		}
	}
	return v.Type(), diags
}

// collectSuggestions finds attribute names of root traversals that the
// schema lacks and remembers the closest existing name for each.
func (c *compiler) collectSuggestions(expr hclsyntax.Expression) {
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		st, ok := n.(*hclsyntax.ScopeTraversalExpr)
		if !ok {
			return nil
		}
		t, ok := c.rootTypeOf(st.Traversal.RootName())
		if !ok {
			return nil
		}
		for _, step := range st.Traversal[1:] {
			a, ok := step.(hcl.TraverseAttr)
			if !ok || !t.IsObjectType() {
				return nil
			}
			if !t.HasAttribute(a.Name) {
				names := make([]string, 0, len(t.AttributeTypes()))
				for k := range t.AttributeTypes() {
					names = append(names, k)
				}
				if s := suggest.Closest(a.Name, names); s != "" {
					c.suggest[a.SrcRange] = s
				}
				return nil
			}
			t = t.AttributeType(a.Name)
		}
		return nil
	})
}

func (c *compiler) rootTypeOf(name string) (cty.Type, bool) {
	for _, r := range c.roots {
		if r.Name == name {
			return rootType(r), true
		}
	}
	switch name {
	case "var":
		return c.varObj.Type(), true
	case "local":
		return c.locObj.Type(), true
	}
	return cty.NilType, false
}

// compile compiles one syntax node. It never fails: a node hcl would reject
// for every record compiles to a closure returning that error, because it may
// sit inside try() or can(), which hcl accepts.
func (c *compiler) compile(e hclsyntax.Expression) node {
	typ, v, konst := c.staticType(e)
	// A known result with unknown roots is constant only if the subtree
	// reads no root: hcl folds 1 != record.s to true from the types alone,
	// though reading record.s fails when record is null.
	if konst && !c.readsRoot(e) {
		if cv, err := compileFromCty(v); err == nil {
			return constNode(cv, typ)
		}
	}
	before := c.fallbacks
	n, ok := c.compileNative(e, typ)
	if !ok {
		n = c.fallback(e, typ)
	}
	// A native node that is not a pass-through turns a child's knownError
	// (from a template or an hcl fallback below it) into a plain failure.
	if ok && !passesKnownError(e) && (c.fallbacks > before || c.containsTemplate(e)) {
		n.eval = stripKnownError(n.eval)
		if t := n.typed; t != nil {
			n.typed = func(f Frame) (Value, cty.Type, error) {
				v, vt, err := t(f)
				if err != nil {
					return Null, vt, plainError(err)
				}
				return v, vt, nil
			}
		}
	}
	n.typ = typ
	if n.errTyp == cty.NilType {
		n.errTyp = errTypeOf(e, typ)
	}
	return c.memoize(e, n)
}

// passesKnownError reports whether e hands a child's failed-but-known
// value (see knownError) on as its own: templates and hcl fallbacks build
// them, parentheses and conditionals pass them on. Every other node yields
// an unknown value when a child fails.
func passesKnownError(e hclsyntax.Expression) bool {
	switch e.(type) {
	case *hclsyntax.TemplateExpr, *hclsyntax.TemplateWrapExpr, *hclsyntax.ParenthesesExpr, *hclsyntax.ConditionalExpr:
		return true
	}
	return false
}

// stripKnownError turns a knownError from a child into a plain error.
func stripKnownError(ev evalFn) evalFn {
	return func(f Frame) (Value, error) {
		v, err := ev(f)
		if err != nil {
			return Null, plainError(err)
		}
		return v, nil
	}
}

// errTypeOf is the type of the unknown hcl returns when e fails.
func errTypeOf(e hclsyntax.Expression, typ cty.Type) cty.Type {
	switch e := e.(type) {
	case *hclsyntax.ConditionalExpr, *hclsyntax.TupleConsExpr, *hclsyntax.ObjectConsExpr:
		// An unknown of the result type (a failed condition), or a
		// collection holding the failed element's unknown.
		return typ
	case *hclsyntax.BinaryOpExpr:
		return e.Op.Type
	case *hclsyntax.UnaryOpExpr:
		return e.Op.Type
	case *hclsyntax.TemplateExpr:
		return cty.String
	case *hclsyntax.ParenthesesExpr:
		return errTypeOf(e.Expression, typ)
	case *hclsyntax.TemplateWrapExpr:
		return errTypeOf(e.Wrapped, typ)
	}
	return cty.DynamicPseudoType
}

func constNode(v Value, t cty.Type) node {
	n := node{
		eval:   func(Frame) (Value, error) { return v, nil },
		typ:    t,
		errTyp: t,
		konst:  true,
		val:    v,
	}
	switch v.Kind {
	case KindBool:
		n.fast.cond = func(Frame) (bool, bool) { return v.Bool, true }
	case KindNumber:
		x := fnum{v.num, v.isInt}
		n.fast.num = func(Frame) (fnum, bool) { return x, true }
	case KindString:
		n.fast.str = func(Frame) (string, bool) { return v.Str, true }
	}
	return n
}

// errNode always fails with err.
func errNode(err error) node {
	return node{eval: func(Frame) (Value, error) { return Null, err }}
}

func (c *compiler) compileNative(e hclsyntax.Expression, typ cty.Type) (node, bool) {
	switch e := e.(type) {
	case *hclsyntax.ParenthesesExpr:
		return c.compile(e.Expression), true
	case *hclsyntax.TemplateWrapExpr:
		return c.compile(e.Wrapped), true
	case *hclsyntax.ScopeTraversalExpr:
		return c.scopeTraversal(e)
	case *hclsyntax.RelativeTraversalExpr:
		return c.relativeTraversal(e)
	case *hclsyntax.IndexExpr:
		return c.index(e)
	case *hclsyntax.UnaryOpExpr:
		return c.unary(e)
	case *hclsyntax.BinaryOpExpr:
		return c.binary(e)
	case *hclsyntax.ConditionalExpr:
		return c.conditional(e)
	case *hclsyntax.TemplateExpr:
		return c.template(e)
	case *hclsyntax.FunctionCallExpr:
		return c.call(e)
	case *hclsyntax.TupleConsExpr:
		return c.tuple(e)
	case *hclsyntax.ObjectConsExpr:
		return c.object(e, typ)
	}
	// For expressions, splats, template loops and anything newer: hcl.
	return node{}, false
}

// diagError turns hcl diagnostics into an error.
type diagError struct{ diags hcl.Diagnostics }

func (e *diagError) Error() string { return e.diags.Error() }

// fallback evaluates e with hcl on a cty copy of the frame. It is correct
// for every form and slow (a cty object per root per record); the compiler
// uses it only for syntax without a native form.
//
// Each evaluation gets its own hcl.EvalContext, which is what hclsyntax
// needs to evaluate one tree concurrently (splat items are kept per
// context), so the Program stays safe for concurrent use.
func (c *compiler) fallback(e hclsyntax.Expression, typ cty.Type) node {
	c.fallbacks++
	return withTyped(node{typ: typ}, func(f Frame) (v Value, t cty.Type, err error) {
		defer func() {
			if r := recover(); r != nil {
				v, t, err = Null, typ, fmt.Errorf("evaluation failed: %v", r)
			}
		}()
		ctx, err := c.frameContext(f)
		if err != nil {
			return Null, typ, err
		}
		cv, diags := e.Value(ctx)
		if diags.HasErrors() {
			// hcl goes on with the value it returned beside the errors:
			// its type (a for expression yields a tuple of unknowns) and,
			// when known, its value matter to && and ||.
			var err error = &diagError{diags}
			if cv == cty.NilVal {
				return Null, cty.DynamicPseudoType, err
			}
			if cv.IsWhollyKnown() {
				if kv, kerr := compileFromCty(cv); kerr == nil {
					err = &knownError{err: err, val: kv}
				}
			}
			return Null, cv.Type(), err
		}
		v, err = compileFromCty(cv)
		return v, cv.Type(), err
	})
}

// frameContext builds the hcl evaluation context of one frame.
func (c *compiler) frameContext(f Frame) (*hcl.EvalContext, error) {
	vars := map[string]cty.Value{"var": c.varObj, "local": c.locObj}
	for i, r := range c.roots {
		t := rootType(r)
		if i >= len(f) || f[i] == nil {
			vars[r.Name] = cty.NullVal(t)
			continue
		}
		v, err := compileToCty(Object(f[i]), t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		vars[r.Name] = v
	}
	return &hcl.EvalContext{Variables: vars, Functions: c.funcs}, nil
}
