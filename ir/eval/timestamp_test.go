package eval

import (
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"
)

// TestParseTimestampRFC3339 checks the parser against RFC 3339 §5.6; the
// expected instants come from time.Date, an independent computation.
func TestParseTimestampRFC3339(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ms int) int64 {
		return time.Date(y, mo, d, h, mi, s, ms*1e6, time.UTC).UnixMilli()
	}
	ok := []struct {
		in   string
		want int64
	}{
		{"2026-03-02T08:00:13Z", utc(2026, 3, 2, 8, 0, 13, 0)},
		{"2026-03-02t08:00:13z", utc(2026, 3, 2, 8, 0, 13, 0)}, // §5.6 NOTE: lower case allowed
		{"2026-03-02t08:00:13Z", utc(2026, 3, 2, 8, 0, 13, 0)},
		{"2026-03-02 08:00:13Z", utc(2026, 3, 2, 8, 0, 13, 0)}, // §5.6 NOTE: a space, by choice
		{"2026-03-02T10:00:13+02:00", utc(2026, 3, 2, 8, 0, 13, 0)},
		{"2026-03-02T03:30:13-04:30", utc(2026, 3, 2, 8, 0, 13, 0)},
		{"2026-03-02T08:00:13-00:00", utc(2026, 3, 2, 8, 0, 13, 0)}, // unknown local offset
		{"2026-03-02T08:00:13.5Z", utc(2026, 3, 2, 8, 0, 13, 500)},
		{"2026-03-02T08:00:13.12Z", utc(2026, 3, 2, 8, 0, 13, 120)},
		{"2026-03-02T08:00:13.123Z", utc(2026, 3, 2, 8, 0, 13, 123)},
		{"2026-03-02T08:00:13.123999999999999Z", utc(2026, 3, 2, 8, 0, 13, 123)}, // any length, truncated
		{"1969-12-31T23:59:59.9999Z", -1},                                        // toward the past
		{"0001-01-01T00:00:00Z", utc(1, 1, 1, 0, 0, 0, 0)},
		{"0000-01-01T00:00:00Z", utc(0, 1, 1, 0, 0, 0, 0)},
		{"9999-12-31T23:59:59.999Z", utc(9999, 12, 31, 23, 59, 59, 999)},
		{"2024-02-29T00:00:00Z", utc(2024, 2, 29, 0, 0, 0, 0)},
		{"2000-02-29T00:00:00Z", utc(2000, 2, 29, 0, 0, 0, 0)},
		// Leap seconds: only at 23:59:60 UTC, read as the day's last millisecond.
		{"2016-12-31T23:59:60Z", utc(2016, 12, 31, 23, 59, 59, 999)},
		{"2016-12-31T23:59:60.5Z", utc(2016, 12, 31, 23, 59, 59, 999)},
		{"2017-01-01T00:59:60+01:00", utc(2016, 12, 31, 23, 59, 59, 999)},
		{"2016-12-31T15:59:60-08:00", utc(2016, 12, 31, 23, 59, 59, 999)},
	}
	for _, c := range ok {
		got, err := ParseTimestamp(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseTimestamp(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	bad := []string{
		"", "2026-03-02", "2026-03-02T08:00:13", "2026-03-02T08:00Z", "2026-03-02X08:00:13Z",
		"2026-3-02T08:00:13Z", "2026-13-02T08:00:13Z", "2026-00-02T08:00:13Z", "2026-02-29T08:00:13Z",
		"2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-03-02T24:00:00Z", "2026-03-02T08:60:00Z",
		"2026-03-02T08:00:61Z", "2026-03-02T08:00:13.Z", "2026-03-02T08:00:13+0200", "2026-03-02T08:00:13+24:00",
		"2026-03-02T08:00:13+02:60", "2026-03-02T08:00:13Zjunk", "2026-03-02T08:00:13 Z", "+2026-03-02T08:00:13Z",
		"2026-03-02T08:00:13UTC", "2026-03-02T08:00:1aZ",
		"2016-12-31T22:59:60Z",      // not the last second of a UTC day
		"2016-12-31T23:59:60+01:00", // 22:59:60 UTC
		"2016-12-31T12:00:60Z",
	}
	for _, in := range bad {
		if got, err := ParseTimestamp(in); err == nil {
			t.Errorf("ParseTimestamp(%q) = %d, want an error", in, got)
		}
	}
	if _, err := ParseTimestamp("2016-12-31T12:00:60Z"); err == nil || !strings.Contains(err.Error(), "leap second") {
		t.Errorf("a misplaced leap second: error %v, want one that says leap second", err)
	}
}

func TestParseTimestampAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseTimestamp("2026-03-02t08:00:13.123456+02:00") }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// TestTimeFunctionsLowerCase: formatdate and timeadd take the lower-case
// forms RFC 3339 allows, like parse_time.
func TestTimeFunctionsLowerCase(t *testing.T) {
	fns := Functions()
	got, err := fns["formatdate"].Call([]cty.Value{cty.StringVal("YYYY-MM-DD hh:mm"), cty.StringVal("2026-03-02t08:00:13z")})
	if err != nil || got.AsString() != "2026-03-02 08:00" {
		t.Errorf("formatdate = %#v, %v", got, err)
	}
	got, err = fns["timeadd"].Call([]cty.Value{cty.StringVal("2026-03-02t08:00:13z"), cty.StringVal("1h")})
	if err != nil || got.AsString() != "2026-03-02T09:00:13Z" {
		t.Errorf("timeadd = %#v, %v", got, err)
	}
}
