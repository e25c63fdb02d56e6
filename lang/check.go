package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/internal/suggest"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Aggregate function names. min and max are also ordinary (variadic)
// functions; the others, and every conditional form (sum_if, count_if, …),
// exist only inside aggregate.fields.
var (
	aggregateBase = []string{ir.AggMin, ir.AggMax, ir.AggCount, ir.AggSum, ir.AggAvg, ir.AggCountDistinct, ir.AggFirst, ir.AggLast}
	aggregateOnly = append(aggregateBase[2:len(aggregateBase):len(aggregateBase)], ifForms(aggregateBase)...)
	aggregateAll  = append(aggregateBase[:len(aggregateBase):len(aggregateBase)], ifForms(aggregateBase)...)
)

func ifForms(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + ir.AggIfSuffix
	}
	return out
}

func isAggregateOnly(name string) bool {
	for _, n := range aggregateOnly {
		if n == name {
			return true
		}
	}
	return false
}

// placeholder stands in for functions that are recognized syntactically
// (aggregates, env) so that HCL does not also report them as unknown.
var placeholder = function.New(&function.Spec{
	VarParam: &function.Parameter{Name: "args", Type: cty.DynamicPseudoType, AllowNull: true, AllowUnknown: true, AllowDynamicType: true, AllowMarked: true},
	Type:     function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func([]cty.Value, cty.Type) (cty.Value, error) {
		return cty.DynamicVal, nil
	},
})

// recordCtx is the evaluation context for type-checking per-record
// expressions: the roots (record, or left and right) are unknown values of
// their schema, var and local are known.
//
// The functions and the var and local objects are built once: operators
// are type-checked after every variable and local is resolved, and
// rebuilding them per expression was quadratic in a large spec.
func (l *loader) recordCtx(roots map[string]cty.Type) *hcl.EvalContext {
	if l.recordBase == nil {
		fns := eval.Functions()
		for _, n := range aggregateOnly {
			fns[n] = placeholder
		}
		fns["env"] = placeholder
		l.recordBase = &hcl.EvalContext{Functions: fns, Variables: map[string]cty.Value{
			"var":   cty.ObjectVal(l.vars),
			"local": cty.ObjectVal(l.locals),
		}}
	}
	vars := map[string]cty.Value{"var": l.recordBase.Variables["var"], "local": l.recordBase.Variables["local"]}
	for name, t := range roots {
		vars[name] = cty.UnknownVal(t)
	}
	return &hcl.EvalContext{Variables: vars, Functions: l.recordBase.Functions}
}

// checkExpr type-checks a per-record expression against its roots and
// returns its type (cty.DynamicPseudoType, false when it has errors).
func (l *loader) checkExpr(e hcl.Expression, roots map[string]cty.Type) (cty.Type, bool) {
	ok := true
	if se, isSyntax := e.(hclsyntax.Expression); isSyntax {
		hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
			call, isCall := n.(*hclsyntax.FunctionCallExpr)
			if !isCall {
				return nil
			}
			switch {
			case isAggregateOnly(call.Name):
				l.errorf(call.NameRange, "Aggregate function outside aggregate.fields",
					"aggregate functions are only allowed in aggregate.fields: %s() summarizes a window of records, but this expression sees one record.", call.Name)
				ok = false
			case call.Name == "env":
				l.errorf(call.NameRange, "env() in a per-record expression",
					"env() is only available in plan-time settings (broker, backend, variables, locals); pass the value in through a variable.")
				ok = false
			}
			return nil
		})
	}
	ctx := l.recordCtx(roots)
	bad := l.checkTraversals(e, roots, ctx)
	if len(bad) > 0 {
		ok = false
	}
	v, diags := e.Value(ctx)
	if l.isSensitiveExpr(e) {
		diags = l.scrubIf(true, diags)
	}
	for _, d := range diags {
		if d.Summary == "Unsupported attribute" && d.Subject != nil && overlapsAny(*d.Subject, bad) {
			continue // reported by checkTraversals, with a suggestion
		}
		if d.Severity == hcl.DiagError {
			ok = false
		}
		l.diags = append(l.diags, d)
	}
	if !ok {
		return cty.DynamicPseudoType, false
	}
	return v.Type(), true
}

// checkBool type-checks a condition.
func (l *loader) checkBool(e hcl.Expression, roots map[string]cty.Type, what string) bool {
	t, ok := l.checkExpr(e, roots)
	if ok && t != cty.Bool && t != cty.DynamicPseudoType {
		l.errorf(e.Range(), "Condition is not a bool", "%s must be a bool expression; this one is %s.", what, t.FriendlyName())
		return false
	}
	return ok
}

