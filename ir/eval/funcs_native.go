package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// nativeBuilder compiles a call of one function from its compiled
// arguments. It returns false when it has no native form for these argument
// types, and the call goes through cty.
type nativeBuilder func(args []node) (evalFn, bool)

// natives are the hand-written implementations of the hot functions. Each
// matches the cty function of the same name in Functions(): arguments are
// converted to the parameter type as hclsyntax converts them (a number passed
// to lower() is its decimal string), null arguments are errors unless the
// parameter allows null, and string results are NFC-normalized as
// cty.StringVal does.
var natives map[string]nativeBuilder

func init() {
	natives = map[string]nativeBuilder{
		"lower":      strFunc1(strings.ToLower),
		"upper":      strFunc1(strings.ToUpper),
		"trimspace":  strFunc1(strings.TrimSpace),
		"trimprefix": strFunc2(strings.TrimPrefix),
		"trimsuffix": strFunc2(strings.TrimSuffix),
		"replace":    nativeReplace,
		"strlen":     nativeStrlen,
		"substr":     nativeSubstr,
		"length":     nativeLength,
		"contains":   nativeContains,
		"coalesce":   nativeCoalesce,
		"abs":        numFunc1(numAbs),
		// cty rounds through big.Int, so a zero result is +0: adding 0
		// turns math's -0 into +0 (it prints as "0", as cty's does). An
		// integer is its own floor and ceiling.
		"floor":       numFunc1(roundFunc(math.Floor)),
		"ceil":        numFunc1(roundFunc(math.Ceil)),
		"min":         numFoldFunc(func(c int) bool { return c < 0 }, math.Inf(1)),
		"max":         numFoldFunc(func(c int) bool { return c > 0 }, math.Inf(-1)),
		"format_time": nativeFormatTime,
		"formatdate":  nativeFormatDate, // funcs_formatdate.go
		"parse_time":  nativeParseTime,
		"tostring":    toFunc(cty.String),
		"tonumber":    toFunc(cty.Number),
		"tobool":      toFunc(cty.Bool),
		"jsonencode":  nativeJSONEncode,
		// Constant pattern and separator: see funcs_regex.go.
		"regex_extract": nativeRegexExtract,
		"split_index":   nativeSplitIndex,
	}
}

// nativeFast adds typed fast paths (see compile_fast.go) to the natives
// that have them, built from the same arguments.
var nativeFast = map[string]func(args []node) fastPath{
	"lower":     strFunc1Fast(strings.ToLower),
	"upper":     strFunc1Fast(strings.ToUpper),
	"trimspace": strFunc1Fast(strings.TrimSpace),
	"coalesce":  coalesceFast,
	"contains":  containsFast,
}

// call compiles a function call: try and can natively (they catch errors of
// their arguments), lookup natively on a constant map (it needs exact result
// types, see funcs_lookup.go), a native implementation when there is one,
// else the cty function itself on converted arguments.
func (c *compiler) call(e *hclsyntax.FunctionCallExpr) (node, bool) {
	fn, ok := c.funcs[e.Name]
	if !ok || e.ExpandFinal {
		return node{}, false
	}
	if n, ok := c.lengthOfSplit(e); ok {
		return n, true
	}
	args := make([]node, len(e.Args))
	for i, a := range e.Args {
		args[i] = c.compile(a)
	}
	switch e.Name {
	case "try":
		return withTyped(node{}, func(f Frame) (Value, cty.Type, error) {
			for i := range args {
				if v, t, err := args[i].evalT(f); err == nil {
					return v, t, nil
				}
			}
			return Null, cty.DynamicPseudoType, errors.New("no expression succeeded")
		}), true
	case "can":
		if len(args) != 1 {
			return node{}, false
		}
		a := args[0].eval
		return node{eval: func(f Frame) (Value, error) {
			_, err := a(f)
			return Bool(err == nil), nil
		}}, true
	case "lookup":
		if n, ok := nativeLookup(args); ok {
			return n, true
		}
	}
	if b, ok := natives[e.Name]; ok {
		if ev, ok := b(args); ok {
			n := node{eval: ev}
			if fb := nativeFast[e.Name]; fb != nil {
				n.fast = fb(args)
			}
			return n, true
		}
	}
	return withTyped(node{}, ctyCall(e.Name, fn, args)), true
}

