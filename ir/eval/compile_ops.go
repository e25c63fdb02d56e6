package eval

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Errors of the native operations. Their texts follow hcl's diagnostics;
// callers only rely on an error being returned where hcl returns one.
var (
	errNullAttr    = errors.New("attempt to get attribute from null value")
	errNullIndex   = errors.New("attempt to index null value")
	errNullKey     = errors.New("invalid index: can't use a null value as an indexing key")
	errBadIndex    = errors.New("invalid index: the given key does not identify an element in this collection value")
	errNoIndex     = errors.New("invalid index: this value does not have any indices")
	errNullArg     = errors.New("argument must not be null")
	errNullOperand = errors.New("invalid operand: argument must not be null")
	errNullCond    = errors.New("null condition: the condition value is null")
	errNullTmpl    = errors.New("invalid template interpolation value: the expression result is null")
	errZeroDiv     = errors.New("can't divide zero by zero or infinity by infinity")
	errNaN         = errors.New("operation failed: the result is not a number")
	errModInf      = errors.New("can't use modulo with zero and infinity")
	errInconsist   = errors.New("inconsistent conditional result types")
)

// knownError is a failure after which hcl still holds a known value: a
// template whose interpolation fails evaluates to the text before the
// failure, with the error. Operators that go on after an operand's error
// (&& and || short-circuit) see that value, not an unknown.
type knownError struct {
	err error
	val Value
}

func (e *knownError) Error() string { return e.err.Error() }
func (e *knownError) Unwrap() error { return e.err }

// plainError strips a knownError down to its failure.
func plainError(err error) error {
	for {
		ke, ok := err.(*knownError)
		if !ok {
			return err
		}
		err = ke.err
	}
}

func errNoAttr(name string) error {
	return fmt.Errorf("unsupported attribute: this object does not have an attribute named %q", name)
}

// readValue normalizes a value read from a record: cty holds strings in NFC,
// so a record string compares as its NFC form would.
func readValue(v Value) Value {
	if v.Kind >= KindString && !v.safe {
		return normValue(v)
	}
	return v
}

// scopeTraversal compiles record.a.b[0] and friends.
func (c *compiler) scopeTraversal(e *hclsyntax.ScopeTraversalExpr) (node, bool) {
	name := e.Traversal.RootName()
	idx := -1
	for i, r := range c.roots {
		if r.Name == name {
			idx = i
			break
		}
	}
	if idx < 0 || idx >= len(Frame{}) {
		// var and local are folded as constants before this point; anything
		// else is unknown to hcl as well.
		return node{}, false
	}
	rt := rootType(c.roots[idx])
	steps := e.Traversal[1:]
	var cur node
	if a, ok := firstAttr(steps); ok && rt.IsObjectType() && rt.HasAttribute(a.Name) {
		cur = c.rootAttr(idx, a.Name)
		cur.typ = rt.AttributeType(a.Name)
		steps = steps[1:]
	} else {
		cur = node{typ: rt, eval: func(f Frame) (Value, error) {
			if r := f[idx]; r != nil {
				return Object(r), nil
			}
			return Null, nil
		}}
	}
	return c.steps(cur, steps)
}

func firstAttr(steps hcl.Traversal) (hcl.TraverseAttr, bool) {
	if len(steps) == 0 {
		return hcl.TraverseAttr{}, false
	}
	a, ok := steps[0].(hcl.TraverseAttr)
	return a, ok
}

// rootAttr reads one attribute of a root record by slot.
func (c *compiler) rootAttr(idx int, name string) node {
	l := c.roots[idx].Layout
	slot, _ := l.Index(name)
	return node{fast: rootAttrFast(idx, slot, l), eval: func(f Frame) (Value, error) {
		r := f[idx]
		if r == nil {
			return Null, errNullAttr
		}
		if r.Layout == l && slot < len(r.Values) {
			return readValue(r.Values[slot]), nil
		}
		v, ok := lookupAttr(r, name)
		if !ok {
			return Null, errNoAttr(name)
		}
		return readValue(v), nil
	}}
}