// checkTraversals follows each reference through the static types of its
// root and reports unknown attributes with a suggestion. It returns the
// ranges of the bad references.
func (l *loader) checkTraversals(e hcl.Expression, roots map[string]cty.Type, ctx *hcl.EvalContext) []hcl.Range {
	var bad []hcl.Range
	for _, t := range e.Variables() {
		root := t.RootName()
		v, known := ctx.Variables[root]
		if !known {
			continue // HCL reports unknown variables, with a suggestion
		}
		typ := v.Type()
		path := root
		for _, step := range t[1:] {
			var name string
			switch s := step.(type) {
			case hcl.TraverseAttr:
				name = s.Name
			case hcl.TraverseIndex:
				k, _ := s.Key.Unmark()
				if k.Type() == cty.String && k.IsKnown() && !k.IsNull() && typ.IsObjectType() {
					name = k.AsString()
				} else if typ.IsListType() || typ.IsMapType() {
					typ = typ.ElementType()
					path += "[…]"
					continue
				}
			}
			if name == "" {
				break
			}
			if typ.IsMapType() {
				typ, path = typ.ElementType(), path+"."+name
				continue
			}
			if !typ.IsObjectType() {
				break
			}
			if !typ.HasAttribute(name) {
				rng := step.SourceRange()
				detail := fmt.Sprintf("%s has no attribute named %q.", path, name)
				switch path {
				case "var":
					detail = fmt.Sprintf("No variable named %q is declared.", name)
				case "local":
					detail = fmt.Sprintf("No local value named %q is defined.", name)
				}
				attrs := sortedKeys(typ.AttributeTypes())
				if s := suggest.Hint(name, attrs); s != "" {
					detail += s
				} else if len(attrs) > 0 && len(attrs) <= 12 && (root == "record" || root == "left" || root == "right") {
					detail += fmt.Sprintf(" It has: %s.", strings.Join(attrs, ", "))
				}
				l.errorf(rng, "Unsupported attribute", "%s", detail)
				bad = append(bad, t.SourceRange())
				break
			}
			typ, path = typ.AttributeType(name), path+"."+name
		}
	}
	return bad
}

func overlapsAny(r hcl.Range, rs []hcl.Range) bool {
	for _, x := range rs {
		if r.Filename == x.Filename && r.Start.Byte < x.End.Byte && x.Start.Byte < r.End.Byte {
			return true
		}
		if r.Filename == x.Filename && r.Start.Byte == x.Start.Byte {
			return true
		}
	}
	return false
}

// fieldItem is one item of an object constructor used as a field list
// (map.fields, join.fields, aggregate.key, aggregate.fields).
type fieldItem struct {
	name     string
	nameRng  hcl.Range
	expr     hclsyntax.Expression
	itemRng  hcl.Range
	keyIsStr bool
}

