package eval

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// The extraction functions of Flink SQL that Nexmark q21 and q22 use. Both
// return null rather than fail when there is nothing to return (no match, an
// index past the end), so a record with an unexpected string flows on with a
// null field instead of becoming a dead letter. A null input string is a
// null result, as in SQL.

// RegexExtractFunc is regex_extract(str, pattern, group): the text of
// capture group group (0 is the whole match) of the first match of pattern
// in str, or null when pattern does not match or the group did not take part
// in the match. pattern is RE2 syntax (Go's regexp) and must be a constant:
// it is compiled once, when the expression is compiled, and a bad pattern or
// a group the pattern does not have is a diagnostic at the argument.
var RegexExtractFunc = function.New(&function.Spec{
	Description: "Extracts a capture group of the first match of a constant regular expression; null when there is no match.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String, AllowNull: true},
		{Name: "pattern", Type: cty.String},
		{Name: "group", Type: cty.Number},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		re, err := constPattern(args[1])
		if err != nil {
			return cty.NilType, err
		}
		if g := args[2]; g.IsKnown() && !g.IsNull() {
			if _, err := groupIndex(re, g); err != nil {
				return cty.NilType, function.NewArgError(2, err)
			}
		}
		return cty.String, nil
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		re, err := constPattern(args[1])
		if err != nil {
			return cty.NilVal, err
		}
		g, err := groupIndex(re, args[2])
		if err != nil {
			return cty.NilVal, function.NewArgError(2, err)
		}
		if args[0].IsNull() {
			return cty.NullVal(cty.String), nil
		}
		s, ok := regexExtract(re, g, args[0].AsString())
		if !ok {
			return cty.NullVal(cty.String), nil
		}
		return cty.StringVal(s), nil
	},
})

// SplitIndexFunc is split_index(str, sep, index): field index (from 0) of
// str split at every occurrence of sep, empty fields kept, or null when str
// has fewer fields or index is negative. An empty str has no fields. sep
// must not be empty.
var SplitIndexFunc = function.New(&function.Spec{
	Description: "Returns field index (from 0) of str split at sep; null when there is no such field.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String, AllowNull: true},
		{Name: "sep", Type: cty.String},
		{Name: "index", Type: cty.Number},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		if sep := args[1]; sep.IsKnown() && sep.AsString() == "" {
			return cty.NilType, function.NewArgError(1, errEmptySep)
		}
		if i := args[2]; i.IsKnown() {
			if _, err := wholeIndex(numberFromBig(i.AsBigFloat()).Float()); err != nil {
				return cty.NilType, function.NewArgError(2, err)
			}
		}
		return cty.String, nil
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		if args[1].AsString() == "" {
			return cty.NilVal, function.NewArgError(1, errEmptySep)
		}
		idx, err := wholeIndex(numberFromBig(args[2].AsBigFloat()).Float())
		if err != nil {
			return cty.NilVal, function.NewArgError(2, err)
		}
		if args[0].IsNull() {
			return cty.NullVal(cty.String), nil
		}
		s, ok := splitIndex(args[0].AsString(), args[1].AsString(), idx)
		if !ok {
			return cty.NullVal(cty.String), nil
		}
		return cty.StringVal(s), nil
	},
})

var errEmptySep = errors.New("the separator must not be empty")

// constPattern compiles a pattern argument, which must be known when the
// expression is type-checked (a literal, var.* or local.*).
func constPattern(p cty.Value) (*regexp.Regexp, error) {
	if !p.IsKnown() {
		return nil, function.NewArgErrorf(1, "the pattern must be a constant (a string literal, var.* or local.*), so that it is compiled once")
	}
	re, err := regexp.Compile(p.AsString())
	if err != nil {
		return nil, function.NewArgErrorf(1, "invalid regular expression (RE2 syntax): %s", err)
	}
	return re, nil
}

