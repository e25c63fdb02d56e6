package eval

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

var cOrdersType = cty.Object(map[string]cty.Type{
	"id":      cty.String,
	"amount":  cty.Number,
	"country": cty.String,
	"tags":    cty.List(cty.String),
	"nested":  cty.Object(map[string]cty.Type{"x": cty.Number}),
})

func cOrdersRoots() []Root { return []Root{{Name: "record", Layout: NewLayout(cOrdersType)}} }

// exprAt places src at line 10, column 5 of orders.hcl, as lang would.
func exprAt(src string) ir.Expr {
	return ir.Expr{Source: src, Range: ir.Range{
		Filename: "orders.hcl",
		Start:    ir.Pos{Line: 10, Column: 5, Byte: 200},
		End:      ir.Pos{Line: 10, Column: 5 + len(src), Byte: 200 + len(src)},
	}}
}

func TestCompileDiagnostics(t *testing.T) {
	type diag struct {
		Summary string
		Detail  string // substring
		Range   string
	}
	tests := []struct {
		src  string
		want diag
	}{
		{`record.amout > 1`, diag{"Unsupported attribute", `Did you mean "amount"?`, "orders.hcl:10,11-10,17"}},
		{`record.nested.y`, diag{"Unsupported attribute", `Did you mean "x"?`, "orders.hcl:10,18-10,20"}},
		{`record.amount && true`, diag{"Invalid operand", "bool required", "orders.hcl:10,5-10,18"}},
		{`nosuch(record.amount)`, diag{"Call to unknown function", "nosuch", "orders.hcl:10,5-10,11"}},
		{`count()`, diag{"Call to unknown function", "count", "orders.hcl:10,5-10,10"}},
		{`foo.bar`, diag{"Unknown variable", "foo", "orders.hcl:10,5-10,8"}},
		{`record.amount > 0 ? record.amount : true`, diag{"Inconsistent conditional result types", "", "orders.hcl:10,25-10,45"}},
		{`length(record.nested)`, diag{"Error in function call", "collection must be", "orders.hcl:10,5-10,12"}},
		{`var.nope`, diag{"Unsupported attribute", "nope", "orders.hcl:10,8-10,13"}},
		{`record.amount +`, diag{"Missing expression", "", "orders.hcl:10,20-10,20"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p, diags := Compile(exprAt(tt.src), cOrdersRoots(), Consts{Vars: map[string]cty.Value{"min": cty.NumberIntVal(1)}})
			if p != nil || !diags.HasErrors() {
				t.Fatalf("compiled without errors: %v", diags)
			}
			d := diags[0]
			got := diag{d.Summary, tt.want.Detail, ""}
			if !strings.Contains(d.Detail, tt.want.Detail) {
				got.Detail = d.Detail
			}
			if d.Subject != nil {
				got.Range = ir.RangeOf(*d.Subject).String()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostic (-want +got):\n%s\nall: %s", diff, diags)
			}
		})
	}
}

func TestCompileTypes(t *testing.T) {
	tests := []struct {
		src  string
		want cty.Type
	}{
		{`record.amount >= 100 && lower(record.country) == "us"`, cty.Bool},
		{`record.amount * 2`, cty.Number},
		{`"${record.id}-${record.amount}"`, cty.String},
		{`record.tags`, cty.List(cty.String)},
		{`record.nested`, cty.Object(map[string]cty.Type{"x": cty.Number})},
		{`{a = record.amount, b = [record.id]}`, cty.Object(map[string]cty.Type{"a": cty.Number, "b": cty.Tuple([]cty.Type{cty.String})})},
		{`jsondecode(record.id)`, cty.DynamicPseudoType},
		{`record.amount > 1 ? record.id : record.amount`, cty.String},
		{`var.min`, cty.Number},
	}
	c := Consts{Vars: map[string]cty.Value{"min": cty.NumberIntVal(1)}}
	for _, tt := range tests {
		p, diags := Compile(exprAt(tt.src), cOrdersRoots(), c)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", tt.src, diags)
		}
		if !p.Type().Equals(tt.want) {
			t.Errorf("%s: type %s, want %s", tt.src, p.Type().GoString(), tt.want.GoString())
		}
	}
}

