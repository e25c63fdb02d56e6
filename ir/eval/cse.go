package eval

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// Common subexpressions. A stage often computes one value several times
// per record: examples/lognorm's filter and map compute
// lower(trimspace(coalesce(record.level, "info"))) three times between
// them. A Scope lets the programs of one stage share such values: the
// subexpressions that occur more than once among the expressions noted in
// the scope (Note) are compiled to look their result up in a per-record
// memo before computing it. The memo lives in the scope, one per record
// the caller tracks (Track), and is forgotten when the record is tracked
// again, which the caller does whenever the record's values change.
//
// A memoized subexpression is computed lazily, when an evaluation first
// needs it, so it is never computed where it would not have been (a try()
// argument, a branch of a conditional). Its result, error included, is
// the same wherever it appears: subexpressions are keyed by a canonical
// form (cseKey) and the layout of the record they read, every function in
// Functions() is pure, and calls of functions that are not
// (impureFuncs) are never memoized.

// Scope is the compilation context programs share common subexpressions
// through; see CompileOption InScope. A Scope and the programs compiled in
// it must be used by one goroutine at a time.
type Scope struct {
	consts  Consts
	counts  map[string]int // occurrences noted, by canonical form
	slots   map[slotKey]int
	tracked []trackedRec
	// misses counts memo entries computed (for tests).
	misses int
}

type slotKey struct {
	layout *Layout
	key    string
}

// trackedRec is the memo of one tracked record: an entry is valid when its
// gen is the record's.
type trackedRec struct {
	rec   *Record
	gen   uint64
	slots []memoEntry
}

type memoEntry struct {
	gen uint64
	v   Value
	t   cty.Type
	err error
}

// NewScope returns a scope for programs compiled with constants c (folded
// into the programs, so every program of one scope must use the same).
func NewScope(c Consts) *Scope {
	return &Scope{consts: c, counts: map[string]int{}, slots: map[slotKey]int{}}
}

// Note counts e's subexpressions. Compile memoizes the ones noted more than
// once, so a caller notes every expression it will compile in the scope
// before compiling any. An expression that does not parse is skipped
// (Compile reports it).
func (s *Scope) Note(e ir.Expr) {
	expr, diags := parse(e)
	if diags.HasErrors() {
		return
	}
	keys := map[hclsyntax.Expression]string{}
	var walk func(x hclsyntax.Expression)
	walk = func(x hclsyntax.Expression) {
		if memoizable(x) {
			if k := cseKey(x, keys); k != "" {
				s.counts[k]++
				if s.counts[k] > 1 {
					return // its parts are counted with its first occurrence
				}
			}
		}
		for _, k := range cseChildren(x) {
			walk(k)
		}
	}
	walk(expr)
}

// Track starts or renews the memo of r: results memoized for r are
// forgotten. Call it whenever r's values change (after decoding into r,
// after rebuilding it), before evaluating programs of the scope on it.
func (s *Scope) Track(r *Record) {
	for i := range s.tracked {
		if t := &s.tracked[i]; t.rec == r {
			t.gen++
			if len(t.slots) < len(s.slots) {
				t.slots = append(t.slots, make([]memoEntry, len(s.slots)-len(t.slots))...)
			}
			return
		}
	}
	s.tracked = append(s.tracked, trackedRec{rec: r, gen: 1, slots: make([]memoEntry, len(s.slots))})
}

// Untrack forgets r's memo.
func (s *Scope) Untrack(r *Record) {
	for i := range s.tracked {
		if s.tracked[i].rec == r {
			s.tracked = append(s.tracked[:i], s.tracked[i+1:]...)
			return
		}
	}
}

// sameConsts reports whether c are the scope's constants (the same maps).
func (s *Scope) sameConsts(c Consts) bool {
	return reflect.ValueOf(c.Vars).UnsafePointer() == reflect.ValueOf(s.consts.Vars).UnsafePointer() &&
		reflect.ValueOf(c.Locals).UnsafePointer() == reflect.ValueOf(s.consts.Locals).UnsafePointer()
}