// ctyCall is the fallback for functions without a native implementation:
// it converts the arguments to cty (by their static types), converts them to
// the parameter types as hclsyntax.FunctionCallExpr does, calls the cty
// function and converts the result back. Correct, and slower: it allocates.
func ctyCall(name string, fn function.Function, args []node) typedFn {
	params, vp := fn.Params(), fn.VarParam()
	return func(f Frame) (Value, cty.Type, error) {
		vals := make([]cty.Value, len(args))
		for i := range args {
			v, t, err := args[i].evalT(f)
			if err != nil {
				return Null, cty.DynamicPseudoType, err
			}
			cv, err := compileToCty(v, t)
			if err != nil {
				return Null, cty.DynamicPseudoType, err
			}
			var p *function.Parameter
			if i < len(params) {
				p = &params[i]
			} else {
				p = vp
			}
			if p == nil {
				return Null, cty.DynamicPseudoType, fmt.Errorf("%s: too many arguments", name)
			}
			if cv, err = convert.Convert(cv, p.Type); err != nil {
				return Null, cty.DynamicPseudoType, fmt.Errorf("invalid value for %q parameter: %w", p.Name, err)
			}
			vals[i] = cv
		}
		return callCtyTyped(fn, vals)
	}
}

// callCty calls a cty function, turning a panic into an error.
func callCty(fn function.Function, args []cty.Value) (Value, error) {
	v, _, err := callCtyTyped(fn, args)
	return v, err
}

// callCtyTyped is callCty with the result's cty type.
func callCtyTyped(fn function.Function, args []cty.Value) (v Value, t cty.Type, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, t, err = Null, cty.DynamicPseudoType, fmt.Errorf("function failed: %v", r)
		}
	}()
	res, err := fn.Call(args)
	if err != nil {
		return Null, cty.DynamicPseudoType, err
	}
	v, err = compileFromCty(res)
	return v, res.Type(), err
}

// strArg converts an argument to a non-null string.
func strArg(a node, v Value) (string, error) {
	if v.Kind != KindString {
		var err error
		if v, err = convertPrim(v, a.typ, cty.String); err != nil {
			return "", err
		}
		if v.Kind == KindNull {
			return "", errNullArg
		}
	}
	return v.Str, nil
}

// numArg converts an argument to a non-null number.
func numArg(a node, v Value) (Value, error) {
	if v.Kind != KindNumber {
		var err error
		if v, err = convertPrim(v, a.typ, cty.Number); err != nil {
			return Null, err
		}
		if v.Kind == KindNull {
			return Null, errNullArg
		}
	}
	return v, nil
}

// evalStrs evaluates arguments as strings.
func evalStrs(args []node, f Frame, out []string) error {
	for i, a := range args {
		v, err := a.eval(f)
		if err != nil {
			return err
		}
		if out[i], err = strArg(a, v); err != nil {
			return err
		}
	}
	return nil
}

// strFunc1 is a function of one string returning a string, NFC-normalized
// as cty's are (nfc returns ASCII as it is).
func strFunc1(fn func(string) string) nativeBuilder {
	return func(args []node) (evalFn, bool) {
		if len(args) != 1 {
			return nil, false
		}
		a := args[0]
		fs := a.fast.str
		return func(f Frame) (Value, error) {
			if fs != nil {
				if s, ok := fs(f); ok {
					return String(nfc(fn(s))), nil
				}
			}
			v, err := a.eval(f)
			if err != nil {
				return Null, err
			}
			s, err := strArg(a, v)
			if err != nil {
				return Null, err
			}
			return String(nfc(fn(s))), nil
		}, true
	}
}

// strFunc1Fast is strFunc1's fast path: fn of the argument's fast path.
func strFunc1Fast(fn func(string) string) func([]node) fastPath {
	return func(args []node) fastPath {
		fs := args[0].fast.str
		if fs == nil {
			return fastPath{}
		}
		return fastPath{str: func(f Frame) (string, bool) {
			s, ok := fs(f)
			if !ok {
				return "", false
			}
			return nfc(fn(s)), true
		}}
	}
}

