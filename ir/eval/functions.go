package eval

import (
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Functions returns the function table of the spec language, by name. It is
// the reference semantics: lang type-checks with it, and the differential test
// compares compiled programs against hcl.Expression.Value evaluated with it.
// Every name here must compile (natively, or through the cty fallback).
//
// Aggregate functions (count, sum, avg, …) are not here: they are legal only
// in aggregate.fields, where lang recognizes them by name.
func Functions() map[string]function.Function {
	return map[string]function.Function{
		// strings
		"upper":         stdlib.UpperFunc,
		"lower":         stdlib.LowerFunc,
		"title":         stdlib.TitleFunc,
		"trimspace":     stdlib.TrimSpaceFunc,
		"trim":          stdlib.TrimFunc,
		"trimprefix":    stdlib.TrimPrefixFunc,
		"trimsuffix":    stdlib.TrimSuffixFunc,
		"replace":       stdlib.ReplaceFunc,
		"regex_replace": stdlib.RegexReplaceFunc,
		"regex":         stdlib.RegexFunc,
		"regex_extract": RegexExtractFunc,
		"split_index":   SplitIndexFunc,
		"substr":        stdlib.SubstrFunc,
		"strlen":        stdlib.StrlenFunc,
		"split":         stdlib.SplitFunc,
		"join":          stdlib.JoinFunc,
		"format":        stdlib.FormatFunc,
		"chomp":         stdlib.ChompFunc,
		// numbers
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"min":      stdlib.MinFunc,
		"max":      stdlib.MaxFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,
		"log":      stdlib.LogFunc,
		"parseint": stdlib.ParseIntFunc,
		// collections
		"length":   stdlib.LengthFunc,
		"contains": stdlib.ContainsFunc,
		"element":  stdlib.ElementFunc,
		"concat":   stdlib.ConcatFunc,
		"distinct": stdlib.DistinctFunc,
		"flatten":  stdlib.FlattenFunc,
		"keys":     stdlib.KeysFunc,
		"values":   stdlib.ValuesFunc,
		"lookup":   stdlib.LookupFunc,
		"merge":    stdlib.MergeFunc,
		"reverse":  stdlib.ReverseListFunc,
		"compact":  stdlib.CompactFunc,
		// json
		"jsonencode": stdlib.JSONEncodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		// conversion and general
		"tostring": stdlib.MakeToFunc(ctyString),
		"tonumber": stdlib.MakeToFunc(ctyNumber),
		"tobool":   stdlib.MakeToFunc(ctyBool),
		"coalesce": stdlib.CoalesceFunc,
		"try":      tryfunc.TryFunc,
		"can":      tryfunc.CanFunc,
		// time: RFC 3339 strings and epoch milliseconds
		"formatdate":  withTimestampArg(stdlib.FormatDateFunc, 1),
		"timeadd":     withTimestampArg(stdlib.TimeAddFunc, 0),
		"parse_time":  ParseTimeFunc,
		"format_time": FormatTimeFunc,
	}
}

// withTimestampArg wraps a cty time function so that its RFC 3339 argument
// may use the lower-case t and z that RFC 3339 §5.6 allows and cty's parser
// rejects, as ParseTimestamp accepts them. The offset is kept, since
// formatdate formats in the timestamp's own offset.
func withTimestampArg(fn function.Function, arg int) function.Function {
	params := fn.Params()
	return function.New(&function.Spec{
		Description: fn.Description(),
		Params:      params,
		VarParam:    fn.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) {
			return fn.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			if a := args[arg]; a.IsKnown() && !a.IsNull() && a.Type() == cty.String {
				args = append([]cty.Value(nil), args...)
				args[arg] = cty.StringVal(upperTZ(a.AsString()))
			}
			return fn.Call(args)
		},
	})
}

// upperTZ upper-cases the date-time separator t and the UTC designator z
// of an RFC 3339 timestamp.
func upperTZ(s string) string {
	if len(s) < 20 || (s[10] != 't' && s[len(s)-1] != 'z') {
		return s
	}
	b := []byte(s)
	if b[10] == 't' {
		b[10] = 'T'
	}
	if b[len(b)-1] == 'z' {
		b[len(b)-1] = 'Z'
	}
	return string(b)
}
