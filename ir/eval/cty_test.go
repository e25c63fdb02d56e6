package eval

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func TestCtyToCty(t *testing.T) {
	obj := cty.Object(map[string]cty.Type{"a": cty.String, "n": cty.Number})
	rec := NewRecord(NewLayout(obj))
	rec.Values[0] = String("x")
	rec.Values[1] = Number(2)
	tests := []struct {
		name string
		v    Value
		t    cty.Type
		want cty.Value
	}{
		{"null", Null, cty.String, cty.NullVal(cty.String)},
		{"null dynamic", Null, cty.DynamicPseudoType, cty.NullVal(cty.DynamicPseudoType)},
		{"string", String("é"), cty.String, cty.StringVal("é")},
		{"number", Number(150.5), cty.Number, cty.NumberFloatVal(150.5)},
		{"bool", Bool(true), cty.Bool, cty.True},
		{"NaN is a null number", Number(math.NaN()), cty.Number, cty.NullVal(cty.Number)},
		{"+Inf", Number(math.Inf(1)), cty.Number, cty.PositiveInfinity},
		{"-Inf", Number(math.Inf(-1)), cty.Number, cty.NegativeInfinity},
		{"number to string converts", Number(1.5), cty.String, cty.StringVal("1.5")},
		{"impossible keeps the natural value", String("x"), cty.Number, cty.StringVal("x")},
		{"dynamic list is a tuple", List([]Value{Number(1), String("a")}), cty.DynamicPseudoType,
			cty.TupleVal([]cty.Value{cty.NumberIntVal(1), cty.StringVal("a")})},
		{"list", List([]Value{Number(1), Null}), cty.List(cty.Number),
			cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NullVal(cty.Number)})},
		{"empty list", List(nil), cty.List(cty.String), cty.ListValEmpty(cty.String)},
		{"set", List([]Value{String("b"), String("a")}), cty.Set(cty.String),
			cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{"list of any unifies", List([]Value{Number(1), String("a")}), cty.List(cty.DynamicPseudoType),
			cty.ListVal([]cty.Value{cty.StringVal("1"), cty.StringVal("a")})},
		{"tuple", List([]Value{String("a"), Number(1)}), cty.Tuple([]cty.Type{cty.String, cty.Number}),
			cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1)})},
		{"object", Object(rec), obj, cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x"), "n": cty.NumberIntVal(2)})},
		{"object with a missing attribute", Object(rec), cty.Object(map[string]cty.Type{"a": cty.String, "z": cty.Bool}),
			cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x"), "z": cty.NullVal(cty.Bool)})},
		{"object as map", Object(rec), cty.Map(cty.String),
			cty.MapVal(map[string]cty.Value{"a": cty.StringVal("x"), "n": cty.StringVal("2")})},
		{"object dynamic", Object(rec), cty.DynamicPseudoType,
			cty.ObjectVal(map[string]cty.Value{"a": cty.StringVal("x"), "n": cty.NumberIntVal(2)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ToCty(tt.v, tt.t)
			if !got.RawEquals(tt.want) {
				t.Errorf("ToCty = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestCtyFromCty(t *testing.T) {
	tests := []struct {
		name string
		v    cty.Value
		want any
	}{
		{"null", cty.NullVal(cty.String), nil},
		{"unknown", cty.UnknownVal(cty.String), nil},
		{"marked", cty.StringVal("s").Mark("sensitive"), "s"},
		{"number", cty.MustParseNumberVal("0.1"), 0.1},
		{"huge", cty.MustParseNumberVal("1e400"), math.Inf(1)},
		{"bool", cty.False, false},
		{"set orders", cty.SetVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")}), []any{"a", "b"}},
		{"tuple", cty.TupleVal([]cty.Value{cty.True, cty.NullVal(cty.Number)}), []any{true, nil}},
		{"map", cty.MapVal(map[string]cty.Value{"k": cty.NumberIntVal(1)}), map[string]any{"k": 1.0}},
		{"empty map", cty.MapValEmpty(cty.String), map[string]any{}},
		{"object", cty.ObjectVal(map[string]cty.Value{"o": cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("y")})}),
			map[string]any{"o": map[string]any{"x": "y"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, testPlain(FromCty(tt.v))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCtyRecordFromCty(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{
		"id": cty.String, "amount": cty.Number,
		"c": cty.Object(map[string]cty.Type{"tier": cty.String, "since": cty.Number}),
	}))
	tests := []struct {
		name    string
		v       cty.Value
		want    map[string]any
		wantErr string
	}{
		{"test-block record, converted and padded", cty.ObjectVal(map[string]cty.Value{
			"id": cty.NumberIntVal(7), "amount": cty.NumberIntVal(150), "extra": cty.True,
			"c": cty.ObjectVal(map[string]cty.Value{"tier": cty.StringVal("gold")}),
		}), map[string]any{"id": "7", "amount": 150.0, "c": map[string]any{"tier": "gold", "since": nil}}, ""},
		{"map", cty.MapVal(map[string]cty.Value{"id": cty.StringVal("x")}),
			map[string]any{"id": "x", "amount": nil, "c": nil}, ""},
		{"type error", cty.ObjectVal(map[string]cty.Value{"amount": cty.StringVal("lots")}), nil, "field amount"},
		{"null", cty.NullVal(cty.DynamicPseudoType), nil, "null"},
		{"not an object", cty.StringVal("x"), nil, "want an object"},
		{"unknown", cty.ObjectVal(map[string]cty.Value{"id": cty.UnknownVal(cty.String)}), nil, "not known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := RecordFromCty(tt.v, l)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Layout != l {
				t.Error("record does not have the given layout")
			}
			if diff := cmp.Diff(tt.want, testPlainRecord(r)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestCtyRecordRoundTrip: Record.Cty and RecordFromCty are inverses for
// records of a layout.
func TestCtyRecordRoundTrip(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{
		"s": cty.String, "n": cty.Number, "l": cty.List(cty.Number), "m": cty.Map(cty.Bool),
		"o": cty.Object(map[string]cty.Type{"x": cty.Set(cty.String)}), "d": cty.DynamicPseudoType,
	}))
	r, err := DecodeJSON(l, []byte(`{"s":"a","n":2.5,"l":[1,2],"m":{"k":true},"o":{"x":["q","p"]},"d":[1,"x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	cv := r.Cty()
	if err := cv.Type().TestConformance(l.Type); err != nil {
		t.Fatalf("Cty() type %s does not conform: %v", cv.Type().GoString(), err)
	}
	back, err := RecordFromCty(cv, l)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testPlainRecord(r), testPlainRecord(back)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