func (c *compiler) relativeTraversal(e *hclsyntax.RelativeTraversalExpr) (node, bool) {
	return c.steps(c.compile(e.Source), e.Traversal)
}

// steps applies traversal steps to cur.
func (c *compiler) steps(cur node, steps hcl.Traversal) (node, bool) {
	for _, s := range steps {
		switch s := s.(type) {
		case hcl.TraverseAttr:
			cur = getAttrNode(cur, s.Name)
		case hcl.TraverseIndex:
			kv, err := compileFromCty(s.Key)
			if err != nil {
				return node{}, false
			}
			cur = indexNode(cur, constNode(kv, s.Key.Type()))
		default:
			return node{}, false
		}
	}
	return cur, true
}

// attrType is the static type of attribute name of a value of type t.
func attrType(t cty.Type, name string) cty.Type {
	switch {
	case t.IsObjectType() && t.HasAttribute(name):
		return t.AttributeType(name)
	case t.IsMapType():
		return t.ElementType()
	}
	return cty.DynamicPseudoType
}

func getAttrNode(src node, name string) node {
	ev := src.eval
	return node{typ: attrType(src.typ, name), eval: func(f Frame) (Value, error) {
		v, err := ev(f)
		if err != nil {
			return Null, err
		}
		return getAttr(v, name)
	}}
}

// getAttr is hcl.GetAttr on a known value.
func getAttr(v Value, name string) (Value, error) {
	switch v.Kind {
	case KindNull:
		return Null, errNullAttr
	case KindObject:
		av, ok := lookupAttr(v.Obj, name)
		if !ok {
			return Null, errNoAttr(name)
		}
		return readValue(av), nil
	}
	return Null, errNoAttr(name)
}

// indexType is the static type of coll[key].
func indexType(ct cty.Type, key Value, konst bool) cty.Type {
	switch {
	case ct.IsListType() || ct.IsMapType():
		return ct.ElementType()
	case ct.IsTupleType() && konst:
		if k, err := convertPrim(key, cty.DynamicPseudoType, cty.Number); err == nil && k.Kind == KindNumber {
			ets := ct.TupleElementTypes()
			if i, ok := k.Int64(); ok && i >= 0 && i < int64(len(ets)) {
				return ets[i]
			}
		}
	case ct.IsObjectType() && konst:
		if k, err := convertPrim(key, cty.DynamicPseudoType, cty.String); err == nil && k.Kind == KindString {
			return attrType(ct, k.Str)
		}
	}
	return cty.DynamicPseudoType
}

func indexNode(coll, key node) node {
	return node{typ: indexType(coll.typ, key.val, key.konst), eval: func(f Frame) (Value, error) {
		cv, ct, err := coll.evalT(f)
		if err != nil {
			return Null, err
		}
		kv, kt, err := key.evalT(f)
		if err != nil {
			return Null, err
		}
		return indexValue(cv, ct, kv, kt)
	}}
}

func (c *compiler) index(e *hclsyntax.IndexExpr) (node, bool) {
	return indexNode(c.compile(e.Collection), c.compile(e.Key)), true
}

// indexValue is hcl.Index on known values.
func indexValue(coll Value, ct cty.Type, key Value, kt cty.Type) (Value, error) {
	if coll.Kind == KindNull {
		return Null, errNullIndex
	}
	if key.Kind == KindNull {
		return Null, errNullKey
	}
	ct = effType(coll, ct)
	switch {
	case ct.IsListType() || ct.IsTupleType():
		k, err := convertPrim(key, kt, cty.Number)
		if err != nil {
			return Null, fmt.Errorf("invalid index: %w", err)
		}
		n, ok := k.Int64()
		if !ok && k.Float() == 0 {
			n, ok = 0, true // -0
		}
		if coll.Kind != KindList || !ok || n < 0 || n >= int64(len(coll.List)) {
			return Null, errBadIndex
		}
		return readValue(coll.List[n]), nil
	case ct.IsMapType() || ct.IsObjectType():
		k, err := convertPrim(key, kt, cty.String)
		if err != nil {
			return Null, fmt.Errorf("invalid index: %w", err)
		}
		v, ok := lookupAttr(coll.Obj, k.Str)
		if !ok {
			return Null, errBadIndex
		}
		return readValue(v), nil
	}
	return Null, errNoIndex
}

