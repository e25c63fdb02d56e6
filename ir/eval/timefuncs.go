package eval

import (
	"fmt"
	"math"
	"time"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

var (
	ctyString = cty.String
	ctyNumber = cty.Number
	ctyBool   = cty.Bool
)

// ParseTimeFunc parses an RFC 3339 timestamp into epoch milliseconds:
// parse_time("2026-01-01T00:00:05Z") == 1767225605000.
var ParseTimeFunc = function.New(&function.Spec{
	Description: "Parses an RFC 3339 timestamp into epoch milliseconds.",
	Params:      []function.Parameter{{Name: "timestamp", Type: cty.String}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		ms, err := ParseTimestamp(args[0].AsString())
		if err != nil {
			return cty.NilVal, function.NewArgError(0, err)
		}
		return cty.NumberIntVal(ms), nil
	},
})

// FormatTimeFunc formats epoch milliseconds as an RFC 3339 timestamp in UTC
// (with milliseconds only when they are not zero).
var FormatTimeFunc = function.New(&function.Spec{
	Description: "Formats epoch milliseconds as an RFC 3339 timestamp in UTC.",
	Params:      []function.Parameter{{Name: "epoch_ms", Type: cty.Number}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		f, _ := args[0].AsBigFloat().Float64()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return cty.NilVal, function.NewArgErrorf(0, "not a finite number")
		}
		return cty.StringVal(FormatTimestamp(int64(f))), nil
	},
})

// ParseTimestamp parses an RFC 3339 timestamp into epoch milliseconds.
func ParseTimestamp(s string) (int64, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("not an RFC 3339 timestamp: %q", s)
	}
	return t.UnixMilli(), nil
}

// FormatTimestamp formats epoch milliseconds as RFC 3339 in UTC, the form
// window_start and window_end take in every backend's output.
func FormatTimestamp(ms int64) string {
	var b [32]byte
	return string(AppendTimestamp(b[:0], ms))
}

// AppendTimestamp appends FormatTimestamp(ms) to dst without allocating
// when dst has room, for callers that format many timestamps.
func AppendTimestamp(dst []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	if ms%1000 == 0 {
		return t.AppendFormat(dst, time.RFC3339)
	}
	return t.AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
}
