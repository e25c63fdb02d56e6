package lang

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/internal/suggest"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
)

// sensitive is the cty mark carried by values derived from a sensitive
// variable or from env(); it decides ir.Const.Sensitive.
type sensitiveMark struct{}

var sensitive = sensitiveMark{}

// constOf turns a resolved value into an ir.Const, recording sensitivity.
func constOf(v cty.Value) ir.Const {
	un, marks := v.UnmarkDeep()
	return ir.Const{Value: un, Sensitive: len(marks) > 0}
}

// noteSensitive remembers the string renditions of a sensitive value, so
// finish can scrub them from diagnostic text.
func (l *loader) noteSensitive(v cty.Value) {
	un, _ := v.UnmarkDeep()
	if !un.IsWhollyKnown() {
		return
	}
	_ = cty.Walk(un, func(_ cty.Path, v cty.Value) (bool, error) {
		if v.IsNull() {
			return true, nil
		}
		switch v.Type() {
		case cty.String:
			l.sensitives[v.AsString()] = true
		case cty.Number:
			l.sensitives[v.AsBigFloat().Text('f', -1)] = true
		}
		return true, nil
	})
}

// envFunc is env(NAME): the value of an environment variable from
// Options.Env. Its result is sensitive: it is how secrets enter a spec.
func (l *loader) envFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable; the result is sensitive.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			v, ok := l.env[name]
			if !ok {
				return cty.UnknownVal(cty.String), fmt.Errorf("environment variable %s is not set", name)
			}
			sv := cty.StringVal(v)
			l.noteSensitive(sv)
			return sv.Mark(sensitive), nil
		},
	})
}

// constCtx is the evaluation context of plan-time values for exprs: var,
// local, the function table and env(). The var and local objects hold only
// the attributes exprs refer to: building them whole for every expression
// made a spec with 8,000 variables take 20 s (quadratic). A reference to a
// name that does not exist, or to var or local as a whole, gets the whole
// object, so HCL's errors and suggestions are unchanged.
func (l *loader) constCtx(exprs ...hcl.Expression) *hcl.EvalContext {
	if l.fns == nil {
		l.fns = eval.Functions()
		l.fns["env"] = l.envFunc()
	}
	scopes := map[string]map[string]cty.Value{"var": l.vars, "local": l.locals}
	used := map[string]map[string]cty.Value{"var": {}, "local": {}}
	whole := map[string]bool{}
	for _, e := range exprs {
		for _, t := range e.Variables() {
			root := t.RootName()
			all, ok := scopes[root]
			if !ok || whole[root] {
				continue
			}
			var v cty.Value
			if len(t) > 1 {
				if step, isAttr := t[1].(hcl.TraverseAttr); isAttr {
					v, ok = all[step.Name]
					if ok {
						used[root][step.Name] = v
						continue
					}
				}
			}
			whole[root] = true
		}
	}
	vars := map[string]cty.Value{}
	for root, all := range scopes {
		if whole[root] {
			vars[root] = cty.ObjectVal(all)
		} else {
			vars[root] = cty.ObjectVal(used[root])
		}
	}
	return &hcl.EvalContext{Variables: vars, Functions: l.fns}
}

// constValue evaluates a plan-time attribute and converts it to ty.
func (l *loader) constValue(a *hcl.Attribute, ty cty.Type) (cty.Value, bool) {
	if bad := l.recordRefs(a.Expr, "this argument"); bad {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(l.constCtx(a.Expr))
	l.addEval(a.Expr, diags)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if v.IsNull() {
		l.errorf(a.Expr.Range(), "Invalid value", "%s must not be null.", a.Name)
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		l.errorf(a.Expr.Range(), "Invalid value", "The value of %s must be known when the spec is loaded.", a.Name)
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		l.errorf(a.Expr.Range(), "Invalid value", "%s: %s.", a.Name, errText(err))
		return cty.NilVal, false
	}
	return cv, true
}

// recordRefs reports per-record references and aggregate calls in a
// plan-time expression.
func (l *loader) recordRefs(e hcl.Expression, what string) bool {
	bad := false
	for _, t := range e.Variables() {
		switch root := t.RootName(); root {
		case "record", "left", "right":
			l.errorf(t.SourceRange(), "Per-record value in a plan-time expression",
				"%s is evaluated once when the spec is loaded, so it cannot refer to %s.", capitalize(what), root)
			bad = true
		}
	}
	if se, ok := e.(hclsyntax.Expression); ok {
		hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
			if c, ok := n.(*hclsyntax.FunctionCallExpr); ok && isAggregateOnly(c.Name) {
				l.errorf(c.NameRange, "Aggregate function outside aggregate.fields",
					"aggregate functions are only allowed in aggregate.fields; %s is evaluated once when the spec is loaded.", what)
				bad = true
			}
			return nil
		})
	}
	return bad
}

func (l *loader) constString(a *hcl.Attribute) (string, bool) {
	v, ok := l.constValue(a, cty.String)
	if !ok {
		return "", false
	}
	v, _ = v.Unmark()
	return v.AsString(), true
}