// TestCompileNative checks that the common forms compile to closures, not
// to per-record hcl evaluation.
func TestCompileNative(t *testing.T) {
	tests := []struct {
		src       string
		fallbacks int
	}{
		{`record.amount >= var.min && lower(record.country) == "us"`, 0},
		{`"${record.id}/${upper(record.country)}"`, 0},
		{`record.tags[0] == "a" || contains(record.tags, "b")`, 0},
		{`record.amount > 1 ? record.nested.x : -record.amount % 3`, 0},
		{`{id = record.id, n = [record.amount, length(record.tags)]}`, 0},
		{`try(tonumber(record.id), 0) + abs(record.amount)`, 0},
		{`jsonencode({a = record.tags})`, 0},
		{`title(record.id)`, 0}, // cty function call, arguments native
		{`[for t in record.tags : upper(t)]`, 1},
		{`record.tags[*]`, 1},
	}
	c := Consts{Vars: map[string]cty.Value{"min": cty.NumberIntVal(100)}}
	for _, tt := range tests {
		p, diags := Compile(exprAt(tt.src), cOrdersRoots(), c)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", tt.src, diags)
		}
		if p.fallbacks != tt.fallbacks {
			t.Errorf("%s: %d hcl fallbacks, want %d", tt.src, p.fallbacks, tt.fallbacks)
		}
	}
}

// TestFilterAllocs holds the design's filter to zero allocations per record.
func TestFilterAllocs(t *testing.T) {
	l := NewLayout(cOrdersType)
	r := NewRecord(l)
	set := func(name string, v Value) { i, _ := l.Index(name); r.Values[i] = v }
	set("amount", Number(150))
	set("country", String("US"))
	for _, src := range []string{
		`record.amount >= 100 && lower(record.country) == "us"`,
		`record.amount >= var.min && upper(record.country) != "DE"`,
		`!(record.amount < 10) || record.country == "FR"`,
	} {
		p, diags := Compile(exprAt(src), cOrdersRoots(), Consts{Vars: map[string]cty.Value{"min": cty.NumberIntVal(100)}})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", src, diags)
		}
		var ok bool
		allocs := testing.AllocsPerRun(100, func() {
			ok, _ = p.EvalBool(Frame{r})
		})
		if allocs != 0 || !ok {
			t.Errorf("%s: %v allocs per record, result %v; want 0 allocs, true", src, allocs, ok)
		}
	}
}