func unwrapParens(e hcl.Expression) hcl.Expression {
	for {
		p, ok := e.(*hclsyntax.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expression
	}
}

// objectItems reads an attribute written as an object constructor,
// keeping every item's own expression (and so its source text and range).
func (l *loader) objectItems(a *hcl.Attribute, allowEmpty bool) ([]fieldItem, bool) {
	oc, ok := unwrapParens(a.Expr).(*hclsyntax.ObjectConsExpr)
	if !ok {
		l.errorf(a.Expr.Range(), "Invalid "+a.Name, "%s must be an object constructor: { name = expression, ... }.", a.Name)
		return nil, false
	}
	if len(oc.Items) == 0 && !allowEmpty {
		l.errorf(a.Expr.Range(), "Empty "+a.Name, "%s must list at least one field.", a.Name)
		return nil, false
	}
	var items []fieldItem
	seen := map[string]hcl.Range{}
	ok = true
	for _, it := range oc.Items {
		name := hcl.ExprAsKeyword(it.KeyExpr)
		if name == "" {
			v, diags := it.KeyExpr.Value(nil)
			if diags.HasErrors() || v.Type() != cty.String || v.IsNull() || !v.IsKnown() {
				l.errorf(it.KeyExpr.Range(), "Invalid field name", "A field name is an identifier or a quoted string.")
				ok = false
				continue
			}
			name = v.AsString()
		}
		if name == "" {
			l.errorf(it.KeyExpr.Range(), "Invalid field name", "A field name must not be empty.")
			ok = false
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errorf(it.KeyExpr.Range(), "Duplicate field", "Field %q is already defined at %s.", name, prev)
			ok = false
			continue
		}
		seen[name] = it.KeyExpr.Range()
		items = append(items, fieldItem{
			name:    name,
			nameRng: it.KeyExpr.Range(),
			expr:    it.ValueExpr,
			itemRng: hcl.RangeBetween(it.KeyExpr.Range(), it.ValueExpr.Range()),
		})
	}
	return items, ok
}

func (l *loader) decodeJoin(d *opDecl, attrs hcl.Attributes) {
	j := &ir.Join{Type: ir.JoinInner}
	d.op.Join = j
	if a := attrs["type"]; a != nil {
		j.Type, _ = l.constEnum(a, ir.JoinInner, ir.JoinLeft)
	}
	if a := attrs["within"]; a != nil {
		if ms, ok := l.constDuration(a); ok {
			if ms == 0 {
				l.errorf(a.Expr.Range(), "Invalid duration", "within must be longer than zero.")
			}
			j.WithinMs = ms
		}
	}
	var items []fieldItem
	if a := attrs["fields"]; a != nil {
		items, _ = l.objectItems(a, false)
	}
	d.check = func(in []cty.Type) cty.Type {
		roots := map[string]cty.Type{"left": in[0], "right": in[1]}
		if len(d.refs) == 2 && d.refs[1].producer != nil {
			right := d.refs[1].producer.op
			table := right.Source != nil && right.Source.Table
			wa := attrs["within"]
			switch {
			case table && wa != nil:
				l.errorf(wa.NameRange, "within on a stream–table join", "%s is a table, so this is a stream–table join: each record joins the latest row for its key, and within does not apply.", right.ID)
			case !table && wa == nil:
				l.errorf(d.block.DefRange, "Missing within", "%s is a stream, not a table source, so this is a stream–stream join: give it a time bound, e.g. within = \"5m\" (or make the right side a source with table = true).", right.ID)
			}
		}
		if a := attrs["on"]; a != nil {
			j.On = l.irExpr(a.Expr)
			if l.checkBool(a.Expr, roots, "join.on") {
				l.joinKeys(j, a.Expr, roots)
			}
		}
		fields, out := l.checkFields(items, roots)
		j.Fields = fields
		return out
	}
}

// joinKeys decomposes join.on into equality conjuncts, each comparing an
// expression over left only with one over right only.
func (l *loader) joinKeys(j *ir.Join, on hcl.Expression, roots map[string]cty.Type) {
	var conj []hcl.Expression
	var split func(e hcl.Expression)
	split = func(e hcl.Expression) {
		e = unwrapParens(e)
		if b, ok := e.(*hclsyntax.BinaryOpExpr); ok && b.Op == hclsyntax.OpLogicalAnd {
			split(b.LHS)
			split(b.RHS)
			return
		}
		conj = append(conj, e)
	}
	split(on)
	// The equalities between a left-only and a right-only expression key
	// the join; every other conjunct (an interval bound such as
	// right.ts <= left.expires, a filter on one side) is evaluated on each
	// candidate pair, with the whole of on, and must read left or right.
	const how = "join.on is one or more conditions joined with &&: equalities comparing an expression over left with one over right key the join (left.customer == right.id), and other conditions over left and right filter the pairs (right.ts <= left.expires)."
	for _, c := range conj {
		b, ok := c.(*hclsyntax.BinaryOpExpr)
		if !ok || b.Op != hclsyntax.OpEqual {
			if sides(c) == "" {
				l.errorf(c.Range(), "Invalid join condition", "This condition reads neither left nor right. %s", how)
			}
			continue
		}
		lhs, rhs := b.LHS, b.RHS
		ls, rs := sides(lhs), sides(rhs)
		if ls == "right" && rs == "left" {
			lhs, rhs, ls, rs = rhs, lhs, rs, ls
		}
		if ls != "left" || rs != "right" {
			if sides(c) == "" {
				l.errorf(c.Range(), "Invalid join condition", "This condition reads neither left nor right. %s", how)
			}
			continue // a pair filter, not a key
		}
		lt, _ := l.checkExprQuiet(lhs, roots)
		rt, _ := l.checkExprQuiet(rhs, roots)
		if lt != cty.DynamicPseudoType && rt != cty.DynamicPseudoType && !lt.Equals(rt) {
			l.errorf(c.Range(), "Join keys of different types", "The left key is %s and the right key is %s, so they never compare equal; convert one side (tostring(), tonumber()).", lt.FriendlyName(), rt.FriendlyName())
			continue
		}
		j.LeftKeys = append(j.LeftKeys, l.irExpr(lhs))
		j.RightKeys = append(j.RightKeys, l.irExpr(rhs))
	}
}

// sides says which join roots an expression reads: "left", "right",
// "both" or "" (neither).
func sides(e hcl.Expression) string {
	var l, r bool
	for _, t := range e.Variables() {
		switch t.RootName() {
		case "left":
			l = true
		case "right":
			r = true
		}
	}
	switch {
	case l && r:
		return "both"
	case l:
		return "left"
	case r:
		return "right"
	}
	return ""
}

// checkExprQuiet returns an expression's type without reporting anything
// (the enclosing expression was already checked).
func (l *loader) checkExprQuiet(e hcl.Expression, roots map[string]cty.Type) (cty.Type, bool) {
	v, diags := e.Value(l.recordCtx(roots))
	if diags.HasErrors() {
		return cty.DynamicPseudoType, false
	}
	return v.Type(), true
}

func (l *loader) decodeAggregate(d *opDecl, attrs hcl.Attributes) {
	ag := &ir.Aggregate{}
	d.op.Aggregate = ag
	if a := attrs["window"]; a != nil {
		ag.Window = l.decodeWindow(a)
	}
	if a := attrs["allowed_lateness"]; a != nil {
		ag.AllowedLatenessMs, _ = l.constDuration(a)
		if attrs["window"] == nil {
			l.errorf(a.NameRange, "allowed_lateness without a window", "An aggregate without a window is continuous: it updates its rows as records arrive and never closes a window, so no record is late. Remove allowed_lateness, or add a window.")
		}
	}
	// window_time picks the windows' clock: "event" (the default) or
	// "processing", the wall clock when a record arrives. Processing time
	// only moves forward, so nothing is late and allowed_lateness has no
	// meaning.
	if a := attrs["window_time"]; a != nil {
		if t, ok := l.constEnum(a, "event", ir.WindowProcessingTime); ok && t == ir.WindowProcessingTime {
			ag.Window.Time = ir.WindowProcessingTime
			if late := attrs["allowed_lateness"]; late != nil {
				l.errorf(late.Expr.Range(), "Invalid allowed_lateness", "Processing-time windows (window_time = \"processing\" at %s) close when the wall clock passes their end; no record is late, so allowed_lateness does not apply: remove it.", a.Expr.Range())
			}
		}
	}
	var keys, fields []fieldItem
	if a := attrs["key"]; a != nil {
		keys, _ = l.objectItems(a, true)
	}
	if a := attrs["fields"]; a != nil {
		fields, _ = l.objectItems(a, false)
	}
	// Output names must be unique across key, fields and the window bounds.
	names := map[string]bool{}
	for _, list := range [][]fieldItem{keys, fields} {
		for _, it := range list {
			switch {
			case it.name == "window_start" || it.name == "window_end":
				l.errorf(it.nameRng, "Reserved field name", "%s is added to every window output; choose another name.", it.name)
			case names[it.name]:
				l.errorf(it.nameRng, "Duplicate field", "%q is both a key and an aggregate field.", it.name)
			}
			names[it.name] = true
		}
	}
	d.check = func(in []cty.Type) cty.Type {
		roots := record(in[0])
		var keyFields []ir.Field
		keyFields, keyType := l.checkFields(keys, roots)
		ag.Key = keyFields
		out := map[string]cty.Type{}
		for k, t := range keyType.AttributeTypes() {
			out[k] = t
		}
		for _, it := range fields {
			f, t := l.checkAggField(it, roots)
			ag.Fields = append(ag.Fields, f)
			out[it.name] = t
		}
		if !ag.Continuous() {
			out["window_start"] = cty.String
			out["window_end"] = cty.String
		}
		return cty.Object(out)
	}
}

// checkAggField checks one aggregate.fields item: exactly one call to an
// aggregate function with zero (count) or one argument, or to its
// conditional form (name_if) with the condition added as the last argument.
func (l *loader) checkAggField(it fieldItem, roots map[string]cty.Type) (ir.AggField, cty.Type) {
	f := ir.AggField{Name: it.name, Range: ir.RangeOf(it.itemRng)}
	call, ok := unwrapParens(it.expr).(*hclsyntax.FunctionCallExpr)
	if !ok || !contains(aggregateAll, call.Name) {
		hint := ""
		if ok {
			hint = didYouMean(call.Name, aggregateAll)
		}
		l.errorf(it.expr.Range(), "Invalid aggregate field", "Each aggregate field is one call to %s, e.g. total = sum(record.amount) or orders = count(), or to its conditional form (count_if, sum_if, …) with a condition as the last argument, e.g. cheap = count_if(record.price < 100).%s", quoteList(aggregateBase), hint)
		return f, cty.DynamicPseudoType
	}
	base, conditional := strings.CutSuffix(call.Name, ir.AggIfSuffix)
	f.Func = base
	if call.ExpandFinal {
		l.errorf(call.Range(), "Invalid aggregate field", "%s() does not take an expanded list (...).", call.Name)
		return f, cty.DynamicPseudoType
	}
	want := 1
	if base == ir.AggCount {
		want = 0
	}
	args := call.Args
	if conditional {
		if len(args) != want+1 {
			what := "a value and a condition, as in total = sum_if(record.amount, record.amount > 100)"
			if want == 0 {
				what = "a condition, as in cheap = count_if(record.price < 100)"
			}
			l.errorf(call.Range(), "Wrong number of arguments", "%s() takes %d argument%s in aggregate.fields, not %d: %s.", call.Name, want+1, plural(want+1), len(args), what)
			return f, cty.DynamicPseudoType
		}
		cond := args[want]
		args = args[:want]
		e := l.irExpr(cond)
		f.Where = &e
		if !l.checkBool(cond, roots, "The condition of "+call.Name+"()") {
			return f, cty.DynamicPseudoType
		}
	}
	if len(args) != want {
		l.errorf(call.Range(), "Wrong number of arguments", "%s() takes %d argument%s in aggregate.fields, not %d.", call.Name, want, plural(want), len(args))
		return f, cty.DynamicPseudoType
	}
	if want == 0 {
		return f, cty.Number
	}
	arg := args[0]
	e := l.irExpr(arg)
	f.Arg = &e
	t, ok := l.checkExpr(arg, roots)
	if !ok {
		return f, cty.DynamicPseudoType
	}
	switch base {
	case ir.AggCount, ir.AggCountDistinct:
		return f, cty.Number
	case ir.AggSum, ir.AggAvg:
		if t != cty.Number && t != cty.DynamicPseudoType {
			l.errorf(arg.Range(), "Invalid aggregate argument", "%s() needs a number; this expression is %s.", call.Name, t.FriendlyName())
		}
		return f, cty.Number
	case ir.AggMin, ir.AggMax:
		if t != cty.Number && t != cty.String && t != cty.DynamicPseudoType {
			l.errorf(arg.Range(), "Invalid aggregate argument", "%s() needs a number or a string; this expression is %s.", call.Name, t.FriendlyName())
		}
	}
	return f, t
}

// decodeWindow reads tumbling("1m") | hopping("5m", "1m") | session("30s")
// from the call syntax: these are not functions and are never evaluated.
func (l *loader) decodeWindow(a *hcl.Attribute) ir.Window {
	w := ir.Window{Range: ir.RangeOf(a.Expr.Range())}
	const how = `window is tumbling("1m"), hopping("5m", "1m") or session("30s").`
	call, ok := unwrapParens(a.Expr).(*hclsyntax.FunctionCallExpr)
	if !ok {
		l.errorf(a.Expr.Range(), "Invalid window", "%s", how)
		return w
	}
	want := map[string]int{ir.WindowTumbling: 1, ir.WindowHopping: 2, ir.WindowSession: 1}
	n, known := want[call.Name]
	if !known {
		l.errorf(call.NameRange, "Invalid window", "Unknown window %q: %s%s", call.Name, how, didYouMean(call.Name, sortedKeys(want)))
		return w
	}
	w.Kind = call.Name
	if len(call.Args) != n || call.ExpandFinal {
		l.errorf(call.Range(), "Invalid window", "%s() takes %d duration argument%s: %s", call.Name, n, plural(n), how)
		return w
	}
	ms := make([]int64, n)
	for i, arg := range call.Args {
		v, ok := l.constDuration(&hcl.Attribute{Name: call.Name + "()", Expr: arg, Range: arg.Range()})
		if !ok {
			return w
		}
		if v <= 0 {
			l.errorf(arg.Range(), "Invalid duration", "A window duration must be longer than zero.")
			return w
		}
		ms[i] = v
	}
	switch call.Name {
	case ir.WindowTumbling:
		w.SizeMs = ms[0]
	case ir.WindowHopping:
		w.SizeMs, w.SlideMs = ms[0], ms[1]
		if w.SlideMs > w.SizeMs {
			l.errorf(call.Args[1].Range(), "Invalid window", "A hopping window's slide (second argument) must not exceed its size.")
		}
	case ir.WindowSession:
		w.GapMs = ms[0]
	}
	return w
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
