package eval

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"unsafe"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"golang.org/x/text/unicode/norm"
)

// This file converts between Value and cty.Value for the compiler's own
// fallback paths (functions without a native implementation, and syntax the
// compiler hands to hclsyntax whole). The names are private and distinct from
// the codec's ToCty/FromCty so that the two files can land independently.
//
// A Value carries no cty type: the compiler supplies the static type it
// computed at compile time. Where that type is cty.DynamicPseudoType, the type
// is inferred from the value the way cty's JSON decoder infers it (arrays are
// tuples, objects are objects), which is how a record with an `any`-typed
// attribute reaches hcl.Expression.Value.

// errUnknown is returned when a fallback produced an unknown value, which a
// per-record evaluation with known inputs should never do.
var errUnknown = errors.New("expression produced an unknown value")

// inferType returns the cty type a value of dynamic static type has.
func inferType(v Value) cty.Type {
	switch v.Kind {
	case KindBool:
		return cty.Bool
	case KindNumber:
		return cty.Number
	case KindString:
		return cty.String
	case KindList:
		ets := make([]cty.Type, len(v.List))
		for i, e := range v.List {
			ets[i] = inferType(e)
		}
		return cty.Tuple(ets)
	case KindObject:
		if v.Obj == nil || v.Obj.Layout == nil {
			return cty.EmptyObject
		}
		l := v.Obj.Layout
		attrs := make(map[string]cty.Type, len(l.Names))
		for i, name := range l.Names {
			t := cty.DynamicPseudoType
			if i < len(l.Types) {
				t = l.Types[i]
			}
			if t == cty.DynamicPseudoType || t == cty.NilType {
				t = inferType(v.Obj.Values[i])
			}
			attrs[name] = t
		}
		return cty.Object(attrs)
	}
	return cty.DynamicPseudoType
}

// effType is the cty type of v given its static type t.
func effType(v Value, t cty.Type) cty.Type {
	if t == cty.DynamicPseudoType || t == cty.NilType {
		return inferType(v)
	}
	return t
}

// compileToCty converts v, of static type t, to a cty value.
func compileToCty(v Value, t cty.Type) (cty.Value, error) {
	if t == cty.NilType {
		t = cty.DynamicPseudoType
	}
	if v.Kind == KindNull {
		return cty.NullVal(t), nil
	}
	if t == cty.DynamicPseudoType {
		t = inferType(v)
	}
	mismatch := func() (cty.Value, error) {
		return cty.NilVal, fmt.Errorf("value of kind %d does not conform to %s", v.Kind, t.FriendlyName())
	}
	switch {
	case t == cty.Bool:
		if v.Kind != KindBool {
			return mismatch()
		}
		return cty.BoolVal(v.Bool), nil
	case t == cty.Number:
		if v.Kind != KindNumber {
			return mismatch()
		}
		cv, ok := numberCtyVal(v)
		if !ok {
			return cty.NilVal, errors.New("NaN is not a number")
		}
		return cv, nil
	case t == cty.String:
		if v.Kind != KindString {
			return mismatch()
		}
		return cty.StringVal(v.Str), nil
	case t.IsTupleType():
		ets := t.TupleElementTypes()
		if v.Kind != KindList || len(v.List) != len(ets) {
			return mismatch()
		}
		if len(ets) == 0 {
			return cty.EmptyTupleVal, nil
		}
		vals := make([]cty.Value, len(ets))
		for i, e := range v.List {
			cv, err := compileToCty(e, ets[i])
			if err != nil {
				return cty.NilVal, err
			}
			vals[i] = cv
		}
		return cty.TupleVal(vals), nil
	case t.IsListType() || t.IsSetType():
		if v.Kind != KindList {
			return mismatch()
		}
		et := t.ElementType()
		if len(v.List) == 0 {
			if t.IsListType() {
				return cty.ListValEmpty(et), nil
			}
			return cty.SetValEmpty(et), nil
		}
		vals := make([]cty.Value, len(v.List))
		for i, e := range v.List {
			cv, err := compileToCty(e, et)
			if err != nil {
				return cty.NilVal, err
			}
			vals[i] = cv
		}
		return convert.Convert(cty.TupleVal(vals), t)
	case t.IsMapType():
		if v.Kind != KindObject || v.Obj == nil {
			return mismatch()
		}
		et := t.ElementType()
		if len(v.Obj.Values) == 0 {
			return cty.MapValEmpty(et), nil
		}
		vals := make(map[string]cty.Value, len(v.Obj.Values))
		for i, name := range v.Obj.Layout.Names {
			cv, err := compileToCty(v.Obj.Values[i], et)
			if err != nil {
				return cty.NilVal, err
			}
			vals[name] = cv
		}
		return convert.Convert(cty.ObjectVal(vals), t)
	case t.IsObjectType():
		if v.Kind != KindObject || v.Obj == nil {
			return mismatch()
		}
		attrs := t.AttributeTypes()
		vals := make(map[string]cty.Value, len(attrs))
		// Sorted, so the first missing attribute reported is always the same.
		for _, name := range slices.Sorted(maps.Keys(attrs)) {
			at := attrs[name]
			av, ok := lookupAttr(v.Obj, name)
			if !ok {
				return cty.NilVal, fmt.Errorf("record has no attribute %q", name)
			}
			cv, err := compileToCty(av, at)
			if err != nil {
				return cty.NilVal, err
			}
			vals[name] = cv
		}
		return cty.ObjectVal(vals), nil
	}
	return mismatch()
}

// lookupAttr finds an attribute by name in r.
func lookupAttr(r *Record, name string) (Value, bool) {
	if r == nil || r.Layout == nil {
		return Null, false
	}
	i, ok := r.Layout.Index(name)
	if !ok || i >= len(r.Values) {
		return Null, false
	}
	return r.Values[i], true
}

