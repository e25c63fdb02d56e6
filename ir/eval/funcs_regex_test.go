package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

var urlType = cty.Object(map[string]cty.Type{"url": cty.String, "n": cty.Number})

// TestExtractionFunctions evaluates regex_extract and split_index on
// hand-computed cases, through the compiled program and through hcl with the
// cty functions (the reference semantics), which must agree.
func TestExtractionFunctions(t *testing.T) {
	const nexmarkURL = "https://www.nexmark.com/abc/def/ghi/item.htm?query=1&channel_id=1234"
	tests := []struct {
		src  string
		url  any // string or nil
		want any // string or nil
	}{
		// Nexmark q21's channel id.
		{`regex_extract(record.url, "(&|^)channel_id=([^&]*)", 2)`, nexmarkURL, "1234"},
		{`regex_extract(record.url, "(&|^)channel_id=([^&]*)", 2)`, "channel_id=7&x=1", "7"},
		{`regex_extract(record.url, "(&|^)channel_id=([^&]*)", 2)`, "https://x/?query=1", nil},
		{`regex_extract(record.url, "(&|^)channel_id=([^&]*)", 0)`, "a=1&channel_id=9", "&channel_id=9"},
		// The first match wins; an unmatched optional group is null.
		{`regex_extract(record.url, "[0-9]+", 0)`, "ab12cd345", "12"},
		{`regex_extract(record.url, "a(x)?b", 1)`, "ab", nil},
		{`regex_extract(record.url, "a(x)?b", 0)`, "zab", "ab"},
		{`regex_extract(record.url, "(x*)", 1)`, "abc", ""},
		{`regex_extract(record.url, "[0-9]+", 0)`, nil, nil},
		{`regex_extract(record.url, var.pat, 1)`, "id=42", "42"},
		// Nexmark q22's directories.
		{`split_index(record.url, "/", 3)`, nexmarkURL, "abc"},
		{`split_index(record.url, "/", 4)`, nexmarkURL, "def"},
		{`split_index(record.url, "/", 5)`, nexmarkURL, "ghi"},
		{`split_index(record.url, "/", 1)`, nexmarkURL, ""},
		{`split_index(record.url, "/", 0)`, nexmarkURL, "https:"},
		{`split_index(record.url, "/", 7)`, nexmarkURL, nil},
		{`split_index(record.url, "/", -1)`, nexmarkURL, nil},
		{`split_index(record.url, "::", 1)`, "a::b::c", "b"},
		{`split_index(record.url, "::", 2)`, "a::b::c", "c"},
		{`split_index(record.url, ",", 0)`, "no-sep", "no-sep"},
		{`split_index(record.url, ",", 2)`, "a,b,", ""},
		{`split_index(record.url, ",", 0)`, "", nil},
		{`split_index(record.url, ",", 0)`, nil, nil},
		{`split_index(record.url, ",", record.n)`, "x,y,z", "z"},
	}
	l := NewLayout(urlType)
	roots := []Root{{Name: "record", Layout: l}}
	consts := Consts{Vars: map[string]cty.Value{"pat": cty.StringVal(`id=([0-9]+)`)}}
	for _, tt := range tests {
		name := tt.src + " on " + showAny(tt.url)
		t.Run(name, func(t *testing.T) {
			p, diags := Compile(exprAt(tt.src), roots, consts)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if p.fallbacks != 0 {
				t.Errorf("%d hcl fallbacks, want 0", p.fallbacks)
			}
			r := NewRecord(l)
			uc := cty.NullVal(cty.String)
			if s, ok := tt.url.(string); ok {
				r.Values[idx(l, "url")] = String(s)
				uc = cty.StringVal(s)
			}
			r.Values[idx(l, "n")] = Int(2)
			v, err := p.Eval(Frame{r})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, plainValue(v)); diff != "" {
				t.Errorf("compiled (-want +got):\n%s", diff)
			}
			ref := hclOutcome(t, tt.src, map[string]cty.Value{"record": cty.ObjectVal(map[string]cty.Value{"url": uc, "n": cty.NumberIntVal(2)})}, consts)
			if diff := cmp.Diff(outcome{Value: tt.want}, ref); diff != "" {
				t.Errorf("hcl with the cty function (-want +got):\n%s", diff)
			}
		})
	}
}

func showAny(v any) string {
	if s, ok := v.(string); ok {
		return `"` + s + `"`
	}
	return "null"
}

// TestExtractionDiagnostics: a bad pattern, a missing group, a pattern that
// is not a constant and an empty separator are compile errors at the
// argument (hcl points into a quoted string's text, and at a negative
// number's sign).
func TestExtractionDiagnostics(t *testing.T) {
	tests := []struct {
		src    string
		detail string
		rng    string
	}{
		{`regex_extract(record.url, "a(b", 1)`, "invalid regular expression", "orders.hcl:10,32-10,35"},
		{`regex_extract(record.url, "a(b)", 2)`, "group 2 does not exist: the pattern has 1 capture group", "orders.hcl:10,39-10,40"},
		{`regex_extract(record.url, "ab", -1)`, "group -1 does not exist", "orders.hcl:10,37-10,38"},
		{`regex_extract(record.url, "ab", 0.5)`, "whole number", "orders.hcl:10,37-10,40"},
		{`regex_extract(record.url, record.url, 0)`, "must be a constant", "orders.hcl:10,31-10,41"},
		{`split_index(record.url, "", 0)`, "separator must not be empty", "orders.hcl:10,31-10,31"},
		{`split_index(record.url, "/", 1.5)`, "whole number", "orders.hcl:10,34-10,37"},
	}
	roots := []Root{{Name: "record", Layout: NewLayout(urlType)}}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, diags := Compile(exprAt(tt.src), roots, Consts{})
			if !diags.HasErrors() {
				t.Fatal("compiled without errors")
			}
			d := diags[0]
			var rng string
			if d.Subject != nil {
				rng = ir.RangeOf(*d.Subject).String()
			}
			if !strings.Contains(d.Detail, tt.detail) || rng != tt.rng {
				t.Errorf("got %q at %s, want %q at %s", d.Detail, rng, tt.detail, tt.rng)
			}
		})
	}
}

func idx(l *Layout, name string) int {
	i, ok := l.Index(name)
	if !ok {
		panic(name)
	}
	return i
}

// BenchmarkExtraction measures the compiled regex_extract and split_index
// on a Nexmark bid URL.
func BenchmarkExtraction(b *testing.B) {
	l := NewLayout(urlType)
	r := NewRecord(l)
	r.Values[idx(l, "url")] = String("https://www.nexmark.com/abc/def/ghi/item.htm?query=1&channel_id=1234")
	for _, src := range []string{
		`regex_extract(record.url, "(&|^)channel_id=([^&]*)", 2)`,
		`split_index(record.url, "/", 4)`,
	} {
		p, diags := Compile(exprAt(src), []Root{{Name: "record", Layout: l}}, Consts{})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		b.Run(src[:strings.IndexByte(src, '(')], func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := p.Eval(Frame{r}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
