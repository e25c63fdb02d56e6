package eval

import (
	"strconv"
	"testing"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// TestFormatDateNative: the compiled formatdate gives what the cty function
// gives, result or error, for formats it formats natively and formats and
// timestamps it hands to cty; a few results are also checked by hand.
func TestFormatDateNative(t *testing.T) {
	formats := []string{
		"YYYY-MM-DD", "hh:mm", "YY/M/D h:m:s", "EEE, DD MMM YYYY HH:mm:ss AA", "EEEE MMMM aa H",
		"'at' hh 'o''clock'", "''YYYY''", "DD.MM.YYYY", "YYYY-MM-DD'T'hh:mm:ssZ", "ZZZ", "YYY", "'open",
		"h:mm Ñ", "",
	}
	stamps := []string{
		"2026-01-01T23:59:45.400Z", "2026-01-02T00:00:00Z", "0005-03-09T07:08:09+05:30",
		"2026-07-04T12:00:00.123456789-07:00", "2026-03-02t08:00:13z", "2026-02-30T00:00:00Z",
		"2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00", "not a time", "",
		"2026-01-01T00:00:00.1234567891Z", "2026-01-01 00:00:00Z",
	}
	byHand := map[[2]string]string{
		{"hh:mm", "2026-01-01T23:59:45.400Z"}:                                   "23:59",
		{"YYYY-MM-DD", "0005-03-09T07:08:09+05:30"}:                             "0005-03-09",
		{"YY/M/D h:m:s", "0005-03-09T07:08:09+05:30"}:                           "05/3/9 7:8:9",
		{"EEE, DD MMM YYYY HH:mm:ss AA", "2026-07-04T12:00:00.123456789-07:00"}: "Sat, 04 Jul 2026 12:00:00 PM",
		{"EEEE MMMM aa H", "2026-01-02T00:00:00Z"}:                              "Friday January am 12",
		{"'at' hh 'o''clock'", "2026-01-02T00:00:00Z"}:                          "at 00 o'clock",
	}
	l := NewLayout(cty.Object(map[string]cty.Type{"ts": cty.String}))
	fn := Functions()["formatdate"]
	for _, format := range formats {
		p, diags := Compile(ir.Expr{Source: "formatdate(" + strconv.Quote(format) + ", record.ts)"}, []Root{{Name: "record", Layout: l}}, Consts{})
		if diags.HasErrors() {
			t.Fatalf("%q: %v", format, diags)
		}
		for _, ts := range stamps {
			r := NewRecord(l)
			r.Values[0] = String(ts)
			got, gotErr := p.Eval(Frame{r})
			want, wantErr := fn.Call([]cty.Value{cty.StringVal(format), cty.StringVal(ts)})
			switch {
			case (gotErr != nil) != (wantErr != nil):
				t.Errorf("formatdate(%q, %q): error %v, cty's %v", format, ts, gotErr, wantErr)
			case gotErr == nil && (got.Kind != KindString || got.Str != want.AsString()):
				t.Errorf("formatdate(%q, %q) = %v, cty's %q", format, ts, got, want.AsString())
			}
			if h, ok := byHand[[2]string{format, ts}]; ok && (gotErr != nil || got.Str != h) {
				t.Errorf("formatdate(%q, %q) = %v (%v), want %q", format, ts, got, gotErr, h)
			}
		}
	}
}

// TestLengthOfSplit: length(split(sep, s)) counts without building the
// list and agrees with cty, by hand and on combining characters (cty
// splits the NFC form: "c\u0327" is one "ç").
func TestLengthOfSplit(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{"s": cty.String}))
	tests := []struct {
		expr, s string
		want    int64
	}{
		{`length(split("c", record.s))`, "", 1},
		{`length(split("c", record.s))`, "abcabc", 3},
		{`length(split("c", record.s)) - 1`, "cc", 2},
		{`length(split("ab", record.s))`, "aababab", 4},
		{`length(split("c", record.s))`, "c\u0327c", 2},
		{`length((split(("c"), record.s)))`, "xcx", 2},
	}
	fn := Functions()
	for _, tt := range tests {
		p, diags := Compile(ir.Expr{Source: tt.expr}, []Root{{Name: "record", Layout: l}}, Consts{})
		if diags.HasErrors() {
			t.Fatalf("%s: %v", tt.expr, diags)
		}
		r := NewRecord(l)
		r.Values[0] = String(tt.s)
		got, err := p.Eval(Frame{r})
		if err != nil || got.Kind != KindNumber {
			t.Fatalf("%s on %q: %v, %v", tt.expr, tt.s, got, err)
		}
		if n, _ := got.Int64(); n != tt.want {
			t.Errorf("%s on %q = %d, want %d", tt.expr, tt.s, n, tt.want)
		}
		list, _ := fn["split"].Call([]cty.Value{cty.StringVal("c"), cty.StringVal(tt.s)})
		if tt.expr == `length(split("c", record.s))` && int64(list.LengthInt()) != tt.want {
			t.Errorf("cty's split(\"c\", %q) has %d pieces, want %d", tt.s, list.LengthInt(), tt.want)
		}
	}
}
