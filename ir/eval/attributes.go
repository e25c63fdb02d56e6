package eval

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// ReadAttributes returns the top-level attributes of root ("record", "left",
// "right") that e reads, so that a backend can decode only those (see
// Decoder.DecodeNeeded). all is true when e needs the whole record: it reads
// root itself, indexes it with a computed key, or does not parse.
func ReadAttributes(e ir.Expr, root string) (names []string, all bool) {
	if e.IsZero() {
		return nil, false
	}
	expr, diags := hclsyntax.ParseExpression([]byte(e.Source), e.Range.Filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, true
	}
	for _, tr := range expr.Variables() {
		if tr.RootName() != root {
			continue
		}
		if len(tr) < 2 {
			return nil, true
		}
		switch st := tr[1].(type) {
		case hcl.TraverseAttr:
			names = append(names, st.Name)
		case hcl.TraverseIndex:
			if !st.Key.IsKnown() || st.Key.IsNull() || st.Key.Type() != cty.String {
				return nil, true
			}
			names = append(names, st.Key.AsString())
		default:
			return nil, true
		}
	}
	return names, false
}