// compileFromCty converts a known cty value to a Value.
func compileFromCty(v cty.Value) (Value, error) {
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return Null, errUnknown
	}
	if v.IsNull() {
		return Null, nil
	}
	t := v.Type()
	switch {
	case t == cty.Bool:
		return Bool(v.True()), nil
	case t == cty.Number:
		return numberFromBig(v.AsBigFloat()), nil
	case t == cty.String:
		return String(v.AsString()), nil
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := make([]Value, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			ev, err := compileFromCty(e)
			if err != nil {
				return Null, err
			}
			out = append(out, ev)
		}
		return List(out), nil
	case t.IsObjectType():
		l := NewLayout(t)
		r := NewRecord(l)
		for i, name := range l.Names {
			ev, err := compileFromCty(v.GetAttr(name))
			if err != nil {
				return Null, err
			}
			r.Values[i] = ev
		}
		return Object(r), nil
	case t.IsMapType():
		attrs := map[string]cty.Type{}
		m := v.AsValueMap()
		for k := range m {
			attrs[k] = t.ElementType()
		}
		l := NewLayout(cty.Object(attrs))
		r := NewRecord(l)
		for i, name := range l.Names {
			ev, err := compileFromCty(m[name])
			if err != nil {
				return Null, err
			}
			r.Values[i] = ev
		}
		return Object(r), nil
	}
	return Null, fmt.Errorf("cannot represent a value of type %s", t.FriendlyName())
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// nfc normalizes s to Unicode NFC, as cty.StringVal does for every string it
// builds. ASCII is already normal; norm.NFC.String returns s itself, without
// allocating, when s is already normal.
func nfc(s string) string {
	if isASCII(s) {
		return s
	}
	return norm.NFC.String(s)
}

// normValue normalizes the strings in v, copying only what changes.
func normValue(v Value) Value {
	switch v.Kind {
	case KindString:
		v.Str = nfc(v.Str)
	case KindList:
		var out []Value
		for i, e := range v.List {
			n := normValue(e)
			if out == nil && !sameValue(n, e) {
				out = make([]Value, len(v.List))
				copy(out, v.List[:i])
			}
			if out != nil {
				out[i] = n
			}
		}
		if out != nil {
			v.List = out
		}
	case KindObject:
		if v.Obj == nil {
			return v
		}
		var out *Record
		for i, e := range v.Obj.Values {
			n := normValue(e)
			if out == nil && !sameValue(n, e) {
				out = &Record{Layout: v.Obj.Layout, Values: make([]Value, len(v.Obj.Values))}
				copy(out.Values, v.Obj.Values[:i])
			}
			if out != nil {
				out.Values[i] = n
			}
		}
		if out != nil {
			v.Obj = out
		}
	}
	return v
}

// sameValue reports whether normValue left v unchanged (shallow identity).
func sameValue(a, b Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case KindString:
		return a.Str == b.Str
	case KindList:
		return len(a.List) == len(b.List) && (len(a.List) == 0 || &a.List[0] == &b.List[0])
	case KindObject:
		return a.Obj == b.Obj
	}
	return true
}

// isPrimitive reports whether t is bool, number or string.
func isPrimitive(t cty.Type) bool { return t == cty.Bool || t == cty.Number || t == cty.String }

// convertible reports whether cty's convert package has a conversion from a
// value of type from to want (for unknown operands, whose value is not known).
func convertible(from, want cty.Type) bool {
	if from == cty.DynamicPseudoType || want == cty.DynamicPseudoType || from.Equals(want) {
		return true
	}
	if isPrimitive(from) && isPrimitive(want) {
		// number<->bool is the only impossible pair.
		return !(from == cty.Number && want == cty.Bool) && !(from == cty.Bool && want == cty.Number)
	}
	return convert.GetConversionUnsafe(from, want) != nil
}

// convErr is the error of an impossible conversion.
func convErr(want cty.Type) error {
	return fmt.Errorf("%s required", want.FriendlyName())
}

// convertPrim converts v, of static type t, to the primitive type want, as
// convert.Convert does (including the "unsafe" string to number and bool
// conversions that HCL applies to operands and arguments).
func convertPrim(v Value, t cty.Type, want cty.Type) (Value, error) {
	et := effType(v, t)
	if v.Kind == KindNull {
		if et == cty.DynamicPseudoType || convertible(et, want) {
			return Null, nil
		}
		return Null, convErr(want)
	}
	switch want {
	case cty.String:
		switch v.Kind {
		case KindString:
			return v, nil
		case KindNumber:
			return String(numString(v)), nil
		case KindBool:
			if v.Bool {
				return String("true"), nil
			}
			return String("false"), nil
		}
	case cty.Number:
		switch v.Kind {
		case KindNumber:
			return v, nil
		case KindString:
			// A decimal integer within int64 (tonumber(formatdate("h", …)))
			// is that integer, as big.ParseFloat reads it; anything else
			// (signs, fractions, exponents, -0, spaces) goes through cty.
			if i, ok := parseIntLiteral(unsafe.Slice(unsafe.StringData(v.Str), len(v.Str))); ok {
				return Int(i), nil
			}
			n, err := cty.ParseNumberVal(v.Str)
			if err != nil {
				return Null, errors.New("a number is required")
			}
			return numberFromBig(n.AsBigFloat()), nil
		}
	case cty.Bool:
		switch v.Kind {
		case KindBool:
			return v, nil
		case KindString:
			switch v.Str {
			case "true", "1":
				return Bool(true), nil
			case "false", "0":
				return Bool(false), nil
			}
			return Null, errors.New("a bool is required")
		}
	}
	return Null, convErr(want)
}
