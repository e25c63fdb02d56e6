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
