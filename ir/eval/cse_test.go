package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

var cseType = cty.Object(map[string]cty.Type{
	"level": cty.String,
	"s":     cty.String,
	"ok":    cty.Bool,
	"n":     cty.Number,
})

// cseRecord builds a record of cseType; a nil pointer is a null.
func cseRecord(l *Layout, level, s *string, ok bool, n int64) *Record {
	r := NewRecord(l)
	set := func(name string, v Value) {
		i, _ := l.Index(name)
		r.Values[i] = v
	}
	if level != nil {
		set("level", String(*level))
	}
	if s != nil {
		set("s", String(*s))
	}
	set("ok", Bool(ok))
	set("n", Int(n))
	return r
}

func strp(s string) *string { return &s }

// compileInScope notes every source in a new scope, then compiles each.
func compileInScope(t *testing.T, l *Layout, c Consts, srcs ...string) (*Scope, []*Program) {
	t.Helper()
	s := NewScope(c)
	for _, src := range srcs {
		s.Note(ir.Expr{Source: src})
	}
	var ps []*Program
	for _, src := range srcs {
		p, diags := Compile(ir.Expr{Source: src}, []Root{{Name: "record", Layout: l}}, c, InScope(s))
		if diags.HasErrors() {
			t.Fatalf("compile %s: %s", src, diags)
		}
		ps = append(ps, p)
	}
	return s, ps
}

// result is a program's outcome on one record, for comparisons.
type result struct {
	V   any
	Err bool
}

func evalAll(ps []*Program, r *Record) []result {
	out := make([]result, len(ps))
	for i, p := range ps {
		v, err := p.Eval(Frame{r})
		if err != nil {
			out[i] = result{Err: true}
			continue
		}
		out[i] = result{V: plainValue(v)}
	}
	return out
}

// The lognorm pattern: a filter and two map fields sharing a normalized
// level. Each record computes each shared subexpression once.
func TestScopeSharesSubexpressions(t *testing.T) {
	l := NewLayout(cseType)
	srcs := []string{
		`!contains(["debug", "trace"], lower(trimspace(coalesce(record.level, "info"))))`,
		`upper(trimspace(coalesce(record.level, "info")))`,
		`lower(trimspace(coalesce(record.level, "info")))`,
		`trimspace(coalesce(record.s, ""))`, // occurs once: not memoized
	}
	s, ps := compileInScope(t, l, Consts{}, srcs...)
	// Memoized: lower(trimspace(coalesce(…))) (filter and third field) and
	// trimspace(coalesce(record.level, …)) (inside it, and in upper(…)).
	if len(s.slots) != 2 {
		t.Errorf("memoized %d subexpressions, want 2", len(s.slots))
	}
	tests := []struct {
		name       string
		level, str *string
		want       []result
	}{
		{"warn", strp("  Warn "), strp(" x "), []result{{V: true}, {V: "WARN"}, {V: "warn"}, {V: "x"}}},
		{"null level", nil, strp("y"), []result{{V: true}, {V: "INFO"}, {V: "info"}, {V: "y"}}},
		{"debug", strp(" DEBUG"), nil, []result{{V: false}, {V: "DEBUG"}, {V: "debug"}, {V: ""}}},
	}
	r := NewRecord(l)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One record reused, as the stateless processor decodes into
			// one: Track after every change of its values.
			*r = *cseRecord(l, tt.level, tt.str, false, 0)
			s.Track(r)
			before := s.misses
			if diff := cmp.Diff(tt.want, evalAll(ps, r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got := s.misses - before; got != 2 {
				t.Errorf("computed %d memo entries, want 2 (once each per record)", got)
			}
			// Again without Track: every value from the memo.
			if diff := cmp.Diff(tt.want, evalAll(ps, r)); diff != "" {
				t.Errorf("second evaluation (-want +got):\n%s", diff)
			}
			if got := s.misses - before; got != 2 {
				t.Errorf("computed %d memo entries after a second evaluation, want still 2", got)
			}
		})
	}
	// A record the scope does not track is evaluated without a memo.
	u := cseRecord(l, strp("Error"), strp("z"), false, 0)
	before := s.misses
	want := []result{{V: true}, {V: "ERROR"}, {V: "error"}, {V: "z"}}
	if diff := cmp.Diff(want, evalAll(ps, u)); diff != "" {
		t.Errorf("untracked record (-want +got):\n%s", diff)
	}
	if s.misses != before {
		t.Errorf("an untracked record used the memo")
	}
	// Untracked again, a record is no longer memoized.
	s.Untrack(r)
	*r = *cseRecord(l, strp("trace"), nil, false, 0)
	if diff := cmp.Diff([]result{{V: false}, {V: "TRACE"}, {V: "trace"}, {V: ""}}, evalAll(ps, r)); diff != "" {
		t.Errorf("untracked record (-want +got):\n%s", diff)
	}
}