// unary compiles ! and -.
func (c *compiler) unary(e *hclsyntax.UnaryOpExpr) (node, bool) {
	x := c.compile(e.Val)
	xe, xt := x.eval, x.typ
	switch e.Op {
	case hclsyntax.OpLogicalNot:
		var fast fastPath
		if x.typ == cty.Bool && x.fast.cond != nil {
			fast.cond = notFast(x.fast.cond)
		}
		return node{fast: fast, eval: func(f Frame) (Value, error) {
			v, err := xe(f)
			if err != nil {
				return Null, err
			}
			if v.Kind == KindBool { // what convertPrim gives it
				return Bool(!v.Bool), nil
			}
			b, err := convertPrim(v, xt, cty.Bool)
			if err != nil {
				return Null, err
			}
			if b.Kind == KindNull {
				return Null, errNullOperand
			}
			return Bool(!b.Bool), nil
		}}, true
	case hclsyntax.OpNegate:
		return node{eval: func(f Frame) (Value, error) {
			v, err := xe(f)
			if err != nil {
				return Null, err
			}
			n, err := convertPrim(v, xt, cty.Number)
			if err != nil {
				return Null, err
			}
			if n.Kind == KindNull {
				return Null, errNullOperand
			}
			return numNeg(n), nil
		}}, true
	}
	return node{}, false
}

// numOperands evaluates and converts the two operands of a numeric operator.
func numOperands(l, r *node, f Frame) (Value, Value, error) {
	lv, err := l.eval(f)
	if err != nil {
		return Null, Null, err
	}
	rv, err := r.eval(f)
	if err != nil {
		return Null, Null, err
	}
	if lv.Kind != KindNumber {
		if lv, err = convertPrim(lv, l.typ, cty.Number); err != nil {
			return Null, Null, err
		}
	}
	if rv.Kind != KindNumber {
		if rv, err = convertPrim(rv, r.typ, cty.Number); err != nil {
			return Null, Null, err
		}
	}
	if lv.Kind == KindNull || rv.Kind == KindNull {
		return Null, Null, errNullOperand
	}
	return lv, rv, nil
}

