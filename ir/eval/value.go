package eval

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/zclconf/go-cty/cty"
)

// Kind is the dynamic kind of a Value.
type Kind uint8

// Value kinds. KindNull is the zero Value.
const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindList   // lists, sets and tuples
	KindObject // objects and maps; Obj holds the fields
)

// Value is one value on the hot path. It is a small tagged union, passed by
// value, so that evaluating a filter allocates nothing.
//
// A number is exact when it can be: a number whose value is an integer in
// int64's range is held as that int64 (Int64 reports it), every other one as
// an IEEE-754 double (Float). The representation is canonical, so that
// equal numbers are held alike: Number turns an integral double into the
// int64 (except -0, which cty keeps as -0), and the codec reads a JSON
// integer such as a 64-bit ID digit for digit. cty computes with big.Float;
// integers within int64 therefore agree with it exactly (see README,
// "Numbers"), and other numbers after rounding to float64, which is also
// what JSON carries.
type Value struct {
	Kind Kind
	Bool bool
	// isInt marks a number whose num holds an int64's bits; otherwise num
	// holds a float64's bits. Read both through Float and Int64.
	isInt bool
	// safe marks a string known to be printable ASCII with nothing JSON
	// escapes (no quote, backslash, control character, <, > or &): it is
	// NFC and valid UTF-8 already, and encodes as itself between quotes.
	// Only the JSON decoder sets it, on strings it has just scanned; every
	// other string has it false, which only means "not known" (String
	// builds such values), so a string derived from another never
	// inherits it.
	safe bool
	num  uint64
	Str  string
	List []Value
	Obj  *Record
}

// Null is the null value.
var Null = Value{}

// Bool, String, List and Object construct values; Number and Int numbers.
func Bool(b bool) Value      { return Value{Kind: KindBool, Bool: b} }
func String(s string) Value  { return Value{Kind: KindString, Str: s} }
func List(vs []Value) Value  { return Value{Kind: KindList, List: vs} }
func Object(r *Record) Value { return Value{Kind: KindObject, Obj: r} }

// Int returns the exact number i.
func Int(i int64) Value { return Value{Kind: KindNumber, isInt: true, num: uint64(i)} }

// Number returns the number f. An integral f within int64's range (other
// than -0) is held as an int64, the canonical form of that number.
func Number(f float64) Value {
	if f >= -0x1p63 && f < 0x1p63 && f == float64(int64(f)) && (f != 0 || !math.Signbit(f)) {
		return Int(int64(f))
	}
	return Value{Kind: KindNumber, num: math.Float64bits(f)}
}

// Float returns a number as a float64: an int64 beyond 2^53 is rounded to
// the nearest double. It is 0 for values that are not numbers.
func (v Value) Float() float64 {
	if v.isInt {
		return float64(int64(v.num))
	}
	if v.Kind != KindNumber {
		return 0
	}
	return math.Float64frombits(v.num)
}

// Int64 returns a number held exactly as an int64: every number whose
// value is an integer in int64's range, except -0.
func (v Value) Int64() (int64, bool) {
	return int64(v.num), v.isInt
}

// exactFloat returns a number as a float64 when the double holds it
// exactly: every float, and integers of at most 53 bits.
func (v Value) exactFloat() (float64, bool) {
	if !v.isInt {
		return math.Float64frombits(v.num), true
	}
	i := int64(v.num)
	if i < -1<<53 || i > 1<<53 {
		return 0, false
	}
	return float64(i), true
}

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// Layout fixes the slot of every attribute of an object type, so compiled
// expressions read record.amount as Values[i] without a map lookup. Slots
// follow cty's attribute order (sorted by name). A Layout is immutable and
// shared by every record of the schema.
type Layout struct {
	Type   cty.Type
	Names  []string   // attribute names, sorted
	Types  []cty.Type // attribute types, by slot
	Nested []*Layout  // layout of object-typed attributes, nil otherwise
	index  map[string]int
	// jsonKeys[i] is what the JSON encoder writes before slot i's value:
	// the quoted name and a colon, after a comma but for slot 0.
	jsonKeys []string
	// strSlot[i]: slot i is statically a string (the decoders' common
	// case, checked without comparing cty types).
	strSlot []bool
}

