package diagfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// FormatVersion is the version of the JSON diagnostics format.
const FormatVersion = "1.0"

// Write renders diags for a terminal:
//
//	path:line:col: error: summary
//	  12 |   wher = record.amount
//	     |   ^^^^
//	  detail, indented
//
// files supplies source text by file name (lang.Result.Files); a diagnostic
// whose file or line is unknown is rendered without the source lines.
//
// At most MaxShown diagnostics are rendered, then one line says how many
// were left out: a hostile file can produce one diagnostic per byte.
func Write(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File) error {
	var buf bytes.Buffer
	src := newSources(files)
	for i, d := range diags {
		if i == MaxShown {
			var errs, warns int
			for _, d := range diags[i:] {
				if d.Severity == hcl.DiagWarning {
					warns++
				} else {
					errs++
				}
			}
			fmt.Fprintf(&buf, "\n... and %d more diagnostics not shown (%d errors, %d warnings).\n", len(diags)-i, errs, warns)
			break
		}
		if i > 0 {
			buf.WriteString("\n")
		}
		writeOne(&buf, d, src)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// MaxShown is how many diagnostics Write renders.
const MaxShown = 50

// Snippets show at most about this many bytes of a source line: context
// before the range, the range itself, context after. Longer lines are cut
// with an ellipsis, so output grows with the number of diagnostics, never
// with their product with the line length.
const (
	snippetBefore    = 40
	snippetHighlight = 80
	snippetAfter     = 40
)

const ellipsis = "…"

// window cuts code around code[start:end], returning the shown part and
// the highlight's offsets in it. Cuts fall on rune boundaries.
func window(code string, start, end int) (string, int, int) {
	if len(code) <= snippetBefore+snippetHighlight+snippetAfter {
		return code, start, end
	}
	if end-start > snippetHighlight {
		end = runeStart(code, start+snippetHighlight)
	}
	from := runeStart(code, max(0, start-snippetBefore))
	to := runeStart(code, min(len(code), end+snippetAfter))
	shown := code[from:to]
	start, end = start-from, end-from
	if from > 0 {
		shown = ellipsis + shown
		start, end = start+len(ellipsis), end+len(ellipsis)
	}
	if to < len(code) {
		shown += ellipsis
	}
	return shown, start, end
}

// runeStart moves i back to the start of the rune it falls in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

func severity(d *hcl.Diagnostic) string {
	if d.Severity == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

func writeOne(buf *bytes.Buffer, d *hcl.Diagnostic, files *sources) {
	if d.Subject != nil && d.Subject.Filename != "" {
		fmt.Fprintf(buf, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
	}
	fmt.Fprintf(buf, "%s: %s\n", severity(d), d.Summary)
	if s := snippetOf(d.Subject, files); s != nil {
		gutter := fmt.Sprintf("%d", s.StartLine)
		pad := strings.Repeat(" ", len(gutter))
		fmt.Fprintf(buf, "  %s | %s\n", gutter, s.Code)
		fmt.Fprintf(buf, "  %s | %s\n", pad, caretLine(s.Code, s.HighlightStartOffset, s.HighlightEndOffset))
	}
	if detail := strings.TrimSpace(d.Detail); detail != "" {
		for _, line := range strings.Split(detail, "\n") {
			if line == "" {
				buf.WriteString("\n")
				continue
			}
			fmt.Fprintf(buf, "  %s\n", line)
		}
	}
}

// caretLine returns a line that puts carets under code[start:end] (byte
// offsets). Tabs before the highlight are kept so the carets line up
// whatever the terminal's tab width; every other character becomes one space.
func caretLine(code string, start, end int) string {
	var b strings.Builder
	for _, r := range code[:start] {
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	n := utf8.RuneCountInString(code[start:end])
	if n < 1 {
		n = 1
	}
	b.WriteString(strings.Repeat("^", n))
	return b.String()
}

// Snippet is the source line a diagnostic points at.
type Snippet struct {
	Code      string `json:"code"`
	StartLine int    `json:"start_line"`
	// HighlightStartOffset and HighlightEndOffset are byte offsets into Code
	// of the part the diagnostic is about.
	HighlightStartOffset int `json:"highlight_start_offset"`
	HighlightEndOffset   int `json:"highlight_end_offset"`
}

// sources indexes the lines of the files diagnostics point into, once per
// file: finding a diagnostic's line by scanning from the file's start, and
// copying the whole line for each, made a file with one diagnostic per
// byte on a 40 KB line take 12 s for validate -json (quadratic).
type sources struct {
	files map[string]*hcl.File
	index map[string]*lineIndex
}

type lineIndex struct {
	text   string // the file, converted once: lines are substrings of it
	starts []int  // byte offset of each line's start
}

func newSources(files map[string]*hcl.File) *sources {
	return &sources{files: files, index: map[string]*lineIndex{}}
}

// line returns line n (1-based) of file name, without its line ending,
// and its byte offset; ok is false when the file or line is not there.
func (s *sources) line(name string, n int) (code string, start int, ok bool) {
	ix := s.index[name]
	if ix == nil {
		f := s.files[name]
		if f == nil {
			return "", 0, false
		}
		ix = &lineIndex{text: string(f.Bytes), starts: []int{0}}
		for i := 0; i < len(ix.text); i++ {
			if ix.text[i] == '\n' {
				ix.starts = append(ix.starts, i+1)
			}
		}
		s.index[name] = ix
	}
	if n < 1 || n > len(ix.starts) {
		return "", 0, false
	}
	start = ix.starts[n-1]
	end := len(ix.text)
	if n < len(ix.starts) {
		end = ix.starts[n] - 1
	}
	return strings.TrimSuffix(ix.text[start:end], "\r"), start, true
}

// snippetOf finds the first line of rng in files, or nil when the file or
// the line is not there.
func snippetOf(rng *hcl.Range, files *sources) *Snippet {
	if rng == nil || rng.Start.Line < 1 {
		return nil
	}
	code, lineStart, ok := files.line(rng.Filename, rng.Start.Line)
	if !ok {
		return nil
	}

	// Prefer byte offsets; fall back to columns (characters) when the range
	// carries no usable byte offsets.
	start := rng.Start.Byte - lineStart
	if start < 0 || start > len(code) || (rng.Start.Byte == 0 && rng.Start.Column > 1) {
		start = byteOfColumn(code, rng.Start.Column)
	}
	end := len(code)
	if rng.End.Line == rng.Start.Line {
		end = rng.End.Byte - lineStart
		if end < start || end > len(code) || (rng.End.Byte == 0 && rng.End.Column > 1) {
			end = byteOfColumn(code, rng.End.Column)
		}
	}
	if end < start {
		end = start
	}
	code, start, end = window(code, start, end)
	return &Snippet{Code: code, StartLine: rng.Start.Line, HighlightStartOffset: start, HighlightEndOffset: end}
}

// byteOfColumn converts a 1-based character column to a byte offset in code,
// clamped to the line.
func byteOfColumn(code string, col int) int {
	off := 0
	for i := 1; i < col && off < len(code); i++ {
		_, size := utf8.DecodeRuneInString(code[off:])
		off += size
	}
	return off
}

// Output is the JSON document validate -json prints.
type Output struct {
	FormatVersion string       `json:"format_version"`
	Valid         bool         `json:"valid"`
	ErrorCount    int          `json:"error_count"`
	WarningCount  int          `json:"warning_count"`
	Diagnostics   []Diagnostic `json:"diagnostics"`
}

// Diagnostic is one diagnostic in JSON form.
type Diagnostic struct {
	Severity string   `json:"severity"` // error | warning
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	Range    *Range   `json:"range,omitempty"`
	Snippet  *Snippet `json:"snippet,omitempty"`
}

// Range is a source range in JSON form.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// Pos is a source position: 1-based line and column, 0-based byte.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// NewOutput converts diags to the JSON document.
func NewOutput(diags hcl.Diagnostics, files map[string]*hcl.File) Output {
	out := Output{FormatVersion: FormatVersion, Diagnostics: []Diagnostic{}}
	src := newSources(files)
	for _, d := range diags {
		jd := Diagnostic{Severity: severity(d), Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			out.WarningCount++
		} else {
			out.ErrorCount++
		}
		if r := d.Subject; r != nil {
			jd.Range = &Range{
				Filename: r.Filename,
				Start:    Pos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
				End:      Pos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
			}
			jd.Snippet = snippetOf(r, src)
		}
		out.Diagnostics = append(out.Diagnostics, jd)
	}
	out.Valid = out.ErrorCount == 0
	return out
}

// WriteJSON writes the JSON document for diags, indented, with a newline.
func WriteJSON(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(NewOutput(diags, files)); err != nil {
		return fmt.Errorf("write diagnostics: %w", err)
	}
	return nil
}