// binary compiles the binary operators.
func (c *compiler) binary(e *hclsyntax.BinaryOpExpr) (node, bool) {
	if n, ok := c.foldCompare(e); ok {
		return n, true
	}
	ln, rn := c.compile(e.LHS), c.compile(e.RHS)
	l, r := &ln, &rn
	arith := func(op func(a, b Value) (Value, error)) (node, bool) {
		return node{eval: func(f Frame) (Value, error) {
			a, b, err := numOperands(l, r, f)
			if err != nil {
				return Null, err
			}
			return op(a, b)
		}}, true
	}
	// cmp compares exactly (an int64 beyond 2^53 against a float64
	// included); NaN is unordered, so every comparison with it is false.
	cmp := func(want func(c int) bool) (node, bool) {
		var fast fastPath
		if l.fast.num != nil && r.fast.num != nil {
			fast.cond = numCompareFast(l.fast.num, r.fast.num, want, false)
		}
		return node{fast: fast, eval: func(f Frame) (Value, error) {
			a, b, err := numOperands(l, r, f)
			if err != nil {
				return Null, err
			}
			c, ok := numCompare(a, b)
			return Bool(ok && want(c)), nil
		}}, true
	}
	switch e.Op {
	case hclsyntax.OpAdd:
		return arith(numAdd)
	case hclsyntax.OpSubtract:
		return arith(numSub)
	case hclsyntax.OpMultiply:
		return arith(numMul)
	case hclsyntax.OpDivide:
		return arith(numDiv)
	case hclsyntax.OpModulo:
		return arith(numMod)
	case hclsyntax.OpGreaterThan:
		return cmp(func(c int) bool { return c > 0 })
	case hclsyntax.OpGreaterThanOrEqual:
		return cmp(func(c int) bool { return c >= 0 })
	case hclsyntax.OpLessThan:
		return cmp(func(c int) bool { return c < 0 })
	case hclsyntax.OpLessThanOrEqual:
		return cmp(func(c int) bool { return c <= 0 })
	case hclsyntax.OpEqual, hclsyntax.OpNotEqual:
		neg := e.Op == hclsyntax.OpNotEqual
		var fast fastPath
		if l.typ == cty.String && r.typ == cty.String && l.fast.str != nil && r.fast.str != nil {
			fast.cond = strEqualFast(l.fast.str, r.fast.str, neg)
		}
		if l.typ == cty.Number && r.typ == cty.Number && l.fast.num != nil && r.fast.num != nil {
			fast.cond = numCompareFast(l.fast.num, r.fast.num, func(c int) bool { return (c == 0) != neg }, neg)
		}
		return node{fast: fast, eval: func(f Frame) (Value, error) {
			lv, lt, err := l.evalT(f)
			if err != nil {
				return Null, err
			}
			rv, rt, err := r.evalT(f)
			if err != nil {
				return Null, err
			}
			eq, err := equalValues(lv, lt, rv, rt)
			if err != nil {
				return Null, err
			}
			return Bool(eq != neg), nil
		}}, true
	case hclsyntax.OpLogicalAnd:
		n := node{eval: func(f Frame) (Value, error) { return and(l, r, f) }}
		if plainBool(l) && plainBool(r) && l.fast.cond != nil && r.fast.cond != nil {
			// Neither side can fail conversion, so a false side decides
			// whatever the other side would do.
			n.fast.cond = andFast(l.fast.cond, r.fast.cond)
		}
		return n, true
	case hclsyntax.OpLogicalOr:
		n := node{eval: func(f Frame) (Value, error) { return or(l, r, f) }}
		if plainBool(l) && plainBool(r) && l.fast.cond != nil && r.fast.cond != nil {
			n.fast.cond = orFast(l.fast.cond, r.fast.cond)
		}
		return n, true
	}
	return node{}, false
}

// plainBool reports whether an operand of && or || is statically a bool
// whose failure, too, converts to bool: then no conversion error can come
// from it, and the other side's known result may decide alone.
func plainBool(n *node) bool {
	return n.typ == cty.Bool && convertible(n.errTyp, cty.Bool)
}

// equalValues is cty's Value.Equals on known values: nulls of any type are
// equal, values of different types are not.
func equalValues(a Value, at cty.Type, b Value, bt cty.Type) (bool, error) {
	switch {
	case a.Kind == KindNull && b.Kind == KindNull:
		return true, nil
	case a.Kind == KindNull || b.Kind == KindNull:
		return false, nil
	}
	at, bt = effType(a, at), effType(b, bt)
	if isPrimitive(at) && isPrimitive(bt) {
		if at != bt || a.Kind != b.Kind {
			return false, nil
		}
		switch a.Kind {
		case KindBool:
			return a.Bool == b.Bool, nil
		case KindNumber:
			return numEqual(a, b), nil
		default:
			return a.Str == b.Str, nil
		}
	}
	ca, err := compileToCty(a, at)
	if err != nil {
		return false, err
	}
	cb, err := compileToCty(b, bt)
	if err != nil {
		return false, err
	}
	eq := ca.Equals(cb)
	if !eq.IsKnown() {
		return false, errUnknown
	}
	return eq.True(), nil
}

// boolOperand converts one operand of && or || the way hcl does before its
// short-circuit rules: a failed operand is an unknown of its error type,
// which must still convert to bool.
func boolOperand(v Value, t cty.Type, err error) (b Value, known bool, fatal error) {
	if err != nil {
		ke, ok := err.(*knownError)
		if !ok {
			if !convertible(t, cty.Bool) {
				return Null, false, err
			}
			return Null, false, nil
		}
		v, t = ke.val, cty.String
	}
	if v.Kind == KindBool {
		return v, true, nil
	}
	b, cerr := convertPrim(v, t, cty.Bool)
	if cerr != nil {
		return Null, false, cerr
	}
	return b, true, nil
}