func strFunc2(fn func(string, string) string) nativeBuilder {
	return func(args []node) (evalFn, bool) {
		if len(args) != 2 {
			return nil, false
		}
		return func(f Frame) (Value, error) {
			var s [2]string
			if err := evalStrs(args, f, s[:]); err != nil {
				return Null, err
			}
			return String(nfc(fn(s[0], s[1]))), nil
		}, true
	}
}

func nativeReplace(args []node) (evalFn, bool) {
	if len(args) != 3 {
		return nil, false
	}
	return func(f Frame) (Value, error) {
		var s [3]string
		if err := evalStrs(args, f, s[:]); err != nil {
			return Null, err
		}
		return String(nfc(strings.Replace(s[0], s[1], s[2], -1))), nil
	}, true
}

// simpleText reports whether every byte of s is its own grapheme cluster:
// ASCII without CR (CR LF is one cluster).
func simpleText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == '\r' {
			return false
		}
	}
	return true
}

func nativeStrlen(args []node) (evalFn, bool) {
	if len(args) != 1 {
		return nil, false
	}
	a := args[0]
	return func(f Frame) (Value, error) {
		v, err := a.eval(f)
		if err != nil {
			return Null, err
		}
		s, err := strArg(a, v)
		if err != nil {
			return Null, err
		}
		if simpleText(s) {
			return Int(int64(len(s))), nil
		}
		// Grapheme clusters: cty's own count.
		return callCty(stdlib.StrlenFunc, []cty.Value{cty.StringVal(s)})
	}, true
}

// wholeInt returns f as an int when it is a whole number well within range.
func wholeInt(f float64) (int, bool) {
	if f != math.Trunc(f) || math.Abs(f) > 1<<52 {
		return 0, false
	}
	return int(f), true
}

func nativeSubstr(args []node) (evalFn, bool) {
	if len(args) != 3 {
		return nil, false
	}
	return func(f Frame) (Value, error) {
		sv, err := args[0].eval(f)
		if err != nil {
			return Null, err
		}
		s, err := strArg(args[0], sv)
		if err != nil {
			return Null, err
		}
		var n [2]Value
		for i, a := range args[1:] {
			v, err := a.eval(f)
			if err != nil {
				return Null, err
			}
			if n[i], err = numArg(a, v); err != nil {
				return Null, err
			}
		}
		offset, ok1 := wholeInt(n[0].Float())
		length, ok2 := wholeInt(n[1].Float())
		if !ok1 || !ok2 || !simpleText(s) {
			return callCty(stdlib.SubstrFunc, []cty.Value{cty.StringVal(s), numberCty(n[0]), numberCty(n[1])})
		}
		// cty's algorithm, with one grapheme cluster per byte.
		if offset < 0 {
			offset += len(s)
		} else if length == 0 {
			return String(""), nil
		}
		sub := s
		if offset > 0 {
			if offset >= len(s) {
				return String(""), nil
			}
			sub = s[offset:]
		}
		if length > 0 && length < len(sub) {
			sub = sub[:length]
		}
		return String(sub), nil
	}, true
}

// elemType is the static type of element i of a sequence of type t.
func elemType(t cty.Type, i int) cty.Type {
	switch {
	case t.IsListType() || t.IsSetType() || t.IsMapType():
		return t.ElementType()
	case t.IsTupleType():
		if ets := t.TupleElementTypes(); i < len(ets) {
			return ets[i]
		}
	case t.IsObjectType():
		return cty.DynamicPseudoType
	}
	return cty.DynamicPseudoType
}

func nativeLength(args []node) (evalFn, bool) {
	if len(args) != 1 {
		return nil, false
	}
	a := &args[0]
	return func(f Frame) (Value, error) {
		v, at, err := a.evalT(f)
		if err != nil {
			return Null, err
		}
		if v.Kind == KindNull {
			return Null, errNullArg
		}
		t := effType(v, at)
		switch {
		case (t.IsListType() || t.IsTupleType()) && v.Kind == KindList:
			return Int(int64(len(v.List))), nil
		case t.IsMapType() && v.Kind == KindObject:
			return Int(int64(len(v.Obj.Values))), nil
		case t.IsSetType():
			// A set's length counts distinct elements: let cty decide.
			v, _, err := ctyCall("length", stdlib.LengthFunc, args)(f)
			return v, err
		}
		return Null, errors.New("collection must be a list, a map or a tuple")
	}, true
}

