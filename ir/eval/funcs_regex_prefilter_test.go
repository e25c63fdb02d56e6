package eval

import (
	"strconv"
	"testing"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// TestRequiredLiteral: by hand, a literal every match must contain, or ""
// when the pattern does not guarantee one.
func TestRequiredLiteral(t *testing.T) {
	tests := map[string]string{
		"(&|^)channel_id=([^&]*)": "channel_id=",
		"abc":                     "abc",
		"x(abc)y+":                "abc",
		"(foo)?bar":               "bar",
		"foo|foobar":              "foo",
		"a|b":                     "",
		"(?i)abc":                 "",
		"^$":                      "",
		"[a-z]+":                  "",
		"(":                       "",
	}
	for pattern, want := range tests {
		if got := requiredLiteral(pattern); got != want {
			t.Errorf("requiredLiteral(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// TestRegexExtractPrefilter: with the literal prefilter, the compiled
// regex_extract still gives what the cty function gives.
func TestRegexExtractPrefilter(t *testing.T) {
	patterns := []string{"(&|^)channel_id=([^&]*)", "(foo)?bar", "(foo|foobar)", "(?i)ABC(d)"}
	inputs := []string{"", "channel_id=7", "a=1&channel_id=42&b", "a=1&channel_id", "xchannel_id=1", "bar", "foobar", "abcd", "ABCD", "nothing"}
	l := NewLayout(cty.Object(map[string]cty.Type{"s": cty.String}))
	fn := Functions()["regex_extract"]
	for _, pattern := range patterns {
		for _, g := range []int{0, 1} {
			p, diags := Compile(ir.Expr{Source: "regex_extract(record.s, " + strconv.Quote(pattern) + ", " + strconv.Itoa(g) + ")"}, []Root{{Name: "record", Layout: l}}, Consts{})
			if diags.HasErrors() {
				t.Fatalf("%q: %v", pattern, diags)
			}
			for _, in := range inputs {
				r := NewRecord(l)
				r.Values[0] = String(in)
				got, err := p.Eval(Frame{r})
				want, werr := fn.Call([]cty.Value{cty.StringVal(in), cty.StringVal(pattern), cty.NumberIntVal(int64(g))})
				if err != nil || werr != nil {
					t.Fatalf("regex_extract(%q, %q, %d): %v, cty's %v", in, pattern, g, err, werr)
				}
				switch {
				case want.IsNull() != (got.Kind == KindNull):
					t.Errorf("regex_extract(%q, %q, %d) = %v, cty's %#v", in, pattern, g, got, want)
				case !want.IsNull() && got.Str != want.AsString():
					t.Errorf("regex_extract(%q, %q, %d) = %q, cty's %q", in, pattern, g, got.Str, want.AsString())
				}
			}
		}
	}
}