// groupIndex checks a group argument against the pattern's groups.
func groupIndex(re *regexp.Regexp, g cty.Value) (int, error) {
	f := numberFromBig(g.AsBigFloat()).Float()
	i, err := wholeIndex(f)
	if err != nil {
		return 0, err
	}
	if i < 0 || i > re.NumSubexp() {
		return 0, fmt.Errorf("group %d does not exist: the pattern has %d capture group%s (0 is the whole match)", i, re.NumSubexp(), plural(re.NumSubexp()))
	}
	return i, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// wholeIndex converts a number argument to an int index.
func wholeIndex(f float64) (int, error) {
	i, ok := wholeInt(f)
	if !ok || math.IsNaN(f) {
		return 0, fmt.Errorf("the index must be a whole number, not %v", f)
	}
	return i, nil
}

// regexExtract is group g of the first match of re in s.
func regexExtract(re *regexp.Regexp, g int, s string) (string, bool) {
	m := re.FindStringSubmatchIndex(s)
	if m == nil || m[2*g] < 0 {
		return "", false
	}
	return s[m[2*g]:m[2*g+1]], true
}

// splitIndex is field idx of s split at sep, found without splitting the
// whole string.
func splitIndex(s, sep string, idx int) (string, bool) {
	if s == "" || idx < 0 {
		return "", false
	}
	for ; idx > 0; idx-- {
		i := strings.Index(s, sep)
		if i < 0 {
			return "", false
		}
		s = s[i+len(sep):]
	}
	if i := strings.Index(s, sep); i >= 0 {
		s = s[:i]
	}
	return s, true
}

// nativeRegexExtract compiles regex_extract with its constant pattern and
// group resolved once.
func nativeRegexExtract(args []node) (evalFn, bool) {
	if len(args) != 3 || !args[1].konst || !args[2].konst || args[1].val.Kind != KindString {
		return nil, false
	}
	re, err := regexp.Compile(args[1].val.Str)
	if err != nil {
		return nil, false // the cty call reports it
	}
	gv, err := numArg(args[2], args[2].val)
	if err != nil {
		return nil, false
	}
	g, ok := wholeInt(gv.Float())
	if !ok || g < 0 || g > re.NumSubexp() {
		return nil, false
	}
	a := args[0]
	lit := requiredLiteral(args[1].val.Str)
	return func(f Frame) (Value, error) {
		v, err := a.eval(f)
		if err != nil {
			return Null, err
		}
		if v.Kind == KindNull {
			return Null, nil
		}
		s, err := strArg(a, v)
		if err != nil {
			return Null, err
		}
		if lit != "" && !strings.Contains(s, lit) {
			return Null, nil // no match can exist: skip the regexp engine
		}
		out, ok := regexExtract(re, g, s)
		if !ok {
			return Null, nil
		}
		return String(nfc(out)), nil
	}, true
}

// nativeSplitIndex compiles split_index; a constant separator and index
// are converted once.
func nativeSplitIndex(args []node) (evalFn, bool) {
	if len(args) != 3 || !args[1].konst || !args[2].konst || args[1].val.Kind != KindString || args[1].val.Str == "" {
		return nil, false
	}
	sep := args[1].val.Str
	iv, err := numArg(args[2], args[2].val)
	if err != nil {
		return nil, false
	}
	idx, ok := wholeInt(iv.Float())
	if !ok {
		return nil, false
	}
	a := args[0]
	return func(f Frame) (Value, error) {
		v, err := a.eval(f)
		if err != nil {
			return Null, err
		}
		if v.Kind == KindNull {
			return Null, nil
		}
		s, err := strArg(a, v)
		if err != nil {
			return Null, err
		}
		out, ok := splitIndex(s, sep, idx)
		if !ok {
			return Null, nil
		}
		return String(nfc(out)), nil
	}, true
}

// requiredLiteral is a string that every match of pattern contains, or ""
// when it finds none: the longest case-sensitive literal among the
// top-level parts of a concatenation (groups around a literal included),
// as "channel_id=" in "(&|^)channel_id=([^&]*)". A string without it
// cannot match, which strings.Contains tells far faster than the regexp
// engine.
func requiredLiteral(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	lit := func(r *syntax.Regexp) string {
		for r.Op == syntax.OpCapture {
			r = r.Sub[0]
		}
		if r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase == 0 {
			return string(r.Rune)
		}
		return ""
	}
	if re.Op != syntax.OpConcat {
		return lit(re)
	}
	best := ""
	for _, sub := range re.Sub {
		if l := lit(sub); len(l) > len(best) {
			best = l
		}
	}
	return best
}