// and is hcl's &&: both sides are evaluated and converted (a conversion
// error fails), then a known false (or null, which cty's False() counts as
// false) on either side decides, carrying that side's errors only; only
// then do the other errors and nulls fail the operation.
func and(l, r *node, f Frame) (Value, error) {
	lv, lt, le := l.evalT(f)
	rv, rt, re := r.evalT(f)
	lb, lk, lf := boolOperand(lv, lt, le)
	rb, rk, rf := boolOperand(rv, rt, re)
	switch {
	case lf != nil:
		return Null, lf
	case rf != nil:
		return Null, rf
	case lk && !(lb.Kind == KindBool && lb.Bool):
		if le != nil {
			return Null, le
		}
		return Bool(false), nil
	case rk && !(rb.Kind == KindBool && rb.Bool):
		if re != nil {
			return Null, re
		}
		return Bool(false), nil
	case le != nil:
		return Null, le
	case re != nil:
		return Null, re
	}
	return Bool(true), nil
}

// or is hcl's ||: a known true on either side decides.
func or(l, r *node, f Frame) (Value, error) {
	lv, lt, le := l.evalT(f)
	rv, rt, re := r.evalT(f)
	lb, lk, lf := boolOperand(lv, lt, le)
	rb, rk, rf := boolOperand(rv, rt, re)
	switch {
	case lf != nil:
		return Null, lf
	case rf != nil:
		return Null, rf
	case lk && lb.Kind == KindBool && lb.Bool:
		if le != nil {
			return Null, le
		}
		return Bool(true), nil
	case rk && rb.Kind == KindBool && rb.Bool:
		if re != nil {
			return Null, re
		}
		return Bool(true), nil
	case le != nil:
		return Null, le
	case re != nil:
		return Null, re
	case lb.Kind == KindNull || rb.Kind == KindNull:
		return Null, errNullOperand
	}
	return Bool(false), nil
}

// foldCompare compiles lower(x) == "c" and upper(x) == "c" (and !=) into an
// allocation-free ASCII case-folding comparison. It applies only when x is
// statically a string and c a constant; a non-ASCII x takes the exact path
// (Unicode case mapping then NFC, as cty does), since Unicode case mapping
// can turn non-ASCII letters into ASCII ones (K, the Kelvin sign, lowers to k).
func (c *compiler) foldCompare(e *hclsyntax.BinaryOpExpr) (node, bool) {
	if e.Op != hclsyntax.OpEqual && e.Op != hclsyntax.OpNotEqual {
		return node{}, false
	}
	call, other := asCaseCall(e.LHS), e.RHS
	if call == nil {
		call, other = asCaseCall(e.RHS), e.LHS
	}
	if call == nil {
		return node{}, false
	}
	k := c.compile(other)
	if !k.konst || k.val.Kind != KindString || k.typ != cty.String {
		return node{}, false
	}
	x := c.compile(call.Args[0])
	if x.typ != cty.String {
		return node{}, false
	}
	want, neg, xe := k.val.Str, e.Op == hclsyntax.OpNotEqual, x.eval
	upper := call.Name == "upper"
	var fast fastPath
	if x.fast.str != nil {
		fast.cond = caseFoldEqualFast(x.fast.str, want, upper, neg)
	}
	return node{fast: fast, eval: func(f Frame) (Value, error) {
		v, err := xe(f)
		if err != nil {
			return Null, err
		}
		if v.Kind != KindString {
			return Null, errNullArg
		}
		var eq bool
		if isASCII(v.Str) {
			eq = asciiFoldEqual(v.Str, want, upper)
		} else if upper {
			eq = nfc(strings.ToUpper(v.Str)) == want
		} else {
			eq = nfc(strings.ToLower(v.Str)) == want
		}
		return Bool(eq != neg), nil
	}}, true
}