func nativeContains(args []node) (evalFn, bool) {
	if len(args) != 2 {
		return nil, false
	}
	l, x := &args[0], &args[1]
	// strs: a string searched in a list or tuple of strings (static types):
	// equalValues of two strings compares their text, so the loop does
	// that without looking the types up per element.
	strs := x.typ == cty.String && stringElems(l.typ)
	return func(f Frame) (Value, error) {
		var (
			lv   Value
			ltyp cty.Type
			err  error
		)
		if l.konst {
			lv, ltyp = l.val, l.typ
		} else if lv, ltyp, err = l.evalT(f); err != nil {
			return Null, err
		}
		xv, xtyp, err := x.evalT(f)
		if err != nil {
			return Null, err
		}
		if lv.Kind == KindNull {
			return Null, errNullArg
		}
		if strs && lv.Kind == KindList && xv.Kind == KindString {
			for _, e := range lv.List {
				if e.Kind == KindString && e.Str == xv.Str {
					return Bool(true), nil
				}
			}
			return Bool(false), nil
		}
		if xv.Kind == KindNull && effType(xv, xtyp) == cty.DynamicPseudoType {
			// cty returns an unknown result for a dynamically typed
			// argument; a record-level evaluation reports it as an error.
			return Null, errUnknown
		}
		lt := effType(lv, ltyp)
		if !(lt.IsListType() || lt.IsTupleType() || lt.IsSetType()) || lv.Kind != KindList {
			return Null, errors.New("argument must be list, tuple, or set")
		}
		for i, e := range lv.List {
			eq, err := equalValues(xv, xtyp, e, elemType(lt, i))
			if err != nil {
				return Null, err
			}
			if eq {
				return Bool(true), nil
			}
		}
		return Bool(false), nil
	}, true
}

// containsFast is contains(constant list of strings, x) when x is a
// plain string.
func containsFast(args []node) fastPath {
	if len(args) != 2 {
		return fastPath{}
	}
	l, x := &args[0], &args[1]
	if !l.konst || l.val.Kind != KindList || x.typ != cty.String || x.fast.str == nil || !stringElems(l.typ) {
		return fastPath{}
	}
	elems := make([]string, 0, len(l.val.List))
	for _, e := range l.val.List {
		if e.Kind == KindString { // a null element equals no string
			elems = append(elems, e.Str)
		}
	}
	xs := x.fast.str
	return fastPath{cond: func(f Frame) (bool, bool) {
		s, ok := xs(f)
		if !ok {
			return false, false
		}
		return slices.Contains(elems, s), true
	}}
}

// stringElems reports whether t is a list of strings or a tuple of
// strings only.
func stringElems(t cty.Type) bool {
	switch {
	case t.IsListType():
		return t.ElementType() == cty.String
	case t.IsTupleType():
		for _, et := range t.TupleElementTypes() {
			if et != cty.String {
				return false
			}
		}
		return true
	}
	return false
}

// nativeCoalesce handles arguments of known primitive static types: the
// result type is their unification, fixed at compile time.
func nativeCoalesce(args []node) (evalFn, bool) {
	if len(args) == 0 {
		return nil, false
	}
	types := make([]cty.Type, len(args))
	for i, a := range args {
		if !isPrimitive(a.typ) {
			return nil, false
		}
		types[i] = a.typ
	}
	rt, _ := convert.UnifyUnsafe(types)
	if !isPrimitive(rt) {
		return nil, false
	}
	// same[i]: argument i is statically of the result type, so a non-null
	// value of it is the result as it is (no conversion to look up).
	same := make([]bool, len(args))
	for i, a := range args {
		same[i] = a.typ.Equals(rt)
	}
	rk := primKind(rt)
	return func(f Frame) (Value, error) {
		// Every argument is evaluated before the call, so a failing
		// argument fails the call even after a non-null one.
		found := -1
		var first Value
		for i := range args {
			a := &args[i]
			if a.konst { // cannot fail: no need to evaluate it past found
				if found < 0 && a.val.Kind != KindNull {
					found, first = i, a.val
				}
				continue
			}
			v, err := a.eval(f)
			if err != nil {
				return Null, err
			}
			if found < 0 && v.Kind != KindNull {
				found, first = i, v
			}
		}
		if found >= 0 {
			if same[found] && first.Kind == rk {
				return first, nil
			}
			return convertPrim(first, args[found].typ, rt)
		}
		return Null, errors.New("no non-null arguments")
	}, true
}

