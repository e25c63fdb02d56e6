package eval

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Event times range over the years 0001 to 9999, which RFC 3339 (the
// form of window_start and window_end) can write. Every backend carries
// them exactly as int64 milliseconds (across channels in the
// pipeline.event_time header), so any time in the range survives.
const (
	MinEventTimeMs int64 = -62135596800000 // 0001-01-01T00:00:00Z
	MaxEventTimeMs int64 = 253402300799999 // 9999-12-31T23:59:59.999Z
)

// ErrEventTimeRange is the error of an event time outside
// [MinEventTimeMs, MaxEventTimeMs]; the record goes to the dead-letter
// topic with reason event_time.
var ErrEventTimeRange = errors.New("event time outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z")

// CheckEventTime returns ErrEventTimeRange, wrapped, when ms is outside
// the event-time range: for event times taken from record timestamps or
// the pipeline.event_time header rather than an event_time expression.
func CheckEventTime(ms int64) error {
	if ms < MinEventTimeMs || ms > MaxEventTimeMs {
		return fmt.Errorf("%w: %d epoch milliseconds", ErrEventTimeRange, ms)
	}
	return nil
}

// EventTimeMs interprets the value of a source's event_time expression: an
// RFC 3339 string (any offset; fractions below a millisecond are truncated
// toward the past) or a number of milliseconds since the Unix epoch
// (fractions are floored, so every backend assigns the same window). Null
// and values of other kinds are errors: the record goes to the dead-letter
// topic.
func EventTimeMs(v Value) (int64, error) {
	switch v.Kind {
	case KindString:
		ms, err := ParseTimestamp(v.Str)
		if err != nil {
			return 0, fmt.Errorf("event time: %w", err)
		}
		if ms < MinEventTimeMs || ms > MaxEventTimeMs {
			return 0, fmt.Errorf("%w: %q", ErrEventTimeRange, v.Str)
		}
		return ms, nil
	case KindNumber:
		if i, ok := v.Int64(); ok {
			if i < MinEventTimeMs || i > MaxEventTimeMs {
				return 0, fmt.Errorf("%w: %d epoch milliseconds", ErrEventTimeRange, i)
			}
			return i, nil
		}
		f := math.Floor(v.Float())
		if math.IsNaN(f) {
			return 0, fmt.Errorf("event time: %v is not a valid epoch milliseconds value", v.Float())
		}
		if f < float64(MinEventTimeMs) || f > float64(MaxEventTimeMs) {
			return 0, fmt.Errorf("%w: %v epoch milliseconds", ErrEventTimeRange, v.Float())
		}
		return int64(f), nil
	case KindNull:
		return 0, errors.New("event time is null")
	}
	return 0, fmt.Errorf("event time must be an RFC 3339 string or epoch milliseconds, got %s", valueKindName(v.Kind))
}

// kindName names a value kind for error messages.
func valueKindName(k Kind) string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "a bool"
	case KindNumber:
		return "a number"
	case KindString:
		return "a string"
	case KindList:
		return "a list"
	case KindObject:
		return "an object"
	}
	return fmt.Sprintf("kind %d", k)
}

// CheckFuture rejects an event time ts further than limitMs ahead of ref,
// the greatest event time seen so far (or the wall clock, when that is
// later): such a record would move the watermark past every later one, so
// it goes to the dead-letter topic with reason future and leaves the
// watermark alone. Every backend words the refusal the same way.
func CheckFuture(ts, ref, limitMs int64) error {
	bound := ref + limitMs
	if limitMs > 0 && ref > math.MaxInt64-limitMs {
		bound = math.MaxInt64
	}
	if ts > bound {
		return fmt.Errorf("event time %s is more than max_future (%s) ahead of %s",
			FormatTimestamp(ts), time.Duration(limitMs)*time.Millisecond, FormatTimestamp(ref))
	}
	return nil
}