// asCaseCall returns e as a one-argument lower() or upper() call.
func asCaseCall(e hclsyntax.Expression) *hclsyntax.FunctionCallExpr {
	for {
		p, ok := e.(*hclsyntax.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expression
	}
	call, ok := e.(*hclsyntax.FunctionCallExpr)
	if !ok || call.ExpandFinal || len(call.Args) != 1 || (call.Name != "lower" && call.Name != "upper") {
		return nil
	}
	return call
}

// asciiFoldEqual reports whether lower(s) (or upper(s)) == want for ASCII s.
func asciiFoldEqual(s, want string, upper bool) bool {
	if len(s) != len(want) {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if upper {
			if 'a' <= b && b <= 'z' {
				b -= 'a' - 'A'
			}
		} else if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != want[i] {
			return false
		}
	}
	return true
}

// conditional compiles c ? a : b. hcl evaluates both branches, unifies their
// types (from the values: a null literal takes the other side's type), and
// converts the chosen result; errors of the branch not taken are dropped.
func (c *compiler) conditional(e *hclsyntax.ConditionalExpr) (node, bool) {
	cn, tn, fn := c.compile(e.Condition), c.compile(e.TrueResult), c.compile(e.FalseResult)
	cond, t, fl := &cn, &tn, &fn
	return withTyped(node{}, func(f Frame) (Value, cty.Type, error) {
		tv, tt, te := t.evalT(f)
		fv, ft, fe := fl.evalT(f)
		if te == nil {
			tt = effType(tv, tt)
		} else if ke, ok := te.(*knownError); ok {
			tt = effType(ke.val, tt)
		}
		if fe == nil {
			ft = effType(fv, ft)
		} else if ke, ok := fe.(*knownError); ok {
			ft = effType(ke.val, ft)
		}
		var rt cty.Type
		convT, convF := true, true
		switch {
		case te == nil && tv.Kind == KindNull && tt == cty.DynamicPseudoType:
			rt, convF = ft, false
		case fe == nil && fv.Kind == KindNull && ft == cty.DynamicPseudoType:
			rt, convT = tt, false
		case tt == cty.DynamicPseudoType || ft == cty.DynamicPseudoType:
			rt, convT, convF = cty.DynamicPseudoType, false, false
		default:
			rt = unifyTypes(tt, ft)
		}
		if rt == cty.NilType {
			return Null, cty.DynamicPseudoType, errInconsist
		}
		cv, err := cond.eval(f)
		if err != nil {
			return Null, rt, plainError(err) // a failed condition yields an unknown
		}
		if cv.Kind == KindNull {
			return Null, rt, errNullCond
		}
		b, err := convertPrim(cv, cond.typ, cty.Bool)
		if err != nil {
			return Null, rt, err
		}
		v, verr, vt, conv := fv, fe, ft, convF
		if b.Bool {
			v, verr, vt, conv = tv, te, tt, convT
		}
		noConv := !conv || vt.Equals(rt) || rt == cty.DynamicPseudoType
		if verr != nil {
			// hcl converts the failed branch's value too: an unknown
			// becomes an unknown of the result type.
			if noConv {
				return Null, vt, verr
			}
			if ke, ok := verr.(*knownError); ok {
				if cv, err := convertTo(ke.val, vt, rt); err == nil {
					return Null, rt, &knownError{err: ke.err, val: cv}
				}
				return Null, rt, ke.err
			}
			return Null, rt, verr
		}
		if noConv {
			return v, vt, nil
		}
		v, err = convertTo(v, vt, rt)
		return v, rt, err
	}), true
}

// unifyTypes is convert.UnifyUnsafe for two types, without allocating for
// the primitive pairs.
func unifyTypes(a, b cty.Type) cty.Type {
	if a.Equals(b) {
		return a
	}
	if isPrimitive(a) && isPrimitive(b) {
		if a == cty.String || b == cty.String {
			return cty.String
		}
		return cty.NilType
	}
	t, _ := convert.UnifyUnsafe([]cty.Type{a, b})
	return t
}

// convertTo converts v of type from to type to, as convert.Convert does.
func convertTo(v Value, from, to cty.Type) (Value, error) {
	if isPrimitive(to) {
		return convertPrim(v, from, to)
	}
	cv, err := compileToCty(v, from)
	if err != nil {
		return Null, err
	}
	cv, err = convert.Convert(cv, to)
	if err != nil {
		return Null, err
	}
	return compileFromCty(cv)
}

// template compiles "a ${b} c" (and %{if} directives, which parse into
// conditionals). Every part must be a non-null value convertible to string.
func (c *compiler) template(e *hclsyntax.TemplateExpr) (node, bool) {
	parts := make([]node, len(e.Parts))
	for i, p := range e.Parts {
		parts[i] = c.compile(p)
	}
	return node{eval: func(f Frame) (Value, error) {
		var sb strings.Builder
		var firstErr error
		known := true
		for _, p := range parts {
			v, err := p.eval(f)
			if err != nil {
				ke, ok := err.(*knownError)
				if firstErr == nil {
					firstErr = plainError(err)
				}
				if !ok {
					known = false
					continue
				}
				v = ke.val
			}
			if v.Kind == KindNull {
				if firstErr == nil {
					firstErr = errNullTmpl
				}
				continue
			}
			s, err := convertPrim(v, p.typ, cty.String)
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("invalid template interpolation value: %w", err)
				}
				continue
			}
			if firstErr == nil {
				sb.WriteString(s.Str)
			}
		}
		if firstErr != nil {
			if known {
				// hcl's result is the text before the failure.
				return Null, &knownError{err: firstErr, val: String(nfc(sb.String()))}
			}
			return Null, firstErr
		}
		return String(nfc(sb.String())), nil
	}}, true
}