// A memoized subexpression is computed where an evaluation needs it,
// lazily: not for a try() argument that is never reached. Its failure is
// the same wherever it appears: caught by try() and can(), dropped in a
// branch not taken, failing the program elsewhere.
func TestScopeErrorsAndLaziness(t *testing.T) {
	l := NewLayout(cseType)
	srcs := []string{
		// A null level converts to a null number: try() returns it and
		// never needs the second argument.
		`try(tonumber(record.level), tonumber(record.s) * 2)`,
		`try(tonumber(record.s) * 2, -1)`,
		`can(tonumber(record.s) * 2)`,
		`record.ok ? tonumber(record.s) * 2 : 0`,
		`tonumber(record.s) * 2 + record.n`,
	}
	s, ps := compileInScope(t, l, Consts{}, srcs...)
	tests := []struct {
		name   string
		level  *string
		s      string
		ok     bool
		lazy   bool // the first program does not need the shared value
		want   []result
		misses int
	}{
		{"number", nil, "21", true, true, []result{{V: nil}, {V: 42.0}, {V: true}, {V: 42.0}, {V: 43.0}}, 1},
		{"not a number, branch not taken", nil, "abc", false, true, []result{{V: nil}, {V: -1.0}, {V: false}, {V: 0.0}, {Err: true}}, 1},
		{"not a number, branch taken", strp("x"), "abc", true, false, []result{{Err: true}, {V: -1.0}, {V: false}, {Err: true}, {Err: true}}, 1},
		{"level not a number", strp("info"), "5", false, false, []result{{V: 10.0}, {V: 10.0}, {V: true}, {V: 0.0}, {V: 11.0}}, 1},
	}
	r := NewRecord(l)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*r = *cseRecord(l, tt.level, &tt.s, tt.ok, 1)
			s.Track(r)
			before := s.misses
			if _, err := ps[0].Eval(Frame{r}); (err != nil) != (tt.want[0].Err) {
				t.Fatalf("first program: error %v, want error %v", err, tt.want[0].Err)
			}
			if got, want := s.misses-before, map[bool]int{true: 0, false: 1}[tt.lazy]; got != want {
				t.Errorf("after the try(): %d memo entries computed, want %d", got, want)
			}
			if diff := cmp.Diff(tt.want, evalAll(ps, r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got := s.misses - before; got != tt.misses {
				t.Errorf("%d memo entries computed, want %d", got, tt.misses)
			}
		})
	}
}

