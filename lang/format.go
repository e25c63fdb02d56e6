package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical HCL layout. It does not check that src
// parses; use FormatFile for that.
func Format(src []byte) []byte { return hclwrite.Format(src) }

// FormatFile formats one spec file for `pipeline fmt`. It refuses a file
// that does not parse (formatting could otherwise mangle it) and checks
// that the formatted text still parses.
func FormatFile(filename string, src []byte) ([]byte, hcl.Diagnostics) {
	if d := checkNesting(src, filename); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, explainParse(diags)
	}
	out := Format(src)
	if _, diags := hclsyntax.ParseConfig(out, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Formatting failed",
			Detail:   "The formatted file does not parse; it was left unchanged. This is a bug in fmt: " + diags.Error(),
		}}
	}
	return out, nil
}