// tuple compiles [a, b, c]. Its typed evaluator reports the tuple type of
// the elements' run-time types (a failed element counts with the type of
// its unknown), as hcl's tuple value has.
func (c *compiler) tuple(e *hclsyntax.TupleConsExpr) (node, bool) {
	elems := make([]node, len(e.Exprs))
	for i, x := range e.Exprs {
		elems[i] = c.compile(x)
	}
	n := node{eval: func(f Frame) (Value, error) {
		out := make([]Value, len(elems))
		for i := range elems {
			v, err := elems[i].eval(f)
			if err != nil {
				return Null, plainError(err)
			}
			out[i] = v
		}
		return List(out), nil
	}}
	n.typed = func(f Frame) (Value, cty.Type, error) {
		out := make([]Value, len(elems))
		types := make([]cty.Type, len(elems))
		var firstErr error
		for i := range elems {
			v, t, err := elems[i].evalT(f)
			if err != nil && firstErr == nil {
				firstErr = plainError(err)
			}
			out[i], types[i] = v, effType(v, t)
		}
		if firstErr != nil {
			return Null, cty.Tuple(types), firstErr
		}
		return List(out), cty.Tuple(types), nil
	}
	return n, true
}

// object compiles { a = x, b = y } when every key is a constant string;
// computed keys go to hcl.
func (c *compiler) object(e *hclsyntax.ObjectConsExpr, typ cty.Type) (node, bool) {
	if !typ.IsObjectType() {
		return node{}, false
	}
	l := NewLayout(typ)
	slots := make([]int, len(e.Items))
	vals := make([]node, len(e.Items))
	for i, it := range e.Items {
		_, kv, konst := c.staticType(it.KeyExpr)
		if !konst || c.readsRoot(it.KeyExpr) || kv.IsNull() || kv.Type() != cty.String {
			return node{}, false
		}
		slot, ok := l.Index(kv.AsString())
		if !ok {
			return node{}, false
		}
		slots[i], vals[i] = slot, c.compile(it.ValueExpr)
	}
	n := node{eval: func(f Frame) (Value, error) {
		r := newRecordOf(l, l.Len())
		for i := range vals {
			v, err := vals[i].eval(f)
			if err != nil {
				return Null, plainError(err)
			}
			r.Values[slots[i]] = v
		}
		return Object(r), nil
	}}
	n.typed = func(f Frame) (Value, cty.Type, error) {
		r := newRecordOf(l, l.Len())
		attrs := make(map[string]cty.Type, l.Len())
		var firstErr error
		for i := range vals {
			v, t, err := vals[i].evalT(f)
			if err != nil && firstErr == nil {
				firstErr = plainError(err)
			}
			r.Values[slots[i]] = v
			attrs[l.Names[slots[i]]] = effType(v, t)
		}
		if firstErr != nil {
			return Null, cty.Object(attrs), firstErr
		}
		return Object(r), cty.Object(attrs), nil
	}
	return n, true
}
