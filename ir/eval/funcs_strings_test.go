package eval

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/text/unicode/norm"
)

// caseInputs mixes ASCII with text where Unicode case mapping, trimming and
// NFC matter, so both the ASCII fast paths and the general path run.
var caseInputs = []string{
	"", "info", "INFO", " Warn\t", "\n", "a-Z_09",
	"ÉCOLE", "E\u0301COLE", // precomposed, and E + combining acute
	"ǅemal", "ǆ", "Ǆ", // titlecase and its case pair
	"İstanbul", "ıi", // Turkish dotted capital I, dotless i
	"straße", "STRASSE", "\u1e9e", // ß, capital sharp s
	"\u00a0nbsp\u3000", "\u2028x\u0085", // non-ASCII spaces
	" \u0301", "ﬃ", "Ω\u0301", "日本語 ",
}

func nfcOf(s string) string { return norm.NFC.String(s) }

// The lognorm chains compiled, with and without a scope (memoized and
// fast paths), on ASCII, non-ASCII and null strings. Expected values are
// computed with strings and norm: a record's string is NFC-normalized when
// read, as cty.StringVal normalizes it.
func TestStringChainsMatchUnicode(t *testing.T) {
	l := NewLayout(cseType)
	aliases := map[string]string{"info": "INFO", "école": "SCHOOL", "straße": "STREET"}
	aliasVals := map[string]cty.Value{}
	for k, v := range aliases {
		aliasVals[k] = cty.StringVal(v)
	}
	c := Consts{Vars: map[string]cty.Value{"aliases": cty.MapVal(aliasVals)}, Locals: map[string]cty.Value{
		"noisy": cty.ListVal([]cty.Value{cty.StringVal("debug"), cty.StringVal("école")}),
	}}
	srcs := []string{
		`lower(record.s)`,
		`upper(record.s)`,
		`trimspace(record.s)`,
		`lower(trimspace(coalesce(record.s, "Info")))`,
		`upper(trimspace(coalesce(record.s, "Info")))`,
		`!contains(local.noisy, lower(trimspace(coalesce(record.s, "Info"))))`,
		`lookup(var.aliases, lower(trimspace(coalesce(record.s, "Info"))), upper(trimspace(coalesce(record.s, "Info"))))`,
		`lower(record.s) == "école"`,
	}
	want := func(s *string) []result {
		v := "Info"
		if s != nil {
			v = nfcOf(*s)
		}
		norm := nfcOf(strings.ToLower(nfcOf(strings.TrimSpace(v))))
		up := nfcOf(strings.ToUpper(nfcOf(strings.TrimSpace(v))))
		level, ok := aliases[norm]
		if !ok {
			level = up
		}
		out := []result{{V: ""}, {V: ""}, {V: ""}, {V: norm}, {V: up},
			{V: !slices.Contains([]string{"debug", "école"}, norm)}, {V: level}, {V: false}}
		if s == nil {
			out[0], out[1], out[2], out[7] = result{Err: true}, result{Err: true}, result{Err: true}, result{Err: true}
		} else {
			out[0].V = nfcOf(strings.ToLower(v))
			out[1].V = nfcOf(strings.ToUpper(v))
			out[2].V = nfcOf(strings.TrimSpace(v))
			out[7].V = nfcOf(strings.ToLower(v)) == "école"
		}
		return out
	}
	sc, scoped := compileInScope(t, l, c, srcs...)
	var plain []*Program
	for _, src := range srcs {
		p, diags := Compile(ir.Expr{Source: src}, []Root{{Name: "record", Layout: l}}, c)
		if diags.HasErrors() {
			t.Fatalf("compile %s: %s", src, diags)
		}
		plain = append(plain, p)
	}
	// The filter takes its fast path (a plain bool from the strings).
	for name, ps := range map[string][]*Program{"scoped": scoped, "plain": plain} {
		if ps[5].cond == nil {
			t.Errorf("%s: %s has no fast path", name, srcs[5])
		}
	}
	inputs := []*string{nil}
	for _, in := range append(caseInputs, " DEBUG ", "debug", "École ", "E\u0301cole") {
		inputs = append(inputs, strp(in))
	}
	for _, in := range inputs {
		r := cseRecord(l, nil, in, true, 1)
		s := "<null>"
		if in != nil {
			s = *in
		}
		for name, ps := range map[string][]*Program{"scoped": scoped, "plain": plain} {
			if name == "scoped" {
				sc.Track(r)
			}
			if diff := cmp.Diff(want(in), evalAll(ps, r)); diff != "" {
				t.Errorf("%s, record.s = %q (-want +got):\n%s", name, s, diff)
			}
		}
	}
}

// Map fields copying record attributes: NFC strings, bools, numbers, and
// a non-finite number fails.
func TestEvalIntoCopiesFields(t *testing.T) {
	l := NewLayout(cseType)
	fields := []ir.Field{
		{Name: "s", Expr: ir.Expr{Source: "record.s"}},
		{Name: "ok", Expr: ir.Expr{Source: "record.ok"}},
		{Name: "n", Expr: ir.Expr{Source: "record.n"}},
		{Name: "paren", Expr: ir.Expr{Source: "(record.level)"}},
		{Name: "lower", Expr: ir.Expr{Source: "lower(record.s)"}},
	}
	o, diags := CompileObject(fields, []Root{{Name: "record", Layout: l}}, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type rec = map[string]any
	tests := []struct {
		name    string
		level   *string
		s       *string
		n       Value
		want    rec
		wantErr bool
	}{
		{"ascii", strp("x"), strp("Abc"), Int(3), rec{"s": "Abc", "ok": true, "n": 3.0, "paren": "x", "lower": "abc"}, false},
		{"nfc", strp("E\u0301"), strp("E\u0301COLE"), Int(-1), rec{"s": "ÉCOLE", "ok": true, "n": -1.0, "paren": "É", "lower": "école"}, false},
		{"null", nil, nil, Int(0), nil, true}, // lower(null) fails
		{"float", strp(""), strp(""), Number(0.5), rec{"s": "", "ok": true, "n": 0.5, "paren": "", "lower": ""}, false},
		{"infinite", strp(""), strp(""), Number(math.Inf(1)), nil, true},
	}
	for _, tt := range tests {
		in := cseRecord(l, tt.level, tt.s, true, 0)
		i, _ := l.Index("n")
		in.Values[i] = tt.n
		var out Record
		err := o.EvalInto(Frame{in}, &out)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: EvalInto error %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		got := rec{}
		for j, name := range out.Layout.Names {
			got[name] = plainValue(out.Values[j])
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