// memoize wraps n, the compiled form of e over the single root, in a memo
// lookup when e occurs more than once in the scope.
func (c *compiler) memoize(e hclsyntax.Expression, n node) node {
	s := c.scope
	if s == nil || n.konst || len(c.roots) != 1 || c.roots[0].Layout == nil || !memoizable(e) {
		return n
	}
	k := cseKey(e, c.keys)
	if k == "" || s.counts[k] < 2 || !c.readsRoot(e) {
		return n
	}
	l := c.roots[0].Layout
	sk := slotKey{l, k}
	slot, ok := s.slots[sk]
	if !ok {
		slot = len(s.slots)
		s.slots[sk] = slot
	}
	inner := n
	// entry returns the record's memo entry, computed, or nil when the
	// record is not tracked.
	entry := func(f Frame) *memoEntry {
		if len(f) == 0 || f[0] == nil || f[0].Layout != l {
			return nil
		}
		r := f[0]
		for i := range s.tracked {
			t := &s.tracked[i]
			if t.rec != r {
				continue
			}
			if slot >= len(t.slots) {
				return nil // compiled after the record was tracked
			}
			m := &t.slots[slot]
			if m.gen != t.gen {
				m.v, m.t, m.err = inner.evalT(f)
				m.gen = t.gen
				s.misses++
			}
			return m
		}
		return nil
	}
	n.typed = func(f Frame) (Value, cty.Type, error) {
		if m := entry(f); m != nil {
			return m.v, m.t, m.err
		}
		return inner.evalT(f)
	}
	n.eval = func(f Frame) (Value, error) {
		if m := entry(f); m != nil {
			return m.v, m.err
		}
		return inner.eval(f)
	}
	// The fast paths read the memo too; anything but the plain case
	// defers to the full evaluator, as every fast path does.
	if fc := inner.fast.cond; fc != nil {
		n.fast.cond = func(f Frame) (bool, bool) {
			if m := entry(f); m != nil {
				return m.v.Bool, m.err == nil && m.v.Kind == KindBool
			}
			return fc(f)
		}
	}
	if fn := inner.fast.num; fn != nil {
		n.fast.num = func(f Frame) (fnum, bool) {
			if m := entry(f); m != nil {
				return fnum{m.v.num, m.v.isInt}, m.err == nil && m.v.Kind == KindNumber
			}
			return fn(f)
		}
	}
	if fs := inner.fast.str; fs != nil {
		n.fast.str = func(f Frame) (string, bool) {
			if m := entry(f); m != nil {
				// An evaluated string is NFC already (see fastPath).
				return m.v.Str, m.err == nil && m.v.Kind == KindString
			}
			return fs(f)
		}
	}
	return n
}

// memoizable reports whether e is worth memoizing: an operation, not a
// literal or an attribute read (cheaper than the memo), nor a wrapper
// (parentheses) whose content is memoized itself.
func memoizable(e hclsyntax.Expression) bool {
	switch e := e.(type) {
	case *hclsyntax.FunctionCallExpr, *hclsyntax.BinaryOpExpr, *hclsyntax.UnaryOpExpr,
		*hclsyntax.ConditionalExpr, *hclsyntax.IndexExpr:
		return true
	case *hclsyntax.TemplateExpr:
		return !e.IsStringLiteral()
	}
	return false
}

// impureFuncs are functions whose result may differ between two calls with
// the same arguments. Functions() has none today; these names are never
// memoized should one be added.
var impureFuncs = map[string]bool{
	"timestamp": true, "plantimestamp": true, "now": true,
	"uuid": true, "uuidv4": true, "bcrypt": true, "random": true,
}

// cseChildren are the subexpressions of e that compile as expressions of
// their own (and so may be memoized).
func cseChildren(e hclsyntax.Expression) []hclsyntax.Expression {
	switch e := e.(type) {
	case *hclsyntax.FunctionCallExpr:
		return e.Args
	case *hclsyntax.BinaryOpExpr:
		return []hclsyntax.Expression{e.LHS, e.RHS}
	case *hclsyntax.UnaryOpExpr:
		return []hclsyntax.Expression{e.Val}
	case *hclsyntax.ConditionalExpr:
		return []hclsyntax.Expression{e.Condition, e.TrueResult, e.FalseResult}
	case *hclsyntax.IndexExpr:
		return []hclsyntax.Expression{e.Collection, e.Key}
	case *hclsyntax.ParenthesesExpr:
		return []hclsyntax.Expression{e.Expression}
	case *hclsyntax.TemplateWrapExpr:
		return []hclsyntax.Expression{e.Wrapped}
	case *hclsyntax.TemplateExpr:
		return e.Parts
	case *hclsyntax.TupleConsExpr:
		return e.Exprs
	case *hclsyntax.RelativeTraversalExpr:
		return []hclsyntax.Expression{e.Source}
	case *hclsyntax.ObjectConsExpr:
		var vs []hclsyntax.Expression
		for _, it := range e.Items {
			vs = append(vs, it.ValueExpr)
		}
		return vs
	}
	return nil
}

