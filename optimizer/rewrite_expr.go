package optimizer

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// attrRef is one reference to a top-level attribute of a root variable in an
// expression's source: record.amount or record["amount"].
type attrRef struct {
	name       string
	start, end int // byte range of the step (".amount", `["amount"]`)
}

// attrRefs returns every reference to a top-level attribute of root in e.
// ok is false when e's reads cannot be listed exactly: it does not parse,
// reads root as a whole value or with a computed index, or binds root
// itself in a for expression.
func attrRefs(e ir.Expr, root string) (refs []attrRef, ok bool) {
	expr, diags := hclsyntax.ParseExpression([]byte(e.Source), e.Range.Filename, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return nil, false
	}
	ok = true
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		switch n := n.(type) {
		case *hclsyntax.ForExpr:
			if n.KeyVar == root || n.ValVar == root {
				ok = false
			}
		case *hclsyntax.ScopeTraversalExpr:
			tr := n.Traversal
			if tr.RootName() != root {
				return nil
			}
			if len(tr) < 2 {
				ok = false
				return nil
			}
			name, named := stepName(tr[1])
			if !named {
				ok = false
				return nil
			}
			r := tr[1].SourceRange()
			refs = append(refs, attrRef{name: name, start: r.Start.Byte, end: r.End.Byte})
		}
		return nil
	})
	if !ok {
		return nil, false
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].start < refs[j].start })
	return refs, true
}

// stepName is the attribute a traversal step names: .name or ["name"].
func stepName(t hcl.Traverser) (string, bool) {
	switch st := t.(type) {
	case hcl.TraverseAttr:
		return st.Name, true
	case hcl.TraverseIndex:
		if st.Key.IsKnown() && !st.Key.IsNull() && st.Key.Type() == cty.String {
			return st.Key.AsString(), true
		}
	}
	return "", false
}

// renameRefs returns e with each reference in refs (from attrRefs) renamed
// to rename[name], written as .name. ok is false when a new name is not an
// identifier or refs do not match e's source.
func renameRefs(e ir.Expr, root string, refs []attrRef, rename map[string]string) (ir.Expr, bool) {
	var b strings.Builder
	prev := 0
	for _, r := range refs {
		to := rename[r.name]
		if to == r.name {
			continue
		}
		if !hclsyntax.ValidIdentifier(to) || r.start < prev || r.end > len(e.Source) {
			return e, false
		}
		b.WriteString(e.Source[prev:r.start])
		b.WriteString("." + to)
		prev = r.end
	}
	if prev == 0 {
		return e, true
	}
	b.WriteString(e.Source[prev:])
	return ir.Expr{Source: b.String(), Range: e.Range}, true
}

// passThrough returns the attribute of its input that a map field copies
// unchanged: x when the field's expression is exactly record.x or
// record["x"].
func passThrough(e ir.Expr) (string, bool) {
	expr, diags := hclsyntax.ParseExpression([]byte(e.Source), e.Range.Filename, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return "", false
	}
	t, ok := expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(t.Traversal) != 2 || t.Traversal.RootName() != "record" {
		return "", false
	}
	return stepName(t.Traversal[1])
}
