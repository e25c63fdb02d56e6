package diagfmt

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestWriteCutsLongLines: a snippet shows a window of its line around the
// range, so a long line costs the same as a short one (issue 17, item 8).
func TestWriteCutsLongLines(t *testing.T) {
	line := strings.Repeat("a", 1000) + "BAD" + strings.Repeat("z", 1000)
	files := map[string]*hcl.File{"l.hcl": {Bytes: []byte(line + "\n")}}
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Bad", Subject: &hcl.Range{Filename: "l.hcl",
		Start: hcl.Pos{Line: 1, Column: 1001, Byte: 1000}, End: hcl.Pos{Line: 1, Column: 1004, Byte: 1003}}}
	var buf bytes.Buffer
	if err := Write(&buf, hcl.Diagnostics{d}, files); err != nil {
		t.Fatal(err)
	}
	want := "l.hcl:1:1001: error: Bad\n" +
		"  1 | …" + strings.Repeat("a", 40) + "BAD" + strings.Repeat("z", 40) + "…\n" +
		"    |  " + strings.Repeat(" ", 40) + "^^^\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestWriteCapsTheNumberOfDiagnostics: one diagnostic per byte of a 40,000
// byte line printed 40,000 copies of the line; now the output is bounded
// and says how many were left out.
func TestWriteCapsTheNumberOfDiagnostics(t *testing.T) {
	const n = 40000
	files := map[string]*hcl.File{"l.hcl": {Bytes: bytes.Repeat([]byte{0}, n)}}
	diags := make(hcl.Diagnostics, n)
	for i := range diags {
		diags[i] = &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid character", Subject: &hcl.Range{Filename: "l.hcl",
			Start: hcl.Pos{Line: 1, Column: i + 1, Byte: i}, End: hcl.Pos{Line: 1, Column: i + 2, Byte: i + 1}}}
	}
	diags[n-1].Severity = hcl.DiagWarning
	var buf bytes.Buffer
	if err := Write(&buf, diags, files); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > MaxShown*400 {
		t.Errorf("%d bytes of output for %d diagnostics shown", buf.Len(), MaxShown)
	}
	want := "... and 39950 more diagnostics not shown (39949 errors, 1 warnings).\n"
	if !strings.HasSuffix(buf.String(), want) {
		t.Errorf("output does not end with %q:\n%s", want, buf.String()[max(0, buf.Len()-300):])
	}
	var jb bytes.Buffer
	if err := WriteJSON(&jb, diags, files); err != nil {
		t.Fatal(err)
	}
	if jb.Len() > n*1000 {
		t.Errorf("JSON: %d bytes for %d diagnostics", jb.Len(), n)
	}
}
