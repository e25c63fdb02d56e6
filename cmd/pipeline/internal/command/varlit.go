package command

import (
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
)

// varLiteral writes a resolved variable back as a -var value: strings raw,
// everything else as an HCL literal, which is how -var parses them.
func varLiteral(c ir.Const) string {
	if c.Value.Type() == cty.String && c.Value.IsKnown() && !c.Value.IsNull() {
		return c.Value.AsString()
	}
	return string(hclwrite.TokensForValue(c.Value).Bytes())
}
