package diagfmt

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

const src = "filter \"big\" {\n  wher = record.amount\n\tinput\t= source.órders\n}\n"

var files = map[string]*hcl.File{"p.hcl": {Bytes: []byte(src)}}

func rng(l1, c1, b1, l2, c2, b2 int) *hcl.Range {
	return &hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: l1, Column: c1, Byte: b1}, End: hcl.Pos{Line: l2, Column: c2, Byte: b2}}
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name  string
		diags hcl.Diagnostics
		want  string
	}{
		{
			name: "caret under the subject",
			diags: hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Unsupported argument",
				Detail:  "An argument named \"wher\" is not expected here.\nDid you mean \"where\"?",
				Subject: rng(2, 3, 17, 2, 7, 21),
			}},
			want: "p.hcl:2:3: error: Unsupported argument\n" +
				"  2 |   wher = record.amount\n" +
				"    |   ^^^^\n" +
				"  An argument named \"wher\" is not expected here.\n" +
				"  Did you mean \"where\"?\n",
		},
		{
			name: "tabs are kept and a multi-byte character is one caret",
			diags: hcl.Diagnostics{{
				Severity: hcl.DiagWarning, Summary: "Odd name",
				Subject: rng(3, 10, 47, 3, 23, 61),
			}},
			want: "p.hcl:3:10: warning: Odd name\n" +
				"  3 | \tinput\t= source.órders\n" +
				"    | \t     \t  ^^^^^^^^^^^^^\n",
		},
		{
			name: "columns when byte offsets are missing",
			diags: hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Bad",
				Subject: rng(2, 10, 0, 2, 16, 0),
			}},
			want: "p.hcl:2:10: error: Bad\n" +
				"  2 |   wher = record.amount\n" +
				"    |          ^^^^^^\n",
		},
		{
			name: "a range over several lines is highlighted to the end of its first line",
			diags: hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Block",
				Subject: rng(1, 1, 0, 4, 2, 63),
			}},
			want: "p.hcl:1:1: error: Block\n" +
				"  1 | filter \"big\" {\n" +
				"    | ^^^^^^^^^^^^^^\n",
		},
		{
			name: "an empty range still gets one caret",
			diags: hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Missing",
				Subject: rng(4, 2, 63, 4, 2, 63),
			}},
			want: "p.hcl:4:2: error: Missing\n" +
				"  4 | }\n" +
				"    |  ^\n",
		},
		{
			name: "unknown file and no subject: no source lines; diagnostics separated",
			diags: hcl.Diagnostics{
				{Severity: hcl.DiagError, Summary: "Elsewhere", Subject: &hcl.Range{Filename: "x.hcl", Start: hcl.Pos{Line: 1, Column: 1}}},
				{Severity: hcl.DiagError, Summary: "Cannot read spec: no such file"},
			},
			want: "x.hcl:1:1: error: Elsewhere\n\nerror: Cannot read spec: no such file\n",
		},
		{
			name: "line past the end of the file",
			diags: hcl.Diagnostics{{
				Severity: hcl.DiagError, Summary: "Far", Subject: rng(40, 1, 900, 40, 2, 901),
			}},
			want: "p.hcl:40:1: error: Far\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.diags, files); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Unsupported argument", Detail: "No.", Subject: rng(2, 3, 17, 2, 7, 21)},
		{Severity: hcl.DiagWarning, Summary: "No subject"},
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, diags, files); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	want := map[string]any{
		"format_version": "1.0",
		"valid":          false,
		"error_count":    1.0,
		"warning_count":  1.0,
		"diagnostics": []any{
			map[string]any{
				"severity": "error", "summary": "Unsupported argument", "detail": "No.",
				"range": map[string]any{
					"filename": "p.hcl",
					"start":    map[string]any{"line": 2.0, "column": 3.0, "byte": 17.0},
					"end":      map[string]any{"line": 2.0, "column": 7.0, "byte": 21.0},
				},
				"snippet": map[string]any{
					"code": "  wher = record.amount", "start_line": 2.0,
					"highlight_start_offset": 2.0, "highlight_end_offset": 6.0,
				},
			},
			map[string]any{"severity": "warning", "summary": "No subject"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}

	buf.Reset()
	if err := WriteJSON(&buf, nil, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{
  "format_version": "1.0",
  "valid": true,
  "error_count": 0,
  "warning_count": 0,
  "diagnostics": []
}
`, buf.String()); diff != "" {
		t.Errorf("empty JSON (-want +got):\n%s", diff)
	}
}
