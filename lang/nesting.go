package lang

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// MaxNesting is the deepest nesting of brackets, braces, parentheses and
// template interpolations a spec may use. HCL's parser and every pass
// after it recurse once per level, and 100,000 levels overflow the
// goroutine stack (a fatal error, not a panic). Real specs stay below 20.
const MaxNesting = 256

// checkNesting refuses src when it nests deeper than MaxNesting, with a
// diagnostic at the first construct too deep, before HCL parses it. The
// scan is a cheap approximation of HCL's lexer: it skips comments, follows
// quoted strings and heredocs, and counts "${" and "%{" inside them as a
// level. It errs towards counting more levels, never fewer.
func checkNesting(src []byte, filename string) *hcl.Diagnostic {
	const (
		code    = iota // a bracket in code
		quoted         // a quoted string
		heredoc        // a heredoc's body
	)
	type level struct {
		mode   int
		marker []byte // the heredoc's closing marker
	}
	stack := []level{{mode: code}}
	for i := 0; i < len(src); i++ {
		top := &stack[len(stack)-1]
		c := src[i]
		open := false
		switch top.mode {
		case code:
			switch {
			case c == '#' || (c == '/' && i+1 < len(src) && src[i+1] == '/'):
				for i < len(src) && src[i] != '\n' {
					i++
				}
			case c == '/' && i+1 < len(src) && src[i+1] == '*':
				end := bytes.Index(src[i+2:], []byte("*/"))
				if end < 0 {
					return nil // HCL reports the unterminated comment
				}
				i += 2 + end + 1
			case c == '"':
				stack, open = append(stack, level{mode: quoted}), true
			case c == '<' && i+1 < len(src) && src[i+1] == '<':
				if m, n := heredocMarker(src[i+2:]); m != nil {
					stack, open = append(stack, level{mode: heredoc, marker: m}), true
					i += 1 + n
				}
			case c == '(' || c == '[' || c == '{':
				stack, open = append(stack, level{mode: code}), true
			case c == ')' || c == ']' || c == '}':
				if len(stack) > 1 {
					stack = stack[:len(stack)-1]
				}
			}
		case quoted, heredoc:
			switch {
			case top.mode == quoted && c == '\\':
				i++
			case top.mode == quoted && (c == '"' || c == '\n'):
				stack = stack[:len(stack)-1]
			case top.mode == heredoc && c == '\n':
				line := src[i+1:]
				if j := bytes.IndexByte(line, '\n'); j >= 0 {
					line = line[:j]
				}
				if bytes.Equal(bytes.TrimSpace(line), top.marker) {
					stack = stack[:len(stack)-1]
					i += len(line)
				}
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == c:
				i++ // $${ and %%{ are escapes
			case (c == '$' || c == '%') && i+1 < len(src) && src[i+1] == '{':
				stack, open = append(stack, level{mode: code}), true
				i++
			}
		}
		if open && len(stack)-1 > MaxNesting {
			pos := posAt(src, i)
			return &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Nesting too deep",
				Detail: fmt.Sprintf("This file nests brackets, parentheses or template interpolations more than %d levels deep here. "+
					"Split the expression using locals.", MaxNesting),
				Subject: &hcl.Range{Filename: filename, Start: pos, End: hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + 1}},
			}
		}
	}
	return nil
}

// heredocMarker reads the "-EOT\n" or "EOT\n" after "<<", returning the
// marker and how many bytes it took (without the newline); nil when what
// follows is not a heredoc opener.
func heredocMarker(b []byte) ([]byte, int) {
	n := 0
	if n < len(b) && b[n] == '-' {
		n++
	}
	start := n
	for n < len(b) && (b[n] == '_' || b[n] >= 'a' && b[n] <= 'z' || b[n] >= 'A' && b[n] <= 'Z' || n > start && b[n] >= '0' && b[n] <= '9') {
		n++
	}
	if n == start || n >= len(b) || (b[n] != '\n' && b[n] != '\r') {
		return nil, 0
	}
	return b[start:n], n
}

// posAt is the position of byte off in src: 1-based line, 1-based column
// in characters, as HCL counts them.
func posAt(src []byte, off int) hcl.Pos {
	lineStart := bytes.LastIndexByte(src[:off], '\n') + 1
	return hcl.Pos{
		Line:   bytes.Count(src[:lineStart], []byte{'\n'}) + 1,
		Column: utf8.RuneCount(src[lineStart:off]) + 1,
		Byte:   off,
	}
}