func (l *loader) constBool(a *hcl.Attribute) (bool, bool) {
	v, ok := l.constValue(a, cty.Bool)
	if !ok {
		return false, false
	}
	v, _ = v.Unmark()
	return v.True(), true
}

func (l *loader) constNumber(a *hcl.Attribute) (float64, bool) {
	v, ok := l.constValue(a, cty.Number)
	if !ok {
		return 0, false
	}
	v, _ = v.Unmark()
	f, _ := v.AsBigFloat().Float64()
	if math.IsInf(f, 0) || math.IsNaN(f) {
		l.errorf(a.Expr.Range(), "Invalid value", "%s is out of range.", a.Name)
		return 0, false
	}
	return f, true
}

func (l *loader) constEnum(a *hcl.Attribute, allowed ...string) (string, bool) {
	s, ok := l.constString(a)
	if !ok {
		return allowed[0], false
	}
	for _, x := range allowed {
		if s == x {
			return s, true
		}
	}
	l.errorf(a.Expr.Range(), "Invalid value", "%s must be one of %s, not %q.%s", a.Name, quoteList(allowed), s, didYouMean(s, allowed))
	return allowed[0], false
}

// constDuration evaluates a duration string attribute to milliseconds.
func (l *loader) constDuration(a *hcl.Attribute) (int64, bool) {
	s, ok := l.constString(a)
	if !ok {
		return 0, false
	}
	ms, err := parseDuration(s)
	if err != nil {
		l.errorf(a.Expr.Range(), "Invalid duration", "%s: %s.", a.Name, err)
		return 0, false
	}
	return ms, true
}

// parseDuration parses Go duration syntax plus a "d" (24h) unit and returns
// whole milliseconds: "1m", "10s", "1h30m", "500ms", "2d", "1d12h".
func parseDuration(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty duration; write e.g. \"10s\", \"5m\", \"1h\"")
	}
	rest := s
	var days float64
	// Split off a leading "<number>d" term: days only make sense first.
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		days, rest = n, rest[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, fmt.Errorf("invalid duration %q (use units ms, s, m, h, d)", s)
		}
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	total := float64(d) + days*24*float64(time.Hour)
	if total > float64(math.MaxInt64) {
		return 0, fmt.Errorf("duration %q is too long", s)
	}
	if d%time.Millisecond != 0 {
		return 0, fmt.Errorf("duration %q is not a whole number of milliseconds", s)
	}
	return int64(total) / int64(time.Millisecond), nil
}

// didYouMean suggests the closest name, formatted as a sentence to append
// to a diagnostic detail, or "".
func didYouMean(given string, names []string) string { return suggest.Hint(given, names) }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) <= 1 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// errText renders a cty conversion error, including the attribute path
// when there is one.
func errText(err error) string {
	if pe, ok := err.(cty.PathError); ok && len(pe.Path) > 0 {
		return fmt.Sprintf("%s: %s", pathString(pe.Path), pe.Error())
	}
	return err.Error()
}

func pathString(p cty.Path) string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case cty.GetAttrStep:
			b.WriteString("." + s.Name)
		case cty.IndexStep:
			if s.Key.Type() == cty.Number {
				bf := s.Key.AsBigFloat()
				b.WriteString("[" + bf.Text('f', -1) + "]")
			} else if s.Key.Type() == cty.String {
				b.WriteString("[" + strconv.Quote(s.Key.AsString()) + "]")
			}
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}

// exprSource returns the exact source bytes of r.
func (l *loader) exprSource(r hcl.Range) string {
	b := l.src[r.Filename]
	if r.Start.Byte < 0 || r.End.Byte > len(b) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return string(b[r.Start.Byte:r.End.Byte])
}

// irExpr lowers an expression to IR source text with its range.
func (l *loader) irExpr(e hcl.Expression) ir.Expr {
	r := e.Range()
	return ir.Expr{Source: l.exprSource(r), Range: ir.RangeOf(r)}
}

// addEval adds the diagnostics of evaluating e, without their details when
// e involves a sensitive value: function errors quote their arguments
// (a regex error quotes part of the pattern, for example).
func (l *loader) addEval(e hcl.Expression, diags hcl.Diagnostics) {
	l.add(l.scrubIf(l.isSensitiveExpr(e), diags))
}

// isSensitiveExpr reports whether e reads a sensitive variable or local,
// or calls env().
func (l *loader) isSensitiveExpr(e hcl.Expression) bool {
	for _, t := range e.Variables() {
		if len(t) < 2 {
			continue
		}
		step, ok := t[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		var v cty.Value
		switch t.RootName() {
		case "var":
			v = l.vars[step.Name]
		case "local":
			v = l.locals[step.Name]
		default:
			continue
		}
		if v != cty.NilVal && (v.IsMarked() || v.ContainsMarked()) {
			return true
		}
	}
	sens := false
	if se, ok := e.(hclsyntax.Expression); ok {
		hclsyntax.VisitAll(se, func(n hclsyntax.Node) hcl.Diagnostics {
			if c, ok := n.(*hclsyntax.FunctionCallExpr); ok && c.Name == "env" {
				sens = true
			}
			return nil
		})
	}
	return sens
}