var binaryOps = map[*hclsyntax.Operation]string{
	hclsyntax.OpLogicalOr: "||", hclsyntax.OpLogicalAnd: "&&",
	hclsyntax.OpEqual: "==", hclsyntax.OpNotEqual: "!=",
	hclsyntax.OpGreaterThan: ">", hclsyntax.OpGreaterThanOrEqual: ">=",
	hclsyntax.OpLessThan: "<", hclsyntax.OpLessThanOrEqual: "<=",
	hclsyntax.OpAdd: "+", hclsyntax.OpSubtract: "-", hclsyntax.OpMultiply: "*",
	hclsyntax.OpDivide: "/", hclsyntax.OpModulo: "%",
}

var unaryOps = map[*hclsyntax.Operation]string{
	hclsyntax.OpLogicalNot: "!", hclsyntax.OpNegate: "neg",
}

// cseKey is the canonical form of e: two expressions with the same key
// compute the same value (and error) over the same record and constants.
// Parentheses are dropped; everything else is spelled out with its kind.
// It is "" for an expression never memoized: one with syntax it does not
// spell (for expressions, splats, object constructors), or a call of an
// impure or unknown-arity form (an expanded final argument). keys memoizes
// it per node.
func cseKey(e hclsyntax.Expression, keys map[hclsyntax.Expression]string) string {
	if k, ok := keys[e]; ok {
		return k
	}
	k := spellKey(e, keys)
	keys[e] = k
	return k
}

func spellKey(e hclsyntax.Expression, keys map[hclsyntax.Expression]string) string {
	var b strings.Builder
	list := func(open string, xs []hclsyntax.Expression) bool {
		b.WriteString(open)
		for i, x := range xs {
			k := cseKey(x, keys)
			if k == "" {
				return false
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(k)
		}
		b.WriteByte(')')
		return true
	}
	switch e := e.(type) {
	case *hclsyntax.ParenthesesExpr:
		return cseKey(e.Expression, keys)
	case *hclsyntax.LiteralValueExpr:
		return "lit(" + e.Val.GoString() + ")"
	case *hclsyntax.ScopeTraversalExpr:
		return traversalKey("ref(", e.Traversal)
	case *hclsyntax.RelativeTraversalExpr:
		src := cseKey(e.Source, keys)
		if src == "" {
			return ""
		}
		return traversalKey("rel("+src+";", e.Traversal)
	case *hclsyntax.FunctionCallExpr:
		if e.ExpandFinal || impureFuncs[e.Name] {
			return ""
		}
		if !list("call:"+e.Name+"(", e.Args) {
			return ""
		}
	case *hclsyntax.BinaryOpExpr:
		op, ok := binaryOps[e.Op]
		if !ok || !list("bin:"+op+"(", []hclsyntax.Expression{e.LHS, e.RHS}) {
			return ""
		}
	case *hclsyntax.UnaryOpExpr:
		op, ok := unaryOps[e.Op]
		if !ok || !list("un:"+op+"(", []hclsyntax.Expression{e.Val}) {
			return ""
		}
	case *hclsyntax.ConditionalExpr:
		if !list("cond(", []hclsyntax.Expression{e.Condition, e.TrueResult, e.FalseResult}) {
			return ""
		}
	case *hclsyntax.IndexExpr:
		if !list("index(", []hclsyntax.Expression{e.Collection, e.Key}) {
			return ""
		}
	case *hclsyntax.TemplateWrapExpr:
		if !list("wrap(", []hclsyntax.Expression{e.Wrapped}) {
			return ""
		}
	case *hclsyntax.TemplateExpr:
		if !list("tmpl(", e.Parts) {
			return ""
		}
	case *hclsyntax.TupleConsExpr:
		if !list("tuple(", e.Exprs) {
			return ""
		}
	default:
		return ""
	}
	return b.String()
}

// traversalKey spells a traversal's steps; "" for a splat or an unknown
// step.
func traversalKey(prefix string, t hcl.Traversal) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(strconv.Quote(s.Name))
		case hcl.TraverseAttr:
			b.WriteString("." + strconv.Quote(s.Name))
		case hcl.TraverseIndex:
			b.WriteString("[" + s.Key.GoString() + "]")
		default:
			return ""
		}
	}
	b.WriteByte(')')
	return b.String()
}
