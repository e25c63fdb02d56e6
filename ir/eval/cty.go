package eval

import (
	"errors"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// This file converts between the hot-path Value and cty.Value, for the
// edges that speak cty: test blocks, constants, differential tests, Beam
// coders. It is not on the per-record path.
//
// Numbers: an int64 Value becomes cty.NumberIntVal, a float64 one
// cty.NumberFloatVal; ±Inf become cty's infinities; NaN, which no cty number
// can hold, becomes a null number. In the other direction a cty number that
// is an integer within int64 converts exactly, any other is rounded to the
// nearest float64 (beyond float64's range it becomes ±Inf).

// ToCty converts v to a cty value of type t. Null becomes cty.NullVal(t).
// With t = cty.DynamicPseudoType (or types containing it) the value's own
// implied type is used there: lists become tuples, objects objects. When v
// does not conform to t, ToCty converts as cty's convert package would (a
// number to a string, say); when even that is impossible it returns v's
// natural value, whose type then differs from t, so a caller's type check
// reports the mismatch instead of ToCty panicking.
func ToCty(v Value, t cty.Type) cty.Value {
	if t == cty.NilType {
		t = cty.DynamicPseudoType
	}
	if v.Kind == KindNull {
		return cty.NullVal(t)
	}
	if cv, ok := toCtyStrict(v, t); ok {
		return cv
	}
	nat := naturalCty(v)
	if cv, err := convert.Convert(nat, t); err == nil {
		return cv
	}
	return nat
}

// toCtyStrict converts v to exactly t (up to the dynamic parts of t), or
// reports false.
func toCtyStrict(v Value, t cty.Type) (cty.Value, bool) {
	if v.Kind == KindNull {
		return cty.NullVal(t), true
	}
	switch {
	case t == cty.DynamicPseudoType:
		return naturalCty(v), true
	case t == cty.String:
		if v.Kind == KindString {
			return cty.StringVal(v.Str), true
		}
	case t == cty.Number:
		if v.Kind == KindNumber {
			return numberCty(v), true
		}
	case t == cty.Bool:
		if v.Kind == KindBool {
			return cty.BoolVal(v.Bool), true
		}
	case t.IsObjectType():
		if v.Kind != KindObject || v.Obj == nil {
			return cty.NilVal, false
		}
		attrs := t.AttributeTypes()
		if len(attrs) == 0 {
			return cty.EmptyObjectVal, true
		}
		vals := make(map[string]cty.Value, len(attrs))
		for name, at := range attrs {
			av := v.Obj.Get(name)
			cv, ok := toCtyStrict(av, at)
			if !ok {
				return cty.NilVal, false
			}
			vals[name] = cv
		}
		return cty.ObjectVal(vals), true
	case t.IsMapType():
		if v.Kind != KindObject || v.Obj == nil {
			return cty.NilVal, false
		}
		ety := t.ElementType()
		if len(v.Obj.Values) == 0 {
			return cty.MapValEmpty(ety), true
		}
		vals := make(map[string]cty.Value, len(v.Obj.Values))
		for i, name := range v.Obj.Layout.Names {
			cv, ok := toCtyStrict(v.Obj.Values[i], ety)
			if !ok {
				return cty.NilVal, false
			}
			vals[name] = cv
		}
		if ety.HasDynamicTypes() {
			return convertOK(cty.ObjectVal(vals), t)
		}
		return cty.MapVal(vals), true
	case t.IsListType(), t.IsSetType():
		if v.Kind != KindList {
			return cty.NilVal, false
		}
		ety := t.ElementType()
		if len(v.List) == 0 {
			if t.IsSetType() {
				return cty.SetValEmpty(ety), true
			}
			return cty.ListValEmpty(ety), true
		}
		vals := make([]cty.Value, len(v.List))
		for i, e := range v.List {
			cv, ok := toCtyStrict(e, ety)
			if !ok {
				return cty.NilVal, false
			}
			vals[i] = cv
		}
		if ety.HasDynamicTypes() {
			return convertOK(cty.TupleVal(vals), t)
		}
		if t.IsSetType() {
			return cty.SetVal(vals), true
		}
		return cty.ListVal(vals), true
	case t.IsTupleType():
		ets := t.TupleElementTypes()
		if v.Kind != KindList || len(v.List) != len(ets) {
			return cty.NilVal, false
		}
		if len(ets) == 0 {
			return cty.EmptyTupleVal, true
		}
		vals := make([]cty.Value, len(ets))
		for i, e := range v.List {
			cv, ok := toCtyStrict(e, ets[i])
			if !ok {
				return cty.NilVal, false
			}
			vals[i] = cv
		}
		return cty.TupleVal(vals), true
	}
	return cty.NilVal, false
}

func convertOK(v cty.Value, t cty.Type) (cty.Value, bool) {
	cv, err := convert.Convert(v, t)
	return cv, err == nil
}

// numberCty converts a number; NaN has no cty form and becomes null.
func numberCty(v Value) cty.Value {
	if cv, ok := numberCtyVal(v); ok {
		return cv
	}
	return cty.NullVal(cty.Number)
}

// naturalCty converts v with its implied type; attributes of an object
// whose layout declares a type keep that type when they conform.
func naturalCty(v Value) cty.Value {
	switch v.Kind {
	case KindBool:
		return cty.BoolVal(v.Bool)
	case KindNumber:
		return numberCty(v)
	case KindString:
		return cty.StringVal(v.Str)
	case KindList:
		if len(v.List) == 0 {
			return cty.EmptyTupleVal
		}
		vals := make([]cty.Value, len(v.List))
		for i, e := range v.List {
			vals[i] = naturalCty(e)
		}
		return cty.TupleVal(vals)
	case KindObject:
		if v.Obj == nil {
			return cty.NullVal(cty.DynamicPseudoType)
		}
		if len(v.Obj.Values) == 0 {
			return cty.EmptyObjectVal
		}
		vals := make(map[string]cty.Value, len(v.Obj.Values))
		for i, name := range v.Obj.Layout.Names {
			if i >= len(v.Obj.Values) {
				break
			}
			t := cty.DynamicPseudoType
			if i < len(v.Obj.Layout.Types) && v.Obj.Layout.Types[i] != cty.NilType {
				t = v.Obj.Layout.Types[i]
			}
			vals[name] = ToCty(v.Obj.Values[i], t)
		}
		return cty.ObjectVal(vals)
	}
	return cty.NullVal(cty.DynamicPseudoType)
}

// FromCty converts a cty value. Nulls become Null; unknown values, which a
// record never holds, also become Null; marks are dropped. Maps become
// KindObject values whose layout has the map's keys as attributes.
func FromCty(v cty.Value) Value {
	return fromCtyTyped(v, nil)
}

// fromCtyTyped is FromCty reusing nested, when not nil, as the layout of
// an object value of nested's type.
func fromCtyTyped(v cty.Value, nested *Layout) Value {
	if v.IsMarked() {
		v, _ = v.UnmarkDeep()
	}
	if !v.IsKnown() || v.IsNull() {
		return Null
	}
	t := v.Type()
	switch {
	case t == cty.Bool:
		return Bool(v.True())
	case t == cty.Number:
		return numberFromBig(v.AsBigFloat())
	case t == cty.String:
		return String(v.AsString())
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := make([]Value, 0, v.LengthInt())
		var enested *Layout
		if !t.IsTupleType() && t.ElementType().IsObjectType() {
			enested = NewLayout(t.ElementType())
		}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, fromCtyTyped(e, enested))
		}
		return List(out)
	case t.IsObjectType():
		l := nested
		if l == nil || !l.Type.Equals(t) {
			l = NewLayout(t)
		}
		r := NewRecord(l)
		for i, name := range l.Names {
			r.Values[i] = fromCtyTyped(v.GetAttr(name), l.Nested[i])
		}
		return Object(r)
	case t.IsMapType():
		m := v.AsValueMap()
		attrs := make(map[string]cty.Type, len(m))
		for k := range m {
			attrs[k] = t.ElementType()
		}
		l := NewLayout(cty.Object(attrs))
		r := NewRecord(l)
		for i, name := range l.Names {
			r.Values[i] = fromCtyTyped(m[name], l.Nested[i])
		}
		return Object(r)
	}
	return Null
}