// coalesceFast is coalesce(x, constants...) of strings when x is a
// plain string: x. Anything else (x null, an argument that could fail)
// defers to the full evaluator.
func coalesceFast(args []node) fastPath {
	if len(args) == 0 || args[0].fast.str == nil {
		return fastPath{}
	}
	for _, a := range args {
		if a.typ != cty.String {
			return fastPath{}
		}
	}
	for _, a := range args[1:] {
		if !a.konst {
			return fastPath{}
		}
	}
	return fastPath{str: args[0].fast.str}
}

// primKind is the Kind of the values of primitive type t.
func primKind(t cty.Type) Kind {
	switch t {
	case cty.String:
		return KindString
	case cty.Number:
		return KindNumber
	case cty.Bool:
		return KindBool
	}
	return KindNull
}

// roundFunc is floor or ceil: an integer is its own, a float64 is rounded
// with +0 for a zero result.
func roundFunc(fn func(float64) float64) func(Value) Value {
	return func(v Value) Value {
		if _, ok := v.Int64(); ok {
			return v
		}
		return Number(fn(v.Float()) + 0)
	}
}

func numFunc1(fn func(Value) Value) nativeBuilder {
	return func(args []node) (evalFn, bool) {
		if len(args) != 1 {
			return nil, false
		}
		a := args[0]
		return func(f Frame) (Value, error) {
			v, err := a.eval(f)
			if err != nil {
				return Null, err
			}
			x, err := numArg(a, v)
			if err != nil {
				return Null, err
			}
			return fn(x), nil
		}, true
	}
}

// numFoldFunc builds min and max: the first argument that beats the
// accumulator (strictly, compared exactly) wins, as in cty.
func numFoldFunc(better func(c int) bool, start float64) nativeBuilder {
	return func(args []node) (evalFn, bool) {
		if len(args) == 0 {
			return nil, false
		}
		return func(f Frame) (Value, error) {
			acc := Number(start)
			for _, a := range args {
				v, err := a.eval(f)
				if err != nil {
					return Null, err
				}
				x, err := numArg(a, v)
				if err != nil {
					return Null, err
				}
				if c, ok := numCompare(x, acc); ok && better(c) {
					acc = x
				}
			}
			return acc, nil
		}, true
	}
}

func nativeFormatTime(args []node) (evalFn, bool) {
	if len(args) != 1 {
		return nil, false
	}
	a := args[0]
	return func(f Frame) (Value, error) {
		v, err := a.eval(f)
		if err != nil {
			return Null, err
		}
		x, err := numArg(a, v)
		if err != nil {
			return Null, err
		}
		if ms, ok := x.Int64(); ok {
			return String(FormatTimestamp(ms)), nil
		}
		xf := x.Float()
		if math.IsInf(xf, 0) || math.IsNaN(xf) {
			return Null, errors.New("not a finite number")
		}
		return String(FormatTimestamp(int64(xf))), nil
	}, true
}

func nativeParseTime(args []node) (evalFn, bool) {
	if len(args) != 1 {
		return nil, false
	}
	a := args[0]
	return func(f Frame) (Value, error) {
		v, err := a.eval(f)
		if err != nil {
			return Null, err
		}
		s, err := strArg(a, v)
		if err != nil {
			return Null, err
		}
		ms, err := ParseTimestamp(s)
		if err != nil {
			return Null, err
		}
		return Int(ms), nil
	}, true
}

// toFunc builds tostring, tonumber and tobool: null converts to null, and
// only primitive values convert.
func toFunc(want cty.Type) nativeBuilder {
	return func(args []node) (evalFn, bool) {
		if len(args) != 1 {
			return nil, false
		}
		a := &args[0]
		return func(f Frame) (Value, error) {
			// The exact type matters: a typed null converts only where
			// its type does.
			v, t, err := a.evalT(f)
			if err != nil {
				return Null, err
			}
			return convertPrim(v, t, want)
		}, true
	}
}

