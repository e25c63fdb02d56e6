package eval

import "cmp"

// The fast path. Value is a 64-byte union, and returning it through every
// closure of a filter costs more than the filter's own work. Hot nodes
// therefore also carry typed closures that return a plain bool, number
// (fnum) or string and report ok=false whenever the case is anything but
// the plain one: a null, an error, a value needing conversion, non-ASCII
// text. The caller then runs the node's full evaluator, which implements
// every rule, so the fast path never decides anything the full path would
// decide differently; it only skips work.

// condFn, numFn and strFn are fast paths returning ok=false to defer to
// the full evaluator.
type (
	condFn func(Frame) (b, ok bool)
	numFn  func(Frame) (fnum, bool)
	strFn  func(Frame) (string, bool)
)

// fnum is a number on the fast path: a Value's number without the rest of
// the Value (see Value: the bits of an int64 or of a float64).
type fnum struct {
	bits  uint64
	isInt bool
}

// fastPath holds the typed fast paths a node has (any may be nil). A
// string from str is NFC, as every evaluated string Value is: a record's
// raw strings qualify only when ASCII.
type fastPath struct {
	cond condFn
	num  numFn
	str  strFn
}

// rootAttrFast reads a root attribute by slot without copying the Value.
// Strings qualify only when ASCII (already NFC).
func rootAttrFast(idx, slot int, l *Layout) fastPath {
	return fastPath{
		cond: func(f Frame) (bool, bool) {
			if r := f[idx]; r != nil && r.Layout == l {
				if v := &r.Values[slot]; v.Kind == KindBool {
					return v.Bool, true
				}
			}
			return false, false
		},
		num: func(f Frame) (fnum, bool) {
			if r := f[idx]; r != nil && r.Layout == l {
				if v := &r.Values[slot]; v.Kind == KindNumber {
					return fnum{v.num, v.isInt}, true
				}
			}
			return fnum{}, false
		},
		str: func(f Frame) (string, bool) {
			if r := f[idx]; r != nil && r.Layout == l {
				if v := &r.Values[slot]; v.Kind == KindString && (v.safe || isASCII(v.Str)) {
					return v.Str, true
				}
			}
			return "", false
		},
	}
}

// numCompareFast is x OP y on two numbers, compared exactly (cmpNum): want
// says which orders make it true, unordered what a NaN gives.
func numCompareFast(l, r numFn, want func(c int) bool, unordered bool) condFn {
	return func(f Frame) (bool, bool) {
		a, ok := l(f)
		if !ok {
			return false, false
		}
		b, ok := r(f)
		if !ok {
			return false, false
		}
		if a.isInt && b.isInt { // the common case, inline
			x, y := int64(a.bits), int64(b.bits)
			return want(cmp.Compare(x, y)), true
		}
		c, ordered := cmpNum(a.bits, a.isInt, b.bits, b.isInt)
		if !ordered {
			return unordered, true
		}
		return want(c), true
	}
}

// strEqualFast is x == y (or !=) on two strings.
func strEqualFast(l, r strFn, neg bool) condFn {
	return func(f Frame) (bool, bool) {
		a, ok := l(f)
		if !ok {
			return false, false
		}
		b, ok := r(f)
		if !ok {
			return false, false
		}
		return (a == b) != neg, true
	}
}

// andFast is && when both sides are plain bools (see plainBool): a false
// side decides alone.
func andFast(l, r condFn) condFn {
	return func(f Frame) (bool, bool) {
		a, aok := l(f)
		if aok && !a {
			return false, true
		}
		b, bok := r(f)
		if bok && !b {
			return false, true
		}
		return true, aok && bok
	}
}

// orFast is || when both sides are plain bools: a true side decides alone.
func orFast(l, r condFn) condFn {
	return func(f Frame) (bool, bool) {
		a, aok := l(f)
		if aok && a {
			return true, true
		}
		b, bok := r(f)
		if bok && b {
			return true, true
		}
		return false, aok && bok
	}
}

// notFast is !x.
func notFast(x condFn) condFn {
	return func(f Frame) (bool, bool) {
		b, ok := x(f)
		return !b, ok
	}
}

// caseFoldEqualFast is lower(x) == want (or upper, or !=) for ASCII x.
func caseFoldEqualFast(x strFn, want string, upper, neg bool) condFn {
	return func(f Frame) (bool, bool) {
		s, ok := x(f)
		if !ok || !isASCII(s) {
			return false, false
		}
		return asciiFoldEqual(s, want, upper) != neg, true
	}
}

// withCond adds a cond fast path to a node; every bool-valued node can
// offer one built on its full evaluator, which fast parents then use.
func (n node) withCond(c condFn) node {
	n.fast.cond = c
	return n
}
