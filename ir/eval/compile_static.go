package eval

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// The compiler asks, for every syntax node, its static type (an hcl
// evaluation with unknown roots), whether it reads a root and whether it
// contains a template. Each question walks the node's whole subtree, so
// asking it of every node was quadratic in the depth of the tree: a
// 10,000-term && chain (a left-deep tree) took minutes. The answers are
// memoized per node, and for the node kinds whose result depends only on
// their children's values (operators, parentheses, conditionals, most
// function calls) the children are evaluated first and stand in as
// literals while the node itself is evaluated, so every node is evaluated
// once. Other node kinds (for expressions, splats, templates, try and can,
// which see their arguments as expressions) are evaluated whole, as before.

type staticInfo struct {
	typ   cty.Type
	val   cty.Value
	konst bool
	errs  bool // the evaluation, its operands' included, had errors
}

// operands returns e's child expressions when e's value is a function of
// their values alone, with a setter that replaces them (same order).
func operands(e hclsyntax.Expression) ([]hclsyntax.Expression, func([]hclsyntax.Expression), bool) {
	switch e := e.(type) {
	case *hclsyntax.BinaryOpExpr:
		return []hclsyntax.Expression{e.LHS, e.RHS}, func(x []hclsyntax.Expression) { e.LHS, e.RHS = x[0], x[1] }, true
	case *hclsyntax.UnaryOpExpr:
		return []hclsyntax.Expression{e.Val}, func(x []hclsyntax.Expression) { e.Val = x[0] }, true
	case *hclsyntax.ParenthesesExpr:
		return []hclsyntax.Expression{e.Expression}, func(x []hclsyntax.Expression) { e.Expression = x[0] }, true
	case *hclsyntax.ConditionalExpr:
		return []hclsyntax.Expression{e.Condition, e.TrueResult, e.FalseResult},
			func(x []hclsyntax.Expression) { e.Condition, e.TrueResult, e.FalseResult = x[0], x[1], x[2] }, true
	case *hclsyntax.FunctionCallExpr:
		if e.Name == "try" || e.Name == "can" { // they take expressions, not values
			return nil, nil, false
		}
		return e.Args, func(x []hclsyntax.Expression) { e.Args = x }, true
	}
	return nil, nil, false
}

// staticType evaluates e with unknown roots; it also reports whether the
// result is a known constant.
func (c *compiler) staticType(e hclsyntax.Expression) (cty.Type, cty.Value, bool) {
	if s, ok := c.static[e]; ok {
		return s.typ, s.val, s.konst
	}
	kids, set, ok := operands(e)
	childErr := false
	if ok {
		lits := make([]hclsyntax.Expression, len(kids))
		for i, k := range kids {
			_, v, _ := c.staticType(k)
			if v == cty.NilVal {
				ok = false
				break
			}
			// A child's errors would have been the parent's too.
			childErr = childErr || c.static[k].errs
			lits[i] = &hclsyntax.LiteralValueExpr{Val: v, SrcRange: k.Range()}
		}
		if ok {
			set(lits)
			defer set(kids)
		}
	}
	s := c.evalStatic(e)
	s.errs = s.errs || childErr
	s.konst = s.konst && !s.errs
	c.static[e] = s
	return s.typ, s.val, s.konst
}

func (c *compiler) evalStatic(e hclsyntax.Expression) (s staticInfo) {
	defer func() {
		if r := recover(); r != nil {
			s = staticInfo{typ: cty.DynamicPseudoType, val: cty.NilVal, errs: true}
		}
	}()
	v, diags := e.Value(c.unk)
	if v == cty.NilVal {
		return staticInfo{typ: cty.DynamicPseudoType, val: v, errs: diags.HasErrors()}
	}
	return staticInfo{typ: v.Type(), val: v, konst: !diags.HasErrors() && v.IsWhollyKnown(), errs: diags.HasErrors()}
}

// readsRoot reports whether e refers to a root record.
func (c *compiler) readsRoot(e hclsyntax.Expression) bool {
	if r, ok := c.reads[e]; ok {
		return r
	}
	r := false
	if kids, _, ok := operands(e); ok {
		for _, k := range kids {
			r = r || c.readsRoot(k)
		}
	} else {
		for _, t := range e.Variables() {
			for _, root := range c.roots {
				if t.RootName() == root.Name {
					r = true
				}
			}
		}
	}
	c.reads[e] = r
	return r
}

// containsTemplate reports whether e is or contains a template other
// than a string literal.
func (c *compiler) containsTemplate(e hclsyntax.Expression) bool {
	if r, ok := c.templates[e]; ok {
		return r
	}
	found := false
	if kids, _, ok := operands(e); ok {
		for _, k := range kids {
			found = found || c.containsTemplate(k)
		}
	} else {
		hclsyntax.VisitAll(e, func(n hclsyntax.Node) hcl.Diagnostics {
			// A string literal is a template that cannot fail.
			if t, ok := n.(*hclsyntax.TemplateExpr); ok && !t.IsStringLiteral() {
				found = true
			}
			return nil
		})
	}
	c.templates[e] = found
	return found
}
