package costprofile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
)

// kinds are the operator kinds a profile may measure.
var kinds = []ir.Kind{ir.KindSource, ir.KindFilter, ir.KindMap, ir.KindRoute, ir.KindJoin, ir.KindDedupe, ir.KindAggregate, ir.KindSink}

// Parse reads a profile from src, the contents of filename, and validates
// it: the format version, the time and machine, and for every backend (one
// of backends) and kind a positive, finite cost. Problems are error
// diagnostics at the offending JSON key or value.
func Parse(filename string, src []byte, backends []string) (*Profile, hcl.Diagnostics) {
	at := func(off int) *hcl.Range { return rangeAt(filename, src, off) }
	diag := func(r *hcl.Range, summary, detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r}}
	}
	keys := keyOffsets(src)
	key := func(path ...string) *hcl.Range {
		if off, ok := keys[strings.Join(path, ".")]; ok {
			return at(off)
		}
		return at(0)
	}

	var p Profile
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	if err == nil {
		end := int(dec.InputOffset())
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			for end < len(src) && strings.IndexByte(" \t\r\n", src[end]) >= 0 {
				end++
			}
			return nil, diag(at(end), "Invalid cost profile", "The file holds more than one JSON value.")
		}
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.As(err, &syn):
		return nil, diag(at(int(syn.Offset)-1), "Invalid cost profile", fmt.Sprintf("The file is not valid JSON: %v.", syn))
	case errors.As(err, &typ):
		r := key(strings.Split(typ.Field, ".")...)
		if typ.Field == "" {
			r = at(int(typ.Offset))
		}
		return nil, diag(r, "Invalid cost profile", fmt.Sprintf("%s must be %s, not a JSON %s.", fieldName(typ.Field), jsonKind(typ.Type), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		r := at(0)
		for path, off := range keys {
			if path == name || strings.HasSuffix(path, "."+name) {
				if r.Start.Byte == 0 || off < r.Start.Byte {
					r = at(off)
				}
			}
		}
		return nil, diag(r, "Invalid cost profile", fmt.Sprintf("The profile has no field %q.", name))
	case errors.Is(err, io.EOF):
		return nil, diag(at(0), "Invalid cost profile", "The file is empty.")
	default:
		return nil, diag(at(0), "Invalid cost profile", fmt.Sprintf("%v.", err))
	}

	var diags hcl.Diagnostics
	if p.FormatVersion != FormatVersion {
		diags = append(diags, diag(key("format_version"), "Unsupported cost profile format",
			fmt.Sprintf("format_version is %q; this build reads %q. Run pipeline calibrate again.", p.FormatVersion, FormatVersion))...)
	}
	if _, err := time.Parse(time.RFC3339, p.MeasuredAt); err != nil {
		diags = append(diags, diag(key("measured_at"), "Invalid cost profile", `measured_at must be an RFC 3339 time such as "2026-11-24T12:00:00Z".`)...)
	}
	if p.Machine.Cores < 1 {
		diags = append(diags, diag(key("machine", "cores"), "Invalid cost profile", "machine.cores must be at least 1.")...)
	}
	for _, b := range sortedKeys(p.Backends) {
		if !slices.Contains(backends, b) {
			diags = append(diags, diag(key("backends", b), "Unknown backend in cost profile",
				fmt.Sprintf("The profile measures backend %q; the backends are %s.", b, strings.Join(backends, ", ")))...)
			continue
		}
		for _, k := range sortedKeys(p.Backends[b]) {
			m := p.Backends[b][k]
			switch {
			case !slices.Contains(kinds, k):
				diags = append(diags, diag(key("backends", b, string(k)), "Unknown operator kind in cost profile",
					fmt.Sprintf("%q is not an operator kind; the kinds are %s.", k, kindList()))...)
			case !(m.NsPerRecord > 0) || math.IsInf(m.NsPerRecord, 0):
				diags = append(diags, diag(key("backends", b, string(k), "cpu_ns_per_record"), "Invalid cost profile",
					fmt.Sprintf("backends.%s.%s.cpu_ns_per_record must be a positive number of nanoseconds.", b, k))...)
			}
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return &p, nil
}

// jsonKind names what a Go type holds in JSON terms.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return "an object"
}

func fieldName(f string) string {
	if f == "" {
		return "The profile"
	}
	return f
}

func kindList() string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// keyOffsets maps every object key's dotted path ("machine.cores") to the
// byte offset of the key in src, as far as src is valid JSON.
func keyOffsets(src []byte) map[string]int {
	type container struct {
		object    bool
		path      string
		expectKey bool
		valuePath string // the path of the value after the last key
	}
	out := map[string]int{}
	dec := json.NewDecoder(bytes.NewReader(src))
	var stack []*container
	for {
		// InputOffset ends after the previous token; skip the separators
		// to where this one starts.
		start := int(dec.InputOffset())
		for start < len(src) && strings.IndexByte(" \t\r\n,:", src[start]) >= 0 {
			start++
		}
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		var top *container
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.expectKey {
			top.valuePath = s
			if top.path != "" {
				top.valuePath = top.path + "." + s
			}
			if _, seen := out[top.valuePath]; !seen {
				out[top.valuePath] = start
			}
			top.expectKey = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			path := ""
			if top != nil && top.object {
				path = top.valuePath
			} else if top != nil {
				path = top.path
			}
			stack = append(stack, &container{object: tok == json.Delim('{'), path: path, expectKey: tok == json.Delim('{')})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object expects a key next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expectKey = true
		}
	}
}

// rangeAt is the one-character range at byte offset off of src.
func rangeAt(filename string, src []byte, off int) *hcl.Range {
	off = max(0, min(off, len(src)))
	line, col := 1, 1
	for i := 0; i < off; {
		r, n := utf8.DecodeRune(src[i:])
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += n
	}
	end := hcl.Pos{Line: line, Column: col + 1, Byte: off + 1}
	if off >= len(src) || src[off] == '\n' {
		end = hcl.Pos{Line: line, Column: col, Byte: off}
	}
	return &hcl.Range{Filename: filename, Start: hcl.Pos{Line: line, Column: col, Byte: off}, End: end}
}