// RecordFromCty converts an object (or map) value, such as a record of a
// test block's given, into a record of layout l, treating it as JSON
// decoding does: each attribute is converted to its slot's type (a number
// literal to a string attribute, say), missing attributes are null and
// attributes the layout lacks are ignored. With a layout of
// cty.DynamicPseudoType the record gets the value's own layout.
func RecordFromCty(v cty.Value, l *Layout) (*Record, error) {
	if v.IsMarked() {
		v, _ = v.UnmarkDeep()
	}
	if v.IsNull() {
		return nil, errors.New("record is null, want an object")
	}
	if !v.IsWhollyKnown() {
		return nil, errors.New("record is not known")
	}
	t := v.Type()
	if !t.IsObjectType() && !t.IsMapType() {
		return nil, fmt.Errorf("record is %s, want an object", t.FriendlyName())
	}
	if !l.Type.IsObjectType() {
		if l.Type != cty.DynamicPseudoType {
			return nil, fmt.Errorf("layout of %s cannot hold a record", l.Type.FriendlyName())
		}
		return FromCty(v).Obj, nil
	}
	r := NewRecord(l)
	for i, name := range l.Names {
		var av cty.Value
		switch {
		case t.IsObjectType() && t.HasAttribute(name):
			av = v.GetAttr(name)
		case t.IsMapType() && v.LengthInt() > 0 && v.HasIndex(cty.StringVal(name)).True():
			av = v.Index(cty.StringVal(name))
		default:
			continue
		}
		if l.Types[i].IsObjectType() && !av.IsNull() && (av.Type().IsObjectType() || av.Type().IsMapType()) {
			// Nested objects may omit attributes too.
			nl := l.Nested[i]
			if nl == nil {
				nl = NewLayout(l.Types[i])
			}
			nr, err := RecordFromCty(av, nl)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", name, err)
			}
			r.Values[i] = Object(nr)
			continue
		}
		cv, err := convert.Convert(av, l.Types[i])
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
		r.Values[i] = fromCtyTyped(cv, l.Nested[i])
	}
	return r, nil
}

// Cty converts the record to a cty object value of its layout's type.
func (r *Record) Cty() cty.Value {
	return ToCty(Object(r), r.Layout.Type)
}
