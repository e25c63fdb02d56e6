package eval

import (
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
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
		"formatdate":  stdlib.FormatDateFunc,
		"timeadd":     stdlib.TimeAddFunc,
		"parse_time":  ParseTimeFunc,
		"format_time": FormatTimeFunc,
	}
}