// Records of another layout never share a memo entry with these: the same
// text over another record is another value.
func TestScopeKeysByLayout(t *testing.T) {
	l1 := NewLayout(cseType)
	l2 := NewLayout(cty.Object(map[string]cty.Type{"level": cty.String}))
	s := NewScope(Consts{})
	src := `upper(trimspace(record.level))`
	for range 2 {
		s.Note(ir.Expr{Source: src})
	}
	p1, d1 := Compile(ir.Expr{Source: src}, []Root{{Name: "record", Layout: l1}}, Consts{}, InScope(s))
	p2, d2 := Compile(ir.Expr{Source: src}, []Root{{Name: "record", Layout: l2}}, Consts{}, InScope(s))
	if d1.HasErrors() || d2.HasErrors() {
		t.Fatal(d1, d2)
	}
	r1 := cseRecord(l1, strp(" a "), nil, false, 0)
	r2 := &Record{Layout: l2, Values: []Value{String(" b ")}}
	s.Track(r1)
	s.Track(r2)
	var got []result
	for range 2 {
		got = append(got, evalAll([]*Program{p1}, r1)...)
		got = append(got, evalAll([]*Program{p2}, r2)...)
	}
	if diff := cmp.Diff([]result{{V: "A"}, {V: "B"}, {V: "A"}, {V: "B"}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(s.slots) != 2 || s.misses != 2 {
		t.Errorf("%d slots, %d entries computed; want 2 and 2 (one per layout)", len(s.slots), s.misses)
	}
}

func TestCSEKey(t *testing.T) {
	key := func(src string) string {
		e, diags := hclsyntax.ParseExpression([]byte(src), "k.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("parse %s: %s", src, diags)
		}
		return cseKey(e, map[hclsyntax.Expression]string{})
	}
	tests := []struct {
		a, b string
		same bool
	}{
		{`lower(trimspace(record.a))`, `lower( trimspace( record.a ) )`, true},
		{`lower(trimspace(record.a))`, `lower((trimspace(record.a)))`, true},
		{`lower(record.a)`, `upper(record.a)`, false},
		{`coalesce(record.a, "1")`, `coalesce(record.a, 1)`, false},
		{`record.a + 1`, `record.a - 1`, false},
		{`record.a + 1`, `1 + record.a`, false}, // not commutative-normalized
		{`record.a`, `record["a"]`, false},
		{`record.a.b`, `record.a.b`, true},
		{`record.a == "x" ? 1 : 2`, `record.a == "x" ? 1 : 2`, true},
		{`"${record.a}-x"`, `"${record.a}-x"`, true},
		{`"${record.a}-x"`, `"${record.a}-y"`, false},
		{`!record.ok`, `-record.n`, false},
		{`[record.a, 1]`, `[record.a, 1]`, true},
		{`record.l[0]`, `record.l[1]`, false},
	}
	for _, tt := range tests {
		ka, kb := key(tt.a), key(tt.b)
		if ka == "" || kb == "" {
			t.Errorf("%s / %s: no key (%q, %q)", tt.a, tt.b, ka, kb)
			continue
		}
		if (ka == kb) != tt.same {
			t.Errorf("%s / %s: same key %v, want %v (%q, %q)", tt.a, tt.b, ka == kb, tt.same, ka, kb)
		}
	}
	// Never memoized: impure calls, and syntax without a canonical form.
	for _, src := range []string{
		`uuid()`, `upper(uuid())`, `timestamp()`, `record.a == timestamp()`,
		`[for x in record.l : x]`, `record.l[*].a`, `{a = record.a}`, `concat(record.l...)`,
	} {
		if k := key(src); k != "" {
			t.Errorf("%s: key %q, want none", src, k)
		}
	}
}

// Every differential expression, compiled in one scope (with repeats, so
// that most subexpressions are shared), gives what it gives compiled
// alone, in any order of evaluation.
func TestDifferentialInScope(t *testing.T) {
	l := NewLayout(diffSchema)
	roots := []Root{{Name: "record", Layout: l}}
	srcs := append(append([]string(nil), diffExprs...), diffExprs...)
	s := NewScope(diffConsts)
	for _, src := range srcs {
		s.Note(ir.Expr{Source: src})
	}
	var alone, scoped []*Program
	for _, src := range srcs {
		a, diags := Compile(ir.Expr{Source: src}, roots, diffConsts)
		if diags.HasErrors() {
			t.Fatalf("compile %s: %s", src, diags)
		}
		p, diags := Compile(ir.Expr{Source: src}, roots, diffConsts, InScope(s))
		if diags.HasErrors() {
			t.Fatalf("compile %s in a scope: %s", src, diags)
		}
		alone, scoped = append(alone, a), append(scoped, p)
	}
	if len(s.slots) == 0 {
		t.Fatal("nothing memoized")
	}
	g := newRecGen(20260215)
	r := NewRecord(l)
	for range diffRecordsPerExpr {
		_, rec := g.record(l)
		*r = *rec
		want := make([]outcome, len(srcs))
		for i, p := range alone {
			want[i] = compiledOutcome(p, Frame{r})
		}
		for pass, order := range [][]int{forward(len(srcs)), backward(len(srcs))} {
			s.Track(r)
			for _, i := range order {
				got := compiledOutcome(scoped[i], Frame{r})
				if diff := cmp.Diff(want[i], got, cmpNaN); diff != "" {
					t.Fatalf("pass %d, %s on %v: alone vs in scope (-alone +scope):\n%s", pass, srcs[i], r.Values, diff)
				}
			}
		}
	}
}

var cmpNaN = cmp.Comparer(func(a, b float64) bool { return a == b || (a != a && b != b) })

func forward(n int) []int {
	o := make([]int, n)
	for i := range o {
		o[i] = i
	}
	return o
}

func backward(n int) []int {
	o := forward(n)
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		o[i], o[j] = o[j], o[i]
	}
	return o
}

// A program compiled with other constants than its scope's does not use
// the scope: its values would be memoized under the same text.
func TestScopeOtherConstants(t *testing.T) {
	l := NewLayout(cseType)
	c1 := Consts{Vars: map[string]cty.Value{"p": cty.StringVal("a-")}}
	c2 := Consts{Vars: map[string]cty.Value{"p": cty.StringVal("b-")}}
	s := NewScope(c1)
	src := `upper("${var.p}${record.s}")`
	s.Note(ir.Expr{Source: src})
	s.Note(ir.Expr{Source: src})
	p1, _ := Compile(ir.Expr{Source: src}, []Root{{Name: "record", Layout: l}}, c1, InScope(s))
	p2, _ := Compile(ir.Expr{Source: src}, []Root{{Name: "record", Layout: l}}, c2, InScope(s))
	r := cseRecord(l, nil, strp("x"), false, 0)
	s.Track(r)
	got := evalAll([]*Program{p1, p2}, r)
	if diff := cmp.Diff([]result{{V: "A-X"}, {V: "B-X"}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The string paths of contains() and coalesce() (no type lookups per
// element or argument) give cty's results.
func TestContainsCoalesceStrings(t *testing.T) {
	l := NewLayout(cseType)
	tests := []struct {
		src   string
		level *string
		want  result
	}{
		{`contains(["debug", "trace"], record.level)`, strp("trace"), result{V: true}},
		{`contains(["debug", "trace"], record.level)`, strp("Trace"), result{V: false}},
		{`contains(["debug", "trace"], record.level)`, nil, result{V: false}},
		{`contains([], record.level)`, strp("x"), result{V: false}},
		{`contains(["a", null], record.level)`, strp("a"), result{V: true}},
		{`contains(["a", null], record.level)`, nil, result{V: true}},
		{`coalesce(record.level, "info")`, nil, result{V: "info"}},
		{`coalesce(record.level, "info")`, strp(""), result{V: ""}},
		{`coalesce(record.level, 7)`, nil, result{V: "7"}},
		{`coalesce(record.n, record.level)`, strp("x"), result{V: "1"}},
	}
	for _, tt := range tests {
		p, diags := Compile(ir.Expr{Source: tt.src}, []Root{{Name: "record", Layout: l}}, Consts{})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", tt.src, diags)
		}
		got := evalAll([]*Program{p}, cseRecord(l, tt.level, nil, false, 1))[0]
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (level %v): (-want +got):\n%s", tt.src, tt.level, diff)
		}
	}
}
