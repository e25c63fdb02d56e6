package lang

import (
	"math"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/internal/suggest"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/zclconf/go-cty/cty"
)

// decodeTop reads a top block:
//
//	top "hot" {
//	  input    = aggregate.bids_per_auction
//	  key      = [record.category]           # optional: one ranking per key
//	  order_by = [record.num, asc(record.id)] # or one expression; desc by default
//	  limit    = 1
//	  window   = tumbling("10s")              # optional: else the input's windows
//	}
func (l *loader) decodeTop(d *opDecl, attrs hcl.Attributes) {
	t := &ir.Top{}
	d.op.Top = t
	if a := attrs["limit"]; a != nil {
		if n, ok := l.constNumber(a); ok {
			if n < 1 || n != math.Trunc(n) || n > 1<<20 {
				l.errorf(a.Expr.Range(), "Invalid limit", "limit is the number of records kept per key and window: a whole number from 1 to %d.", 1<<20)
			} else {
				t.Limit = int(n)
			}
		}
	}
	if a := attrs["window"]; a != nil {
		w := l.decodeWindow(a)
		if w.Kind == ir.WindowSession {
			l.errorf(a.Expr.Range(), "Invalid window", "A top ranks within tumbling or hopping windows; session windows are not supported.")
		}
		t.Window = &w
	}
	var keyExprs []hcl.Expression
	if a := attrs["key"]; a != nil {
		keyExprs = l.exprList(a)
	}
	type orderItem struct {
		expr hcl.Expression
		desc bool
	}
	var order []orderItem
	if a := attrs["order_by"]; a != nil {
		items := []hcl.Expression{a.Expr}
		if _, isList := unwrapParens(a.Expr).(*hclsyntax.TupleConsExpr); isList {
			items = l.exprList(a)
			if len(items) == 0 {
				l.errorf(a.Expr.Range(), "Invalid order_by", "order_by needs at least one expression.")
			}
		}
		for _, it := range items {
			oi := orderItem{expr: it, desc: true}
			if call, ok := unwrapParens(it).(*hclsyntax.FunctionCallExpr); ok {
				switch {
				case call.Name == "asc" || call.Name == "desc":
					if len(call.Args) != 1 || call.ExpandFinal {
						l.errorf(call.Range(), "Invalid order_by", "%s() takes one expression, as in desc(record.price).", call.Name)
						continue
					}
					oi = orderItem{expr: call.Args[0], desc: call.Name == "desc"}
				case !isFunction(call.Name) && suggest.Closest(call.Name, []string{"asc", "desc"}) != "":
					l.errorf(call.NameRange, "Invalid order_by", "An order_by item is an expression, asc(EXPR) or desc(EXPR) (the default).%s", didYouMean(call.Name, []string{"asc", "desc"}))
					continue
				}
			}
			order = append(order, oi)
		}
	}
	d.check = func(in []cty.Type) cty.Type {
		roots := record(in[0])
		for _, k := range keyExprs {
			t.Key = append(t.Key, l.irExpr(k))
			l.checkExpr(k, roots)
		}
		for _, o := range order {
			t.OrderBy = append(t.OrderBy, ir.OrderKey{Expr: l.irExpr(o.expr), Desc: o.desc})
			if typ, ok := l.checkExpr(o.expr, roots); ok && typ != cty.Number && typ != cty.String && typ != cty.DynamicPseudoType {
				l.errorf(o.expr.Range(), "Invalid order_by", "A top orders by numbers or strings; this expression is %s.", typ.FriendlyName())
			}
		}
		// No window over an un-windowed input: the top ranks over all
		// time and emits a changelog (see changelog.go).
		t.Continuous = t.Window == nil && in[0].IsObjectType() && !in[0].HasAttribute(eval.FieldWindowEnd)
		return in[0]
	}
}

// exprList reads a list attribute's items (a single expression is a list
// of one).
func (l *loader) exprList(a *hcl.Attribute) []hcl.Expression {
	if _, isList := unwrapParens(a.Expr).(*hclsyntax.TupleConsExpr); !isList {
		return []hcl.Expression{a.Expr}
	}
	items, diags := hcl.ExprList(unwrapParens(a.Expr))
	l.add(diags)
	return items
}

func isFunction(name string) bool {
	_, ok := eval.Functions()[name]
	return ok
}
