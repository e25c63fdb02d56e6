package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// TestLookupConstNative checks which lookups take the native path: those
// evaluate without allocating, the cty fallback allocates on every call
// (and so does converting a string default to a number, natively or not,
// unless it is a decimal integer: cty parses it).
// Their results are held to hcl by TestDifferential.
func TestLookupConstNative(t *testing.T) {
	l := NewLayout(diffSchema)
	r := NewRecord(l)
	set := func(name string, v Value) {
		i, _ := l.Index(name)
		r.Values[i] = v
	}
	set("name", String("us"))
	set("code", String("nope"))
	m := NewRecord(NewLayout(cty.Object(map[string]cty.Type{"us": cty.String})))
	m.Values[0] = String("x")
	set("m", Object(m))
	tests := []struct {
		src    string
		native bool
	}{
		{`lookup(var.levels, record.name, "def")`, true},                         // hit
		{`lookup(var.levels, record.code, record.name)`, true},                   // miss
		{`lookup(var.weights, record.name, 0)`, true},                            // number map
		{`lookup(var.weights, record.code, "7")`, true},                          // a decimal integer default converts without cty
		{`lookup(var.weights, record.code, "7.5")`, false},                       // default parsed by cty
		{`lookup(local.mixed, record.name, "d")`, true},                          // object table
		{`lookup(record.m, record.name, "d")`, false},                            // computed map
		{`lookup(local.deep, record.name, ["d"])`, false},                        // non-primitive
		{`lookup(var.levels, lower(trimspace(record.name)), record.code)`, true}, // lognorm's shape
	}
	roots := []Root{{Name: "record", Layout: l}}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			p, diags := Compile(ir.Expr{Source: tt.src}, roots, diffConsts)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if _, err := p.Eval(Frame{r}); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(100, func() { _, _ = p.Eval(Frame{r}) })
			if diff := cmp.Diff(tt.native, allocs == 0); diff != "" {
				t.Errorf("native (alloc-free) (-want +got):\n%s (%v allocs)", diff, allocs)
			}
		})
	}
}

// TestLookupTableTypes checks the element types the table records.
func TestLookupTableTypes(t *testing.T) {
	obj := diffConsts.Locals["mixed"]
	v, err := compileFromCty(obj)
	if err != nil {
		t.Fatal(err)
	}
	table, elem, ok := lookupTable(v, obj.Type())
	if !ok || elem != cty.NilType {
		t.Fatalf("lookupTable(object) = ok %v, elem %#v", ok, elem)
	}
	got := map[string]string{}
	for k, e := range table {
		got[k] = e.typ.FriendlyName()
	}
	want := map[string]string{"us": "string", "a": "number", "x": "bool", "k": "string"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attribute types (-want +got):\n%s", diff)
	}
}
