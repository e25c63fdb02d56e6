package eval

import (
	"strconv"
	"time"
)

// dateVerb is one token of a formatdate format: a literal, or a verb
// (letter and repeat count) that formats a field of the time.
type dateVerb struct {
	lit  string
	verb byte
	n    int
}

// parseDateFormat splits a constant formatdate format into tokens as cty's
// formatdate does (runs of one letter are verbs, 'quoted' text and other
// bytes literals). It returns false for anything the native form does not
// cover: an unterminated quote, a verb or repeat count cty rejects, and
// the zone verbs (Z…), which go through cty.
func parseDateFormat(f string) ([]dateVerb, bool) {
	var out []dateVerb
	lit := func(s string) {
		if k := len(out) - 1; k >= 0 && out[k].verb == 0 {
			out[k].lit += s
			return
		}
		out = append(out, dateVerb{lit: s})
	}
	isLetter := func(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }
	for i := 0; i < len(f); {
		switch c := f[i]; {
		case c == '\'':
			if i+1 < len(f) && f[i+1] == '\'' {
				lit("'")
				i += 2
				continue
			}
			var s []byte
			j := i + 1
			for ; j < len(f); j++ {
				if f[j] == '\'' {
					if j+1 < len(f) && f[j+1] == '\'' {
						s = append(s, '\'')
						j++
						continue
					}
					break
				}
				s = append(s, f[j])
			}
			if j >= len(f) {
				return nil, false // unterminated: cty reports it
			}
			lit(string(s))
			i = j + 1
		case isLetter(c):
			j := i
			for j < len(f) && f[j] == c {
				j++
			}
			n := j - i
			ok := false
			switch c {
			case 'Y':
				ok = n == 2 || n == 4
			case 'M':
				ok = n >= 1 && n <= 4
			case 'D', 'h', 'H', 'm', 's':
				ok = n == 1 || n == 2
			case 'E':
				ok = n == 3 || n == 4
			case 'A', 'a':
				ok = n == 2
			}
			if !ok {
				return nil, false
			}
			out = append(out, dateVerb{verb: c, n: n})
			i = j
		default:
			j := i + 1
			for j < len(f) && f[j] != '\'' && !isLetter(f[j]) {
				j++
			}
			lit(f[i:j])
			i = j
		}
	}
	return out, true
}

// appendDate formats t by the tokens as cty's formatdate does.
func appendDate(dst []byte, verbs []dateVerb, t time.Time) []byte {
	pad2 := func(dst []byte, v int, n int) []byte {
		if n == 2 && v < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(v), 10)
	}
	for _, v := range verbs {
		switch v.verb {
		case 0:
			dst = append(dst, v.lit...)
		case 'Y':
			y := t.Year()
			if v.n == 2 {
				dst = pad2(dst, y%100, 2)
			} else {
				for d := 1000; d > 1 && y < d && y >= 0; d /= 10 {
					dst = append(dst, '0')
				}
				dst = strconv.AppendInt(dst, int64(y), 10)
			}
		case 'M':
			switch m := t.Month(); v.n {
			case 3:
				dst = append(dst, m.String()[:3]...)
			case 4:
				dst = append(dst, m.String()...)
			default:
				dst = pad2(dst, int(m), v.n)
			}
		case 'D':
			dst = pad2(dst, t.Day(), v.n)
		case 'E':
			if d := t.Weekday().String(); v.n == 3 {
				dst = append(dst, d[:3]...)
			} else {
				dst = append(dst, d...)
			}
		case 'h':
			dst = pad2(dst, t.Hour(), v.n)
		case 'H':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			dst = pad2(dst, h, v.n)
		case 'A', 'a':
			pm := t.Hour() >= 12
			switch {
			case v.verb == 'A' && pm:
				dst = append(dst, "PM"...)
			case v.verb == 'A':
				dst = append(dst, "AM"...)
			case pm:
				dst = append(dst, "pm"...)
			default:
				dst = append(dst, "am"...)
			}
		case 'm':
			dst = pad2(dst, t.Minute(), v.n)
		case 's':
			dst = pad2(dst, t.Second(), v.n)
		}
	}
	return dst
}

// strictRFC3339 reports whether s has the shape of an RFC 3339 timestamp
// with upper-case T and Z (YYYY-MM-DDThh:mm:ss[.f…](Z|±hh:mm)): the shape
// on which time.Parse and cty's strict parser agree. Other strings take
// cty's path, with its errors.
func strictRFC3339(s string) bool {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	rest := s[19:]
	if rest[0] == '.' {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 1 || j > 10 {
			return false
		}
		rest = rest[j:]
	}
	switch {
	case rest == "Z":
		return true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		for _, i := range [...]int{1, 2, 4, 5} {
			if rest[i] < '0' || rest[i] > '9' {
				return false
			}
		}
		// cty rejects an offset of 24 hours or more, which time.Parse
		// accepts (go.dev/issue/54580).
		return rest[1:3] < "24" && rest[4] < '6'
	}
	return false
}

// nativeFormatDate compiles formatdate with a constant format: the format
// is parsed once, and a well-formed timestamp is parsed with time.Parse
// and formatted without cty. Anything else (a non-string or malformed
// timestamp, a format with zone verbs) goes through the cty function, so
// results and errors are cty's.
func nativeFormatDate(args []node) (evalFn, bool) {
	if len(args) != 2 || !args[0].konst || args[0].val.Kind != KindString {
		return nil, false
	}
	verbs, ok := parseDateFormat(args[0].val.Str)
	if !ok {
		return nil, false
	}
	slow := ctyCall("formatdate", Functions()["formatdate"], args)
	a := args[1]
	return func(f Frame) (Value, error) {
		v, err := a.eval(f)
		if err != nil {
			return Null, err
		}
		if v.Kind == KindString && strictRFC3339(v.Str) {
			if t, err := time.Parse(time.RFC3339, v.Str); err == nil {
				var b [64]byte
				return String(nfc(string(appendDate(b[:0], verbs, t)))), nil
			}
		}
		out, _, err := slow(f)
		return out, err
	}, true
}