func TestCompileObject(t *testing.T) {
	fields := []ir.Field{
		{Name: "id", Expr: exprAt(`record.id`)},
		{Name: "amount", Expr: exprAt(`record.amount * 2`)},
		{Name: "country", Expr: exprAt(`lower(record.country)`)},
		{Name: "big", Expr: exprAt(`record.amount >= 100`)},
	}
	o, diags := CompileObject(fields, cOrdersRoots(), Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	wantType := cty.Object(map[string]cty.Type{"id": cty.String, "amount": cty.Number, "country": cty.String, "big": cty.Bool})
	if !o.Layout().Type.Equals(wantType) {
		t.Errorf("layout type %s, want %s", o.Layout().Type.GoString(), wantType.GoString())
	}
	in := NewRecord(NewLayout(cOrdersType))
	for name, v := range map[string]Value{"id": String("o1"), "amount": Number(150), "country": String("US")} {
		i, _ := in.Layout.Index(name)
		in.Values[i] = v
	}
	out, err := o.Eval(Frame{in})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for i, name := range out.Layout.Names {
		got[name] = plainValue(out.Values[i])
	}
	want := map[string]any{"id": "o1", "amount": 300.0, "country": "us", "big": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}

	// EvalInto builds the same record into one it is given: one of
	// another layout and too small, then the same record again for a
	// second input, whose values replace the first's.
	reused := &Record{Layout: in.Layout, Values: make([]Value, 1)}
	for _, tc := range []struct {
		amount float64
		want   map[string]any
	}{
		{150, want},
		{20, map[string]any{"id": "o1", "amount": 40.0, "country": "us", "big": false}},
	} {
		i, _ := in.Layout.Index("amount")
		in.Values[i] = Number(tc.amount)
		if err := o.EvalInto(Frame{in}, reused); err != nil {
			t.Fatal(err)
		}
		if reused.Layout != o.Layout() {
			t.Errorf("EvalInto: layout not the program's")
		}
		got := map[string]any{}
		for i, name := range reused.Layout.Names {
			got[name] = plainValue(reused.Values[i])
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("EvalInto, amount %v (-want +got):\n%s", tc.amount, diff)
		}
	}

	// An error names the field.
	i, _ := in.Layout.Index("amount")
	in.Values[i] = Null
	if _, err := o.Eval(Frame{in}); err == nil || !strings.Contains(err.Error(), `"amount"`) {
		t.Errorf("null amount: error %v, want one naming the field", err)
	}
	if err := o.EvalInto(Frame{in}, reused); err == nil || !strings.Contains(err.Error(), `"amount"`) {
		t.Errorf("null amount, EvalInto: error %v, want one naming the field", err)
	}

	// Duplicate fields are diagnosed.
	_, diags = CompileObject(append(fields, fields[0]), cOrdersRoots(), Consts{})
	if !diags.HasErrors() || diags[0].Summary != "Duplicate field" {
		t.Errorf("duplicate field: diagnostics %v", diags)
	}
}

// TestNFC checks that records holding decomposed text compare as cty's
// normalized strings do.
func TestNFC(t *testing.T) {
	l := NewLayout(cOrdersType)
	r := NewRecord(l)
	i, _ := l.Index("country")
	r.Values[i] = String("e\u0301") // e + combining acute: NFC is U+00E9
	for _, tt := range []struct {
		src  string
		want any
	}{
		{`record.country == "\u00e9"`, true},
		{`strlen(record.country)`, 1.0},
		{`upper(record.country) == "\u00c9"`, true},
		{`"${record.country}"`, "\u00e9"},
	} {
		p, diags := Compile(exprAt(tt.src), cOrdersRoots(), Consts{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		v, err := p.Eval(Frame{r})
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		if diff := cmp.Diff(tt.want, plainValue(v)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.src, diff)
		}
	}
}

// TestConcurrentEval runs native and hcl-evaluated programs from several
// goroutines; run with -race.
func TestConcurrentEval(t *testing.T) {
	l := NewLayout(cOrdersType)
	r := NewRecord(l)
	i, _ := l.Index("tags")
	r.Values[i] = List([]Value{String("a"), String("B")})
	i, _ = l.Index("country")
	r.Values[i] = String("US")
	progs := map[string]any{
		`record.tags[*]`:                             []any{"a", "B"},
		`[for t in record.tags : lower(t)]`:          []any{"a", "b"},
		`lower(record.country) == "us"`:              true,
		`"${record.country}-${length(record.tags)}"`: "US-2",
	}
	done := make(chan string, 8*len(progs))
	for src, want := range progs {
		p, diags := Compile(exprAt(src), cOrdersRoots(), Consts{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		for g := 0; g < 8; g++ {
			go func() {
				for n := 0; n < 200; n++ {
					v, err := p.Eval(Frame{r})
					if err != nil {
						done <- src + ": " + err.Error()
						return
					}
					if d := cmp.Diff(want, plainValue(v)); d != "" {
						done <- src + ": " + d
						return
					}
				}
				done <- ""
			}()
		}
	}
	for n := 0; n < 8*len(progs); n++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

// TestCompiledOnDecodedJSON runs compiled programs on records from the JSON
// codec and compares with hcl on the same JSON decoded by cty.
func TestCompiledOnDecodedJSON(t *testing.T) {
	schema := cty.Object(map[string]cty.Type{
		"name": cty.String,
		"m":    cty.Map(cty.Number),
		"s":    cty.Set(cty.String),
		"any":  cty.DynamicPseudoType,
	})
	l := NewLayout(schema)
	docs := []string{
		`{"name": "e\u0301", "m": {"b": 2, "a": 1}, "s": ["x", "y", "x"], "any": [1, "a"]}`,
		`{"name": "US", "m": {}, "s": [], "any": {"x": 1}}`,
		`{"name": null, "m": null, "s": null, "any": null}`,
	}
	exprs := []string{
		`record.name == "\u00e9"`, `length(record.m)`, `record.m["b"]`, `length(record.s)`,
		`contains(record.s, "y")`, `jsonencode(record.s)`, `record.any[1]`, `record.any.x`,
		`lower(record.name) == "us"`, `keys(record.m)`, `[for k, v in record.m : "${k}=${v}"]`,
	}
	for _, doc := range docs {
		r, err := DecodeJSON(l, []byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		cv, err := ctyjsonUnmarshal(doc, schema)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		for _, src := range exprs {
			p, diags := Compile(ir.Expr{Source: src}, []Root{{Name: "record", Layout: l}}, Consts{})
			if diags.HasErrors() {
				t.Fatalf("%s: %s", src, diags)
			}
			if d := diffOne(t, src, p, map[string]cty.Value{"record": cv}, Frame{r}, Consts{}); d != "" {
				t.Errorf("%s on %s (-hcl +compiled):\n%s", src, doc, d)
			}
		}
	}
}

// TestEvalErrorRange checks that a per-record failure points at the
// expression in the spec.
func TestEvalErrorRange(t *testing.T) {
	p, diags := Compile(exprAt(`record.amount * 2`), cOrdersRoots(), Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, err := p.Eval(Frame{NewRecord(NewLayout(cOrdersType))})
	var ee *EvalError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v (%T), want an *EvalError", err, err)
	}
	if got, want := err.Error(), "orders.hcl:10,5: invalid operand: argument must not be null"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if _, err := p.EvalBool(Frame{NewRecord(NewLayout(cOrdersType))}); !errors.As(err, &ee) {
		t.Errorf("EvalBool error %v, want an *EvalError", err)
	}
}
