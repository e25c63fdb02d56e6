package eval

import (
	"errors"
	"flag"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

var (
	fuzzSeed  = flag.Int64("eval.seed", 0, "seed of TestDifferentialRandomExpressions (0: fixed default)")
	fuzzExprs = flag.Int("eval.exprs", 2000, "random expressions TestDifferentialRandomExpressions tries")
	fuzzDepth = flag.Int("eval.depth", 2, "random expressions nest 3 to 2+eval.depth levels deep")
)

// exprGen builds random expressions over diffSchema from the forms the
// compiler handles natively, to find combinations the table misses.
type exprGen struct{ rnd *rand.Rand }

var (
	genLeaves = []string{
		`record.amount`, `record.qty`, `record.name`, `record.country`, `record.code`,
		`record.flag`, `record.tags`, `record.nums`, `record.m`, `record.nested`,
		`record.any`, `record.any2`, `record.tags[0]`, `record.m["k"]`, `record.nested.x`,
		`record.nested.s`, `record.any.x`, `record.nums[1]`, `var.min_amount`, `var.country`,
		`local.factor`, `1`, `0`, `-2`, `100`, `2.5`, `"us"`, `"US"`, `""`, `"12"`, `"true"`,
		`true`, `false`, `null`, `[]`, `["a"]`, `record.set`, `record.any2.x`, `"K"`, `"\u212a"`,
		`"é"`, `{a = 1}`, `record.ts`, `record.ms`, `record.tags[*]`, `record.id`, `record.id2`,
	}
	// No / and %: with a literal operand cty divides in 512 bits, so a
	// quotient converted to a string has more digits (and strlen of it
	// differs), and x % 2.5 can differ in the last bits of a
	// cancellation: the documented divergence. The table covers both on
	// record values.
	genBinOps = []string{"+", "-", "*", "==", "!=", "<", ">", "<=", ">=", "&&", "||"}
	genCalls  = []struct {
		name  string
		arity int
	}{
		{"lower", 1}, {"upper", 1}, {"trimspace", 1}, {"strlen", 1}, {"length", 1},
		{"abs", 1}, {"floor", 1}, {"ceil", 1}, {"min", 2}, {"max", 2}, {"tostring", 1},
		{"tonumber", 1}, {"tobool", 1}, {"coalesce", 2}, {"try", 2}, {"can", 1},
		{"jsonencode", 1}, {"substr", 3}, {"replace", 3}, {"trimprefix", 2}, {"contains", 2},
		{"format_time", 1}, {"parse_time", 1}, {"title", 1}, {"join", 2},
		{"keys", 1}, {"values", 1}, {"jsondecode", 1}, {"lookup", 3}, {"element", 2},
		{"concat", 2}, {"merge", 2}, {"distinct", 1}, {"split", 2}, {"regex", 2},
	}
)

func (g exprGen) expr(depth int) string {
	if depth <= 0 || g.rnd.Intn(4) == 0 {
		return genLeaves[g.rnd.Intn(len(genLeaves))]
	}
	switch g.rnd.Intn(9) {
	case 0:
		return []string{"!", "-"}[g.rnd.Intn(2)] + g.expr(depth-1)
	case 1, 2, 3:
		return "(" + g.expr(depth-1) + " " + genBinOps[g.rnd.Intn(len(genBinOps))] + " " + g.expr(depth-1) + ")"
	case 4:
		return "(" + g.expr(depth-1) + " ? " + g.expr(depth-1) + " : " + g.expr(depth-1) + ")"
	case 5, 6:
		c := genCalls[g.rnd.Intn(len(genCalls))]
		args := make([]string, c.arity)
		for i := range args {
			args[i] = g.expr(depth - 1)
		}
		return c.name + "(" + strings.Join(args, ", ") + ")"
	case 7:
		return `"${` + g.expr(depth-1) + `}-${` + g.expr(depth-1) + `}"`
	default:
		switch g.rnd.Intn(4) {
		case 3:
			return "[for x in " + g.expr(depth-1) + " : " + g.expr(depth-1) + "]"
		case 0:
			return "[" + g.expr(depth-1) + ", " + g.expr(depth-1) + "]"
		case 1:
			return "{a = " + g.expr(depth-1) + "}"
		}
		return g.expr(depth-1) + "[" + g.expr(depth-1) + "]"
	}
}

// TestDifferentialRandomExpressions compiles random expressions (those hcl
// accepts statically) and holds them to hcl on random records.
func TestDifferentialRandomExpressions(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	l := NewLayout(diffSchema)
	roots := []Root{{Name: "record", Layout: l}}
	seed := int64(42)
	if *fuzzSeed != 0 {
		seed = *fuzzSeed
	}
	rnd := rand.New(rand.NewSource(seed))
	g := exprGen{rnd}
	// Numbers whose arithmetic float64 and cty round alike: no 0.1 (cty
	// keeps a literal's or a parsed string's 512 bits through division,
	// so x % 0.1 can differ) and no 1e300 (its products overflow float64
	// but not cty).
	rg := recGen{rnd: rnd, numbers: []float64{0, 1, -1, 2, 3, 7, 100, 99.5, 100.25, -2.5, 0.5, 1e15, -1e15, 1767225605000, 12345.125, -0.25, 4, 1.5}, ints: diffInts, irnd: rand.New(rand.NewSource(seed + 1))}
	type rec struct {
		c cty.Value
		r *Record
	}
	recs := make([]rec, 60)
	for i := range recs {
		recs[i].c, recs[i].r = rg.record(l)
	}
	compiled, cases, failed, unknown := 0, 0, 0, 0
	for n := 0; n < *fuzzExprs && failed < 10; n++ {
		src := g.expr(3 + n%*fuzzDepth)
		p, diags := Compile(ir.Expr{Source: src}, roots, diffConsts)
		if diags.HasErrors() {
			continue
		}
		compiled++
		for _, r := range recs {
			if _, err := p.Eval(Frame{r.r}); errors.Is(err, errUnknown) || hclUnknown(src, r.c) {
				// hcl's result was unknown somewhere inside (a dynamic
				// null passed to a function that rejects dynamic
				// types); hcl may still type it away, the compiled
				// program reports an error (documented).
				unknown++
				continue
			}
			cases++
			if d := diffOne(t, src, p, map[string]cty.Value{"record": r.c}, Frame{r.r}, diffConsts, numbersInText); d != "" {
				failed++
				t.Errorf("%s\nrecord %s (-hcl +compiled):\n%s", src, showCty(r.c), d)
				break
			}
		}
	}
	t.Logf("random expressions: %d compiled, %d cases (%d skipped: unknown in hcl)", compiled, cases, unknown)
}

// numbersInText compares the decimal numbers inside strings after rounding
// to float64: cty keeps a literal's 512-bit precision through division and
// a product's exact digits, so a number converted to a string after such
// an operation prints more digits than float64's shortest form (the
// documented divergence; the values agree after rounding).
var numbersInText = cmp.Transformer("roundNumbersInText", func(s string) string {
	return decimalRE.ReplaceAllStringFunc(s, func(m string) string {
		f, err := strconv.ParseFloat(m, 64)
		if err != nil {
			return m
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	})
})

var decimalRE = regexp.MustCompile(`[0-9]*\.[0-9]{17,}|[0-9]{17,}(\.[0-9]+)?`)

// hclUnknown reports whether hcl's result for src is not wholly known,
// without errors.
func hclUnknown(src string, rec cty.Value) bool {
	expr, diags := hclsyntax.ParseExpression([]byte(src), "", hcl.InitialPos)
	if diags.HasErrors() {
		return false
	}
	vars := map[string]cty.Value{"record": rec, "var": objectOrEmpty(diffConsts.Vars), "local": objectOrEmpty(diffConsts.Locals)}
	v, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: Functions()})
	return !diags.HasErrors() && !v.IsWhollyKnown()
}