func nativeJSONEncode(args []node) (evalFn, bool) {
	if len(args) != 1 {
		return nil, false
	}
	a := &args[0]
	return func(f Frame) (Value, error) {
		v, t, err := a.evalT(f)
		if err != nil {
			return Null, err
		}
		b, err := appendJSON(nil, v, t)
		if err != nil {
			return Null, err
		}
		return String(nfc(string(bytes.TrimSpace(b)))), nil
	}, true
}

// appendJSON encodes v of static type t as cty's JSON marshaller does: keys
// sorted, strings escaped by encoding/json, numbers in shortest decimal form.
func appendJSON(b []byte, v Value, t cty.Type) ([]byte, error) {
	if v.Kind == KindNull {
		return append(b, "null"...), nil
	}
	t = effType(v, t)
	switch {
	case t == cty.String && v.Kind == KindString:
		s, err := json.Marshal(v.Str)
		if err != nil {
			return nil, err
		}
		return append(b, s...), nil
	case t == cty.Number && v.Kind == KindNumber:
		if math.IsInf(v.Float(), 0) {
			return nil, errors.New("cannot serialize infinity as JSON")
		}
		return appendNumString(b, v), nil
	case t == cty.Bool && v.Kind == KindBool:
		if v.Bool {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case (t.IsListType() || t.IsTupleType()) && v.Kind == KindList:
		b = append(b, '[')
		for i, e := range v.List {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e, elemType(t, i)); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case (t.IsMapType() || t.IsObjectType()) && v.Kind == KindObject && v.Obj != nil:
		b = append(b, '{')
		for i, name := range v.Obj.Layout.Names {
			if i > 0 {
				b = append(b, ',')
			}
			k, err := json.Marshal(name)
			if err != nil {
				return nil, err
			}
			b = append(append(b, k...), ':')
			if b, err = appendJSON(b, v.Obj.Values[i], attrType(t, name)); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	// Sets (cty's element order) and anything unusual: cty's own encoder.
	cv, err := compileToCty(v, t)
	if err != nil {
		return nil, err
	}
	out, err := callCty(stdlib.JSONEncodeFunc, []cty.Value{cv})
	if err != nil {
		return nil, err
	}
	return append(b, out.Str...), nil
}

// lengthOfSplit compiles length(split(sep, s)) with a constant, non-empty
// sep, the idiom for counting a substring (Nexmark q14's count_char), as
// strings.Count(s, sep) + 1 without building the list: what cty computes,
// since it splits the NFC form of s (cty.StringVal normalizes) at every sep
// and the pieces' normalization does not change their number. Anything
// else (another sep, a non-string s) takes the general path, with cty's
// errors.
func (c *compiler) lengthOfSplit(e *hclsyntax.FunctionCallExpr) (node, bool) {
	if e.Name != "length" || len(e.Args) != 1 {
		return node{}, false
	}
	in, ok := unparen(e.Args[0]).(*hclsyntax.FunctionCallExpr)
	if !ok || in.Name != "split" || in.ExpandFinal || len(in.Args) != 2 {
		return node{}, false
	}
	if _, ok := c.funcs["split"]; !ok {
		return node{}, false
	}
	sepExpr, ok := unparen(in.Args[0]).(*hclsyntax.TemplateExpr)
	if !ok || !sepExpr.IsStringLiteral() {
		return node{}, false
	}
	sepVal, diags := sepExpr.Value(nil)
	if diags.HasErrors() || sepVal.Type() != cty.String || sepVal.IsNull() || sepVal.AsString() == "" {
		return node{}, false
	}
	sep := sepVal.AsString() // cty.StringVal: already NFC
	general := c.compile(e.Args[0])
	s := c.compile(in.Args[1])
	if s.typ != cty.String {
		return node{}, false
	}
	slow := ctyCall("length", c.funcs["length"], []node{general})
	return node{eval: func(f Frame) (Value, error) {
		v, err := s.eval(f)
		if err != nil || v.Kind != KindString {
			out, _, err := slow(f)
			return out, err
		}
		return Int(int64(strings.Count(nfc(v.Str), sep) + 1)), nil
	}}, true
}

// unparen strips the parentheses around an expression.
func unparen(e hclsyntax.Expression) hclsyntax.Expression {
	for {
		p, ok := e.(*hclsyntax.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expression
	}
}
