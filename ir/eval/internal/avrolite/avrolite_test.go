package avrolite

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parse(t *testing.T, schema string) Schema {
	t.Helper()
	s, err := ParseWithCache(schema, "", &SchemaCache{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Names follow the Avro spec: a nested named type inherits the enclosing
// namespace, a dotted name sets its own, and a use by name (short or full)
// is a reference to the one definition, recursive uses included.
func TestNames(t *testing.T) {
	s := parse(t, `{"type":"record","name":"Order","namespace":"shop","fields":[
	  {"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"n","type":"string"}]}},
	  {"name":"billed","type":"Customer"},
	  {"name":"shipped","type":"shop.Customer"},
	  {"name":"code","type":{"type":"fixed","name":"geo.Code","size":2}},
	  {"name":"next","type":["null","Order"]}]}`)
	rec := s.(*RecordSchema)
	f := rec.Fields()
	cust := f[0].Type().(*RecordSchema)
	code := f[3].Type().(*FixedSchema)
	type names struct{ Name, Namespace, Full string }
	got := []names{
		{rec.Name(), rec.Namespace(), rec.FullName()},
		{cust.Name(), cust.Namespace(), cust.FullName()},
		{code.Name(), code.Namespace(), code.FullName()},
	}
	want := []names{{"Order", "shop", "shop.Order"}, {"Customer", "shop", "shop.Customer"}, {"Code", "geo", "geo.Code"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("names (-want +got):\n%s", d)
	}
	for i, fi := range []int{1, 2} {
		ref, ok := f[fi].Type().(*RefSchema)
		if !ok || ref.Schema() != Schema(cust) {
			t.Errorf("use %d of Customer = %T, want a reference to the definition", i, f[fi].Type())
		}
	}
	branches := f[4].Type().(*UnionSchema).Types()
	if ref, ok := branches[1].(*RefSchema); !ok || ref.Schema() != Schema(rec) {
		t.Errorf("recursive use of Order = %T, want a reference to the record", branches[1])
	}
	if code.Size() != 2 {
		t.Errorf("fixed size = %d, want 2", code.Size())
	}
}

// Defaults are held as Go values the codec's default conversion
// (ir/eval avroDefaultValue) takes: ints as int, longs as int64 (exact beyond 2^53), floats as
// float32, bytes as the code points' bytes, records as maps of the same.
func TestDefaults(t *testing.T) {
	s := parse(t, `{"type":"record","name":"R","fields":[
	  {"name":"i","type":"int","default":3},
	  {"name":"l","type":"long","default":9007199254740993},
	  {"name":"f","type":"float","default":1.5},
	  {"name":"d","type":"double","default":-0.25},
	  {"name":"b","type":"bytes","default":"\u0000\u00ff"},
	  {"name":"s","type":"string","default":"x"},
	  {"name":"n","type":["null","string"],"default":null},
	  {"name":"u","type":["long","null"],"default":7},
	  {"name":"a","type":{"type":"array","items":"long"},"default":[1,2]},
	  {"name":"r","type":{"type":"record","name":"P","fields":[{"name":"q","type":"long"}]},"default":{"q":4}},
	  {"name":"none","type":"string"}]}`)
	got := map[string]any{}
	var without []string
	for _, f := range s.(*RecordSchema).Fields() {
		if !f.HasDefault() {
			without = append(without, f.Name())
			continue
		}
		got[f.Name()] = f.Default()
	}
	want := map[string]any{
		"i": 3, "l": int64(9007199254740993), "f": float32(1.5), "d": -0.25, "b": []byte{0, 0xff},
		"s": "x", "n": nil, "u": int64(7), "a": []any{int64(1), int64(2)}, "r": map[string]any{"q": int64(4)},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"none"}, without); d != "" {
		t.Errorf("fields without a default (-want +got):\n%s", d)
	}
}

// Logical types annotate the primitives they fit; one that does not fit
// is ignored, as the spec says.
func TestLogicalTypes(t *testing.T) {
	s := parse(t, `{"type":"record","name":"R","fields":[
	  {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
	  {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
	  {"name":"odd","type":{"type":"int","logicalType":"timestamp-millis"}},
	  {"name":"day","type":{"type":"int","logicalType":"date"}}]}`)
	var got []string
	for _, f := range s.(*RecordSchema).Fields() {
		l := f.Type().(LogicalTypeSchema).Logical()
		switch l := l.(type) {
		case nil:
			got = append(got, f.Name()+": none")
		case *DecimalLogicalSchema:
			got = append(got, fmt.Sprintf("%s: decimal(%d,%d)", f.Name(), l.Precision(), l.Scale()))
		default:
			got = append(got, f.Name()+": "+string(l.Type()))
		}
	}
	want := []string{"amount: decimal(10,2)", "ts: timestamp-millis", "odd: none", "day: date"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("logical types (-want +got):\n%s", d)
	}
}

// A schema naming a type that is not defined, here or in the cache, fails;
// one defined by an earlier parse into the same cache (a reference) is
// found.
func TestCache(t *testing.T) {
	if _, err := ParseWithCache(`{"type":"record","name":"R","fields":[{"name":"c","type":"Nope"}]}`, "", &SchemaCache{}); err == nil || !strings.Contains(err.Error(), "unknown type: Nope") {
		t.Errorf("unknown type: err = %v", err)
	}
	cache := &SchemaCache{}
	if _, err := ParseWithCache(`{"type":"enum","name":"shop.Status","symbols":["NEW","PAID"],"default":"NEW"}`, "", cache); err != nil {
		t.Fatal(err)
	}
	s, err := ParseWithCache(`{"type":"record","name":"R","namespace":"shop","fields":[{"name":"st","type":"Status"}]}`, "", cache)
	if err != nil {
		t.Fatal(err)
	}
	st := s.(*RecordSchema).Fields()[0].Type().(*RefSchema).Schema().(*EnumSchema)
	if d := cmp.Diff([]string{"NEW", "PAID"}, st.Symbols()); d != "" || st.Default() != "NEW" {
		t.Errorf("enum from the cache: symbols (-want +got) %s, default %q", d, st.Default())
	}
}
