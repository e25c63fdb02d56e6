package eval

import (
	"errors"
	"fmt"
	"math"
)

// maxEventTimeMs bounds event times to what an int64 of milliseconds and
// time.Time both represent comfortably (about ±292 million years).
const maxEventTimeMs = 1 << 62

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
		return ms, nil
	case KindNumber:
		f := math.Floor(v.Num)
		if math.IsNaN(f) || f > maxEventTimeMs || f < -maxEventTimeMs {
			return 0, fmt.Errorf("event time: %v is not a valid epoch milliseconds value", v.Num)
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
