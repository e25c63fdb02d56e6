package eval

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// benchFilter is the filter of the design's example pipeline.
const benchFilter = `record.amount >= 100 && lower(record.country) == "us"`

var benchSchema = cty.Object(map[string]cty.Type{
	"id":          cty.String,
	"amount":      cty.Number,
	"customer_id": cty.String,
	"country":     cty.String,
	"ts":          cty.String,
})

// benchRecords returns the same orders as compiled records and as cty
// objects.
func benchRecords(n int) ([]*Record, []cty.Value) {
	l := NewLayout(benchSchema)
	rnd := rand.New(rand.NewSource(1))
	countries := []string{"US", "us", "DE", "Us", "FR", "usa"}
	recs := make([]*Record, n)
	ctys := make([]cty.Value, n)
	for i := range recs {
		amount := float64(rnd.Intn(300))
		country := countries[rnd.Intn(len(countries))]
		r := NewRecord(l)
		vals := map[string]cty.Value{
			"id":          cty.StringVal("o1"),
			"amount":      cty.NumberFloatVal(amount),
			"customer_id": cty.StringVal("C1"),
			"country":     cty.StringVal(country),
			"ts":          cty.StringVal("2026-01-01T00:00:05Z"),
		}
		for j, name := range l.Names {
			v, err := compileFromCty(vals[name])
			if err != nil {
				panic(err)
			}
			r.Values[j] = v
		}
		recs[i], ctys[i] = r, cty.ObjectVal(vals)
	}
	return recs, ctys
}

func BenchmarkFilterCompiled(b *testing.B) {
	recs, _ := benchRecords(1024)
	benchEvalBool(b, benchFilter, recs)
}

// benchEvalBool compiles src against the records' layout and evaluates it
// as a predicate over the 1024 records in turn.
func benchEvalBool(b *testing.B, src string, recs []*Record) {
	p, diags := Compile(ir.Expr{Source: src}, []Root{{Name: "record", Layout: recs[0].Layout}}, Consts{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		ok, err := p.EvalBool(Frame{recs[i&1023]})
		if err != nil {
			b.Fatal(err)
		}
		if ok {
			n++
		}
	}
	_ = n
}

func BenchmarkFilterHCL(b *testing.B) {
	_, ctys := benchRecords(1024)
	expr, diags := hclsyntax.ParseExpression([]byte(benchFilter), "", hcl.InitialPos)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	funcs := Functions()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"record": ctys[i&1023]}, Functions: funcs}
		v, diags := expr.Value(ctx)
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if v.True() {
			n++
		}
	}
	_ = n
}

func BenchmarkMapCompiled(b *testing.B) {
	recs, _ := benchRecords(1024)
	fields := []ir.Field{
		{Name: "id", Expr: ir.Expr{Source: `record.id`}},
		{Name: "amount", Expr: ir.Expr{Source: `record.amount`}},
		{Name: "customer", Expr: ir.Expr{Source: `lower(record.customer_id)`}},
		{Name: "ts", Expr: ir.Expr{Source: `record.ts`}},
	}
	o, diags := CompileObject(fields, []Root{{Name: "record", Layout: recs[0].Layout}}, Consts{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := o.Eval(Frame{recs[i&1023]}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFilterGo is the floor: the same filter written by hand in Go
// over the same records (no NFC, no null or error handling).
func BenchmarkFilterGo(b *testing.B) {
	recs, _ := benchRecords(1024)
	l := recs[0].Layout
	ai, _ := l.Index("amount")
	ci, _ := l.Index("country")
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		r := recs[i&1023]
		if r.Values[ai].Float() >= 100 && strings.EqualFold(r.Values[ci].Str, "us") {
			n++
		}
	}
	_ = n
}

// benchLookup is the level normalization of examples/lognorm over a
// constant map(string): native, without cty values or allocations.
const benchLookup = `lookup(var.aliases, record.country, record.customer_id)`

var benchLookupConsts = Consts{Vars: map[string]cty.Value{
	"aliases": cty.MapVal(map[string]cty.Value{
		"US": cty.StringVal("United States"), "us": cty.StringVal("United States"),
		"DE": cty.StringVal("Germany"), "FR": cty.StringVal("France"),
	}),
}}

func BenchmarkLookupCompiled(b *testing.B) {
	recs, _ := benchRecords(1024)
	p, diags := Compile(ir.Expr{Source: benchLookup}, []Root{{Name: "record", Layout: recs[0].Layout}}, benchLookupConsts)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Eval(Frame{recs[i&1023]}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupHCL(b *testing.B) {
	_, ctys := benchRecords(1024)
	expr, diags := hclsyntax.ParseExpression([]byte(benchLookup), "", hcl.InitialPos)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	funcs := Functions()
	vars := cty.ObjectVal(benchLookupConsts.Vars)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"record": ctys[i&1023], "var": vars}, Functions: funcs}
		if _, diags := expr.Value(ctx); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

// BenchmarkFilterCompiledInt64 is the design's filter on a 64-bit ID
// beyond 2^53, which the float64 fast path cannot hold: the exact
// comparison of the full evaluator (issue 16.5).
func BenchmarkFilterCompiledInt64(b *testing.B) {
	l := NewLayout(cty.Object(map[string]cty.Type{"id": cty.Number, "country": cty.String}))
	recs := make([]*Record, 1024)
	rnd := rand.New(rand.NewSource(1))
	for i := range recs {
		recs[i] = NewRecord(l)
		recs[i].Values[1] = Int(1234567890123456700 + rnd.Int63n(200)) // id
		recs[i].Values[0] = String([]string{"US", "us", "DE"}[rnd.Intn(3)])
	}
	benchEvalBool(b, `record.id > 1234567890123456780 && lower(record.country) == "us"`, recs)
}
