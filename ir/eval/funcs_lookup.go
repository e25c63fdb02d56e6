package eval

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
)

// lookupEntry is one element of a constant lookup table with its cty type.
type lookupEntry struct {
	val Value
	typ cty.Type
}

// nativeLookup compiles lookup(map, key, default) when the map is a
// constant (a var or a local): the table becomes a Go map once, and each
// record only evaluates the key and the default, without cty values or
// allocations. It mirrors go-cty's stdlib.LookupFunc:
//
//   - every argument must be non-null (none of its parameters allows null);
//   - the key is converted to a string as hclsyntax converts arguments;
//   - a map's result has the map's element type: the default must convert
//     to it even when the key is found, and a miss returns it converted;
//   - an object's result is the attribute as it is, or the default as it is.
//
// It returns false, and the call goes through cty, for anything else: a map
// computed per record, elements or a default that are not primitive.
func nativeLookup(args []node) (node, bool) {
	if len(args) != 3 || !args[0].konst {
		return node{}, false
	}
	keyArg, defArg := &args[1], &args[2]
	if !isPrimitive(defArg.typ) || !(isPrimitive(keyArg.typ) || keyArg.typ == cty.DynamicPseudoType) {
		return node{}, false
	}
	table, elem, ok := lookupTable(args[0].val, args[0].typ)
	if !ok {
		return node{}, false
	}
	return withTyped(node{}, func(f Frame) (Value, cty.Type, error) {
		// hclsyntax evaluates every argument before the call.
		kv, err := keyArg.eval(f)
		if err != nil {
			return Null, cty.DynamicPseudoType, err
		}
		dv, err := defArg.eval(f)
		if err != nil {
			return Null, cty.DynamicPseudoType, err
		}
		key, err := strArg(*keyArg, kv)
		if err != nil {
			return Null, cty.DynamicPseudoType, fmt.Errorf("invalid value for \"key\" parameter: %w", err)
		}
		if dv.Kind == KindNull {
			return Null, cty.DynamicPseudoType, fmt.Errorf("invalid value for \"default\" parameter: %w", errNullArg)
		}
		if elem == cty.NilType {
			// An object: the attribute or the default, each of its own type.
			if e, ok := table[nfc(key)]; ok {
				return e.val, e.typ, nil
			}
			return dv, defArg.typ, nil
		}
		// A map: cty's type check converts the default to the element
		// type whatever the key, and a failure fails the call.
		if defArg.typ != elem {
			if dv, err = convertPrim(dv, defArg.typ, elem); err != nil {
				return Null, cty.DynamicPseudoType, fmt.Errorf("the default value must have the same type as the map elements: %w", err)
			}
		}
		if e, ok := table[nfc(key)]; ok {
			return e.val, elem, nil
		}
		return dv, elem, nil
	}), true
}

// lookupTable converts a constant map of primitive elements, or an object of
// primitive attributes, to a Go map. elem is the map's element type, or
// cty.NilType for an object.
func lookupTable(v Value, t cty.Type) (table map[string]lookupEntry, elem cty.Type, ok bool) {
	if v.Kind != KindObject {
		return nil, cty.NilType, false
	}
	switch {
	case t.IsMapType() && isPrimitive(t.ElementType()):
		elem = t.ElementType()
	case t.IsObjectType():
		for _, at := range t.AttributeTypes() {
			if !isPrimitive(at) {
				return nil, cty.NilType, false
			}
		}
	default:
		return nil, cty.NilType, false
	}
	table = map[string]lookupEntry{}
	if v.Obj == nil {
		return table, elem, true
	}
	for i, name := range v.Obj.Layout.Names {
		et := elem
		if et == cty.NilType {
			et = t.AttributeType(name)
		}
		table[name] = lookupEntry{val: v.Obj.Values[i], typ: et}
	}
	return table, elem, true
}