// initJSONKeys sets l.jsonKeys from l.Names.
func (l *Layout) initJSONKeys() {
	l.jsonKeys = make([]string, len(l.Names))
	var b []byte
	for i, n := range l.Names {
		b = b[:0]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(jsonAppendString(b, n), ':')
		l.jsonKeys[i] = string(b)
	}
}

// NewLayout returns the layout of an object type. For a type that is not an
// object it returns a layout with no slots.
func NewLayout(t cty.Type) *Layout {
	l := &Layout{Type: t, index: map[string]int{}}
	if !t.IsObjectType() {
		return l
	}
	attrs := t.AttributeTypes()
	for name := range attrs {
		l.Names = append(l.Names, name)
	}
	sort.Strings(l.Names)
	l.Types = make([]cty.Type, len(l.Names))
	l.Nested = make([]*Layout, len(l.Names))
	l.strSlot = make([]bool, len(l.Names))
	for i, name := range l.Names {
		at := attrs[name]
		l.Types[i] = at
		l.strSlot[i] = at == cty.String
		l.index[name] = i
		if at.IsObjectType() {
			l.Nested[i] = NewLayout(at)
		}
	}
	l.initJSONKeys()
	return l
}

// Index returns the slot of the named attribute.
func (l *Layout) Index(name string) (int, bool) {
	i, ok := l.index[name]
	return i, ok
}

// Len is the number of slots.
func (l *Layout) Len() int { return len(l.Names) }

// Record is one record: Values[i] is the attribute l.Names[i].
type Record struct {
	Layout *Layout
	Values []Value
}

// NewRecord returns a record of the layout with every attribute null.
func NewRecord(l *Layout) *Record {
	return &Record{Layout: l, Values: make([]Value, l.Len())}
}

// Get returns the named attribute, or Null when the layout has no such name.
func (r *Record) Get(name string) Value {
	if i, ok := r.Layout.Index(name); ok {
		return r.Values[i]
	}
	return Null
}

// Frame is what one evaluation sees: Frame[0] is bound to the first root of
// the compiled program ("record", or "left"), Frame[1] to the second
// ("right"). It is passed by value so calls through closures do not allocate.
type Frame [2]*Record

// The evaluation errors of results JSON cannot carry.
var (
	errPosInf = errors.New("the result is +Inf, which JSON cannot carry")
	errNegInf = errors.New("the result is -Inf, which JSON cannot carry")
	errNaNOut = errors.New("the result is not a number, which JSON cannot carry")
)

// Finite returns an error when v is, or holds, ±Inf or NaN. Every value an
// operator outputs passes through it (map, join and aggregate fields,
// aggregate and sink keys): JSON has no infinities, and writing null in
// their place would alter the record silently, so the record goes to the
// dead-letter topic instead (reason eval, naming the operator and field).
func Finite(v Value) error {
	switch v.Kind {
	case KindNumber:
		switch f := v.Float(); {
		case v.isInt:
		case math.IsInf(f, 1):
			return errPosInf
		case math.IsInf(f, -1):
			return errNegInf
		case math.IsNaN(f):
			return errNaNOut
		}
	case KindList:
		for _, e := range v.List {
			if err := Finite(e); err != nil {
				return err
			}
		}
	case KindObject:
		if v.Obj != nil {
			return FiniteRecord(v.Obj)
		}
	}
	return nil
}

// FiniteRecord is Finite for every field of r; the error names the field.
func FiniteRecord(r *Record) error {
	for i, v := range r.Values {
		if err := Finite(v); err != nil {
			return fmt.Errorf("field %q: %w", r.Layout.Names[i], err)
		}
	}
	return nil
}
