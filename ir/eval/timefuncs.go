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
		n := numberFromBig(args[0].AsBigFloat())
		if ms, ok := n.Int64(); ok {
			return cty.StringVal(FormatTimestamp(ms)), nil
		}
		f := n.Float()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return cty.NilVal, function.NewArgErrorf(0, "not a finite number")
		}
		return cty.StringVal(FormatTimestamp(int64(f))), nil
	},
})

// ParseTimestamp parses an RFC 3339 timestamp (§5.6) into epoch
// milliseconds:
//
//	YYYY-MM-DD ("T" | "t" | " ") hh:mm:ss [. 1*DIGIT] ("Z" | "z" | ("+" | "-") hh:mm)
//
// Lower-case t and z are allowed, as §5.6 allows them; a space separator
// too, as its note allows applications to choose. A fraction of any
// length is truncated to the millisecond toward the past. An offset of
// -00:00 means UTC. Every field is range-checked, days against their month
// (leap years included). A leap second (second 60) is accepted only where
// one can occur, at 23:59:60 UTC after the offset is applied, and is read
// as 23:59:59.999, the last millisecond of the day: epoch milliseconds
// have no leap seconds, and this keeps it in its day and window and after
// every earlier time. Parsing allocates nothing unless it fails.
func ParseTimestamp(s string) (int64, error) {
	ms, ok := parseRFC3339(s)
	if !ok {
		return 0, timestampError(s)
	}
	return ms, nil
}

// timestampError says what is wrong with s, which parseRFC3339 rejected.
func timestampError(s string) error {
	if len(s) >= 19 && s[17:19] == "60" {
		return fmt.Errorf("not an RFC 3339 timestamp: %q (second 60, a leap second, is valid only at 23:59:60 UTC)", s)
	}
	return fmt.Errorf("not an RFC 3339 timestamp: %q", s)
}

// parseRFC3339 is ParseTimestamp's grammar; see there.
func parseRFC3339(s string) (int64, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return 0, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 60 {
		return 0, false
	}
	i := 19
	var frac int64 // milliseconds
	if s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if n := i - start; n < 3 {
				frac = frac*10 + int64(s[i]-'0')
			}
			i++
		}
		n := i - start
		if n == 0 {
			return 0, false
		}
		for ; n < 3; n++ {
			frac *= 10
		}
	}
	if i >= len(s) {
		return 0, false
	}
	var offset int64 // seconds east of UTC
	switch s[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return 0, false
		}
		oh, ok1 := digits(s[i+1 : i+3])
		om, ok2 := digits(s[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		offset = int64(oh*3600 + om*60)
		if s[i] == '-' {
			offset = -offset
		}
		i += 6
	default:
		return 0, false
	}
	if i != len(s) {
		return 0, false
	}
	days := daysFromCivil(year, month, day)
	secs := days*86400 + int64(hour*3600+minute*60) - offset
	if sec == 60 {
		// After the offset, a leap second must be the day's last second.
		utc := secs + 59
		if (utc%86400+86400)%86400 != 86399 {
			return 0, false
		}
		return (utc+1)*1000 - 1, true
	}
	return (secs+int64(sec))*1000 + frac, true
}

// digits parses a fixed-width run of decimal digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn is the number of days of month in year (proleptic Gregorian).
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to the date
// (Howard Hinnant's days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
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
