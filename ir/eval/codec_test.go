package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/pipeline-compiler/pipeline/ir"
)

// plain turns a Value into plain Go data (nil, bool, float64, bigInt for an
// integer beyond 2^53, string, []any, map[string]any) so tests can diff
// values with go-cmp.
func testPlain(v Value) any {
	switch v.Kind {
	case KindBool:
		return v.Bool
	case KindNumber:
		i, ok := v.Int64()
		return plainNumber(i, ok, v.Float()) // integers beyond 2^53 exactly
	case KindString:
		return v.Str
	case KindList:
		out := make([]any, len(v.List))
		for i, e := range v.List {
			out[i] = testPlain(e)
		}
		return out
	case KindObject:
		if v.Obj == nil {
			return nil
		}
		return testPlainRecord(v.Obj)
	}
	return nil
}

func testPlainRecord(r *Record) map[string]any {
	out := make(map[string]any, len(r.Values))
	for i, n := range r.Layout.Names {
		out[n] = testPlain(r.Values[i])
	}
	return out
}

var ordersType = cty.Object(map[string]cty.Type{
	"id": cty.String, "amount": cty.Number, "customer_id": cty.String, "country": cty.String, "ts": cty.String,
})

const ordersJSON = `{"id":"o1","amount":150.5,"customer_id":"C1","country":"US","ts":"2026-01-01T00:00:05Z"}`

func TestCodecDecodeOrders(t *testing.T) {
	l := NewLayout(ordersType)
	tests := []struct {
		name string
		in   string
		want map[string]any
	}{
		{"all fields", ordersJSON, map[string]any{
			"id": "o1", "amount": 150.5, "customer_id": "C1", "country": "US", "ts": "2026-01-01T00:00:05Z"}},
		{"missing fields are null", `{"id":"o2"}`, map[string]any{
			"id": "o2", "amount": nil, "customer_id": nil, "country": nil, "ts": nil}},
		{"unknown fields are skipped", `{"x":{"deep":[1,{"a":"}"},"\"]"]},"id":"o3","y":null,"z":-1.5e3,"w":true}`, map[string]any{
			"id": "o3", "amount": nil, "customer_id": nil, "country": nil, "ts": nil}},
		{"explicit null", `{"id":null,"amount":null}`, map[string]any{
			"id": nil, "amount": nil, "customer_id": nil, "country": nil, "ts": nil}},
		{"last duplicate wins", `{"id":"a","id":"b"}`, map[string]any{
			"id": "b", "amount": nil, "customer_id": nil, "country": nil, "ts": nil}},
		{"whitespace", " \n{ \"id\" :\t\"a\" , \"amount\" : 2 }\r\n", map[string]any{
			"id": "a", "amount": 2.0, "customer_id": nil, "country": nil, "ts": nil}},
		{"number to string keeps the literal", `{"id":1.50,"country":true}`, map[string]any{
			"id": "1.50", "amount": nil, "customer_id": nil, "country": "true", "ts": nil}},
		{"string to number", `{"amount":"12.25"}`, map[string]any{
			"id": nil, "amount": 12.25, "customer_id": nil, "country": nil, "ts": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeJSON(l, []byte(tt.in))
			if err != nil {
				t.Fatalf("DecodeJSON: %v", err)
			}
			if diff := cmp.Diff(tt.want, testPlainRecord(r)); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCodecMatchesCtyJSON holds the decoder to go-cty's JSON conversion for
// every value go-cty accepts, and to failing where go-cty fails.
func TestCodecMatchesCtyJSON(t *testing.T) {
	tests := []struct {
		typ cty.Type
		in  string
	}{
		{cty.String, `"plain"`},
		{cty.String, `"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00"`},
		{cty.String, `"e\u0301"`}, // NFC composes to é
		{cty.String, `"Å"`},       // U+212B normalizes to U+00C5
		{cty.String, `"\ud800 lone"`},
		{cty.String, `12`},
		{cty.String, `-0.50e+3`},
		{cty.String, `true`},
		{cty.String, `false`},
		{cty.String, `null`},
		{cty.String, `{}`},
		{cty.String, `[]`},
		{cty.Number, `0`},
		{cty.Number, `-0`},
		{cty.Number, `150.5`},
		{cty.Number, `1e3`},
		{cty.Number, `1E-3`},
		{cty.Number, `123456789012345678901234567890`},
		{cty.Number, `0.1`},
		{cty.Number, `"42"`},
		{cty.Number, `"-1.5e2"`},
		{cty.Number, `"abc"`},
		{cty.Number, `true`},
		{cty.Number, `[1]`},
		{cty.Bool, `true`},
		{cty.Bool, `false`},
		{cty.Bool, `"true"`},
		{cty.Bool, `"1"`},
		{cty.Bool, `"0"`},
		{cty.Bool, `"TRUE"`},
		{cty.Bool, `1`},
		{cty.List(cty.Number), `[1,2,3]`},
		{cty.List(cty.Number), `[]`},
		{cty.List(cty.Number), `[1,null]`},
		{cty.List(cty.String), `[1,"a",true]`},
		{cty.List(cty.Number), `["x"]`},
		{cty.List(cty.Number), `{}`},
		{cty.Set(cty.String), `["b","a","b"]`},
		{cty.Set(cty.Number), `[3,1,2,1]`},
		{cty.Set(cty.Number), `[]`},
		{cty.Map(cty.Number), `{"b":2,"a":1}`},
		{cty.Map(cty.Number), `{}`},
		{cty.Map(cty.String), `{"k":1}`},
		{cty.Map(cty.Number), `{"k":"x"}`},
		{cty.Tuple([]cty.Type{cty.String, cty.Number}), `["a",1]`},
		{cty.Tuple([]cty.Type{cty.String, cty.Number}), `["a"]`},
		{cty.Tuple([]cty.Type{cty.String, cty.Number}), `["a",1,2]`},
		{cty.Object(map[string]cty.Type{"a": cty.Number, "b": cty.List(cty.String)}), `{"a":1,"b":["x","y"]}`},
		{cty.Object(map[string]cty.Type{"a": cty.Number, "b": cty.List(cty.String)}), `{"a":1}`},
		{cty.Object(map[string]cty.Type{"a": cty.Number}), `{"a":"no"}`},
		{cty.List(cty.Object(map[string]cty.Type{"n": cty.Number})), `[{"n":1},{"n":2},{}]`},
		{cty.Map(cty.Object(map[string]cty.Type{"n": cty.Number})), `{"x":{"n":1}}`},
		// 64-bit integers: go-cty keeps every digit, and so must the codec.
		{cty.Number, `1234567890123456789`},
		{cty.Number, `1234567890123456789.0`},
		{cty.Number, `1.234567890123456789e18`},
		{cty.Number, `"1234567890123456789"`},
		{cty.Number, `9223372036854775807`},
		{cty.Number, `-9223372036854775808`},
		{cty.String, `1234567890123456789`},
		{cty.List(cty.Number), `[9007199254740993,9007199254740992]`},
		{cty.Set(cty.Number), `[9007199254740993,9007199254740992,9007199254740993]`},
	}
	for _, tt := range tests {
		t.Run(tt.typ.FriendlyName()+" "+tt.in, func(t *testing.T) {
			l := NewLayout(cty.Object(map[string]cty.Type{"f": tt.typ}))
			doc := `{"f":` + tt.in + `}`
			want, wantErr := ctyjson.Unmarshal([]byte(doc), l.Type)
			got, err := DecodeJSON(l, []byte(doc))
			if (wantErr != nil) != (err != nil) {
				t.Fatalf("error mismatch: go-cty %v, DecodeJSON %v", wantErr, err)
			}
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) || !strings.HasPrefix(de.Field, "f") {
					t.Errorf("error %v does not name the field", err)
				}
				return
			}
			if diff := cmp.Diff(testPlain(FromCty(want)), testPlain(Object(got))); diff != "" {
				t.Errorf("value (-go-cty +DecodeJSON):\n%s", diff)
			}
			// Converting back gives go-cty's own value (up to float64 rounding).
			back := got.Cty()
			if !back.Type().Equals(want.Type()) {
				t.Errorf("type: got %s, want %s", back.Type().GoString(), want.Type().GoString())
			}
		})
	}
}

func TestCodecErrors(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{
		"n": cty.Number, "s": cty.String,
		"o": cty.Object(map[string]cty.Type{"x": cty.Number}),
		"l": cty.List(cty.Object(map[string]cty.Type{"y": cty.Bool})),
	}))
	tests := []struct {
		in, field, reason string
	}{
		{``, "", "not a JSON object"},
		{`null`, "", "record is null"},
		{`[]`, "", "not a JSON object"},
		{`{`, "", "unexpected end"},
		{`{"n":1`, "", "unexpected end"},
		{`{"n":1,}`, "", "looking for an object key"},
		{`{"n":1} x`, "", "unexpected data"},
		{`{"n" 1}`, "", "after object key"},
		{`{"n":01}`, "", "after object value"},
		{`{"n":1.}`, "n", "invalid number"},
		{`{"n":-}`, "n", "invalid number"},
		{`{"n":1e}`, "n", "invalid number"},
		{`{"n":1e999}`, "n", "out of range"},
		{`{"n":"x"}`, "n", "a number is required"},
		{`{"n":true}`, "n", "number is required, got a bool"},
		{`{"s":{}}`, "s", "string is required, got an object"},
		{`{"s":"a` + "\x01" + `"}`, "s", "control character"},
		{`{"s":"\x"}`, "s", "invalid escape"},
		{`{"s":"\u12"}`, "s", "invalid \\u escape"},
		{`{"s":"abc`, "s", "unexpected end"},
		{`{"o":{"x":"y"}}`, "o.x", "a number is required"},
		{`{"o":[]}`, "o", "object is required"},
		{`{"l":[{"y":true},{"y":3}]}`, "l[1].y", "bool is required"},
		{`{"skip":[1,2,}`, "", "invalid character"},
		{`{"skip":"\q"}`, "", "invalid escape"},
		{`{"skip":tru}`, "", "invalid character"},
		{`{"skip":{"a" 1}}`, "", "after object key"},
		{`{"skip":` + strings.Repeat("[", jsonMaxDepth+1), "", "max nesting depth"},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 30 {
			name = name[:30] + "…"
		}
		t.Run(name, func(t *testing.T) {
			_, err := DecodeJSON(l, []byte(tt.in))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("DecodeJSON(%q) = %v, want a *DecodeError", tt.in, err)
			}
			if de.Field != tt.field || !strings.Contains(de.Reason, tt.reason) {
				t.Errorf("got field %q reason %q, want field %q reason containing %q", de.Field, de.Reason, tt.field, tt.reason)
			}
		})
	}
}

// TestCodecStrings compares string decoding with encoding/json followed by
// cty.StringVal, which is what go-cty does.
func TestCodecStrings(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{"s": cty.String}))
	for _, in := range []string{
		`""`, `"ascii"`, `"\u0000"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`,
		"\"\xff\xfe\"", "\"ok\xc3\"", `"caf\u0065\u0301"`, `"café"`, `"\u00e9\\"`, `"a\/b"`,
		`"한국어"`, "\"\u1100\u1161\"", `"\u2028\u2029"`,
	} {
		var s string
		if err := json.Unmarshal([]byte(in), &s); err != nil {
			t.Fatalf("encoding/json %s: %v", in, err)
		}
		want := cty.StringVal(s).AsString()
		r, err := DecodeJSON(l, []byte(`{"s":`+in+`}`))
		if err != nil {
			t.Fatalf("DecodeJSON %s: %v", in, err)
		}
		if diff := cmp.Diff(want, r.Values[0].Str); diff != "" {
			t.Errorf("%s (-want +got):\n%s", in, diff)
		}
	}
}

func TestCodecDynamic(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{"any": cty.DynamicPseudoType, "n": cty.Number}))
	in := `{"any":{"b":[1,"x",null,{"c":true}],"a":"s"},"n":1}`
	r, err := DecodeJSON(l, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"n": 1.0, "any": map[string]any{"a": "s", "b": []any{1.0, "x", nil, map[string]any{"c": true}}}}
	if diff := cmp.Diff(want, testPlainRecord(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The implied type is jsondecode's.
	wantType := cty.Object(map[string]cty.Type{"a": cty.String, "b": cty.Tuple([]cty.Type{
		cty.Number, cty.String, cty.DynamicPseudoType, cty.Object(map[string]cty.Type{"c": cty.Bool})})})
	if got := r.Values[0].Obj.Layout.Type; !got.Equals(wantType) {
		t.Errorf("type %s, want %s", got.GoString(), wantType.GoString())
	}

	// The last of duplicate keys wins in dynamic objects and maps too.
	var b strings.Builder
	b.WriteString(`{"any":{"k":"first"`)
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, `,"k%02d":%d,"k":"dup%d"`, 39-i, i, i)
	}
	b.WriteString(`,"k":"last"}}`)
	r, err = DecodeJSON(l, []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Values[0].Obj.Get("k"); got.Str != "last" {
		t.Errorf("duplicate key: got %q, want the last value", got.Str)
	}
	if n := r.Values[0].Obj.Layout.Len(); n != 41 {
		t.Errorf("got %d attributes, want 41", n)
	}

	// A source without a schema decodes every record dynamically.
	dl := NewLayout(cty.DynamicPseudoType)
	r, err = DecodeJSON(dl, []byte(`{"z":1,"a":[true]}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"a": []any{true}, "z": 1.0}, testPlainRecord(r)); diff != "" {
		t.Errorf("schemaless (-want +got):\n%s", diff)
	}
}

func TestCodecDecoderReuse(t *testing.T) {
	l := NewLayout(ordersType)
	var d Decoder
	r := &Record{}
	if err := d.Decode(l, []byte(ordersJSON), r); err != nil {
		t.Fatal(err)
	}
	idSlot, _ := l.Index("id")
	id := r.Values[idSlot]
	vals := r.Values
	if err := d.Decode(l, []byte(`{"id":"o2","amount":7}`), r); err != nil {
		t.Fatal(err)
	}
	if &vals[0] != &r.Values[0] {
		t.Error("Values slice was not reused")
	}
	want := map[string]any{"id": "o2", "amount": 7.0, "customer_id": nil, "country": nil, "ts": nil}
	if diff := cmp.Diff(want, testPlainRecord(r)); diff != "" {
		t.Errorf("second record (-want +got):\n%s", diff)
	}
	// Strings taken from the first record are intact.
	if id.Str != "o1" {
		t.Errorf("first record's id changed to %q", id.Str)
	}
	// A failed decode leaves a usable decoder.
	if err := d.Decode(l, []byte(`{"amount":"x"}`), r); err == nil {
		t.Error("want an error")
	}
	if err := d.Decode(l, []byte(`{"country":"FR"}`), r); err != nil || r.Get("country").Str != "FR" {
		t.Errorf("after error: %v %v", err, testPlainRecord(r))
	}
}

func TestCodecDecodeNeeded(t *testing.T) {
	l := NewLayout(ordersType)
	mask := l.Mask([]string{"amount", "country", "nope"})
	var d Decoder
	r := &Record{}
	// customer_id has the wrong type, but nothing reads it.
	in := `{"id":"o1","amount":150.5,"customer_id":{"bad":1},"country":"US"}`
	if err := d.DecodeNeeded(l, mask, []byte(in), r); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": nil, "amount": 150.5, "customer_id": nil, "country": "US", "ts": nil}
	if diff := cmp.Diff(want, testPlainRecord(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := d.DecodeNeeded(l, mask, []byte(`{"id":"x",`), r); err == nil {
		t.Error("malformed JSON in a pruned field must still fail")
	}
	if err := d.DecodeNeeded(l, []bool{true}, []byte(`{}`), r); err == nil {
		t.Error("a mask of the wrong length must fail")
	}
}

// TestCodecEncodeMatchesEncodingJSON: AppendJSON writes what json.Marshal
// writes for the same data (maps marshal with sorted keys, as layouts are).
func TestCodecEncodeMatchesEncodingJSON(t *testing.T) {
	nums := []float64{0, 1, -1, 150, 150.5, 1.5e300, 1e20, 1e21, 123456789012345678, 1e-6, 1e-7, 0.1, -2.5e-9,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 999999999999999, 1e15, 4503599627370497, math.Copysign(0, -1)}
	for _, f := range nums {
		want, _ := json.Marshal(f)
		if got := AppendValueJSON(nil, Number(f)); string(got) != string(want) {
			t.Errorf("number %v: got %s, want %s", f, got, want)
		}
	}
	strs := []string{"", "plain", `"quoted" \ back`, "\x00\x01\b\f\n\r\t\x1f\x7f", "<a href='x'>&</a>",
		"é 한 😀", "\u2028\u2029", "bad \xff utf8 \xc3", "end\xe2\x82"}
	for _, s := range strs {
		want, _ := json.Marshal(s)
		if got := AppendValueJSON(nil, String(s)); string(got) != string(want) {
			t.Errorf("string %q: got %s, want %s", s, got, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := string(AppendValueJSON(nil, Number(f))); got != "null" {
			t.Errorf("%v: got %s, want null", f, got)
		}
	}
	l := NewLayout(cty.Object(map[string]cty.Type{
		"b": cty.Bool, "n": cty.Number, "s": cty.String, "z": cty.String,
		"l": cty.List(cty.Number), "o": cty.Object(map[string]cty.Type{"y": cty.String, "x": cty.Number}),
		"m": cty.Map(cty.String), "d": cty.DynamicPseudoType,
	}))
	in := `{"s":"x<y","n":150,"b":false,"l":[1,2.5],"o":{"y":"why","x":-3},"m":{"k2":"v2","k1":"v1"},"d":[{"q":null}]}`
	r, err := DecodeJSON(l, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	m["z"] = nil
	want, _ := json.Marshal(m)
	if diff := cmp.Diff(string(want), string(r.AppendJSON(nil))); diff != "" {
		t.Errorf("record (-encoding/json +AppendJSON):\n%s", diff)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{
		"s": cty.String, "n": cty.Number, "b": cty.Bool,
		"t": cty.Tuple([]cty.Type{cty.String, cty.Set(cty.Number)}),
		"o": cty.Object(map[string]cty.Type{"x": cty.Map(cty.List(cty.Bool))}),
		"d": cty.DynamicPseudoType,
	}))
	for _, in := range []string{
		`{}`,
		`{"s":"a\"b\u00e9\n","n":-0.000001234,"b":true}`,
		`{"t":["x",[3,1,3]],"o":{"x":{"k":[true,false],"j":[]}},"d":{"a":[1,{"b":null}]}}`,
		`{"n":1e300,"d":"str","s":"😀"}`,
	} {
		r1, err := DecodeJSON(l, []byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		enc := r1.AppendJSON(nil)
		r2, err := DecodeJSON(l, enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if diff := cmp.Diff(testPlainRecord(r1), testPlainRecord(r2)); diff != "" {
			t.Errorf("%s round trip (-first +second):\n%s", in, diff)
		}
		if enc2 := r2.AppendJSON(nil); string(enc2) != string(enc) {
			t.Errorf("encoding not stable: %s vs %s", enc, enc2)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		ordersJSON, `{}`, `{"amount":"1e3","tags":["a","b"],"meta":{"k":[1,2]}}`,
		`{"nested":{"x":1,"y":[true]},"any":{"a":[null,1.5,"s"]}}`, `{"s":"\ud83d\ude00\u00e9"}`,
		`{"set":[3,1,3],"tuple":["x",2]}`, `[`, `{"a":`, "{\"id\":\"\xff\"}",
		`{"amount":1234567890123456789,"set":[9007199254740993,9007199254740992],"any":-9223372036854775808}`,
	} {
		f.Add([]byte(s))
	}
	l := NewLayout(cty.Object(map[string]cty.Type{
		"id": cty.String, "amount": cty.Number, "ok": cty.Bool,
		"tags":   cty.List(cty.String),
		"set":    cty.Set(cty.Number),
		"tuple":  cty.Tuple([]cty.Type{cty.String, cty.Number}),
		"meta":   cty.Map(cty.List(cty.Number)),
		"nested": cty.Object(map[string]cty.Type{"x": cty.Number, "y": cty.List(cty.Bool)}),
		"any":    cty.DynamicPseudoType,
	}))
	dl := NewLayout(cty.DynamicPseudoType)
	// typed has no dynamic attribute, so go-cty's decoder is the reference.
	typedType := cty.Object(map[string]cty.Type{
		"id": cty.String, "amount": cty.Number, "ok": cty.Bool,
		"tags":   cty.List(cty.String),
		"set":    cty.Set(cty.Number),
		"tuple":  cty.Tuple([]cty.Type{cty.String, cty.Number}),
		"meta":   cty.Map(cty.List(cty.Number)),
		"nested": cty.Object(map[string]cty.Type{"x": cty.Number, "y": cty.List(cty.Bool)}),
	})
	typed := NewLayout(typedType)
	var d Decoder
	f.Fuzz(func(t *testing.T, data []byte) {
		// Whatever go-cty decodes, DecodeJSON decodes to the same values
		// (numbers beyond float64 aside). go-cty ignores data after the
		// value; DecodeJSON rejects it, so only valid JSON is compared.
		valid := json.Valid(data)
		if want, err := ctyjson.Unmarshal(data, typedType); err == nil && valid {
			got, err := DecodeJSON(typed, data)
			switch {
			case err != nil && strings.Contains(err.Error(), "out of range"):
			case err != nil:
				t.Fatalf("go-cty decodes %q, DecodeJSON fails: %v", data, err)
			default:
				if diff := cmp.Diff(testPlain(FromCty(want)), testPlain(Object(got))); diff != "" {
					t.Fatalf("%q (-go-cty +DecodeJSON):\n%s", data, diff)
				}
			}
		}
		for _, lay := range []*Layout{l, dl} {
			r := &Record{}
			err := d.Decode(lay, data, r)
			if err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("error of type %T: %v", err, err)
				}
				continue
			}
			if !valid {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			enc := r.AppendJSON(nil)
			if !json.Valid(enc) {
				t.Fatalf("encoded invalid JSON %q from %q", enc, data)
			}
			r2, err := DecodeJSON(lay, enc)
			if err != nil {
				t.Fatalf("re-decoding %q: %v", enc, err)
			}
			if enc2 := r2.AppendJSON(nil); string(enc2) != string(enc) {
				t.Fatalf("round trip changed %q to %q", enc, enc2)
			}
		}
	})
}

// TestCodecSafeStrings: a decoded string is marked safe exactly when it is
// printable ASCII with nothing JSON escapes, and whether marked or not it
// encodes as encoding/json encodes its text. Strings built from it are not
// marked.
func TestCodecSafeStrings(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{"s": cty.String, "d": cty.DynamicPseudoType, "l": cty.List(cty.String)}))
	tests := []struct {
		in   string // a JSON string literal
		safe bool
	}{
		{`""`, true},
		{`"plain text, with 'quotes' and symbols: ~!@#$%^*()_+={}[]|:;?/.,"`, true},
		{`"https://www.nexmark.com/a/item.htm?query=1&channel_id=3"`, false}, // & is escaped on output
		{`"a<b"`, false},
		{`"a>b"`, false},
		{`"a\"b"`, false},
		{`"a\/b"`, false}, // an escape: decoded through unescape
		{`"a\u0041"`, false},
		{`"café"`, false},
		{"\"bad \xff\"", false},
		{`"\u2028"`, false},
	}
	for _, tt := range tests {
		var text string
		if err := json.Unmarshal([]byte(tt.in), &text); err != nil {
			t.Fatalf("encoding/json %s: %v", tt.in, err)
		}
		want, _ := json.Marshal(text)
		r, err := DecodeJSON(l, []byte(`{"s":`+tt.in+`,"d":`+tt.in+`,"l":[`+tt.in+`]}`))
		if err != nil {
			t.Fatalf("DecodeJSON %s: %v", tt.in, err)
		}
		for name, v := range map[string]Value{"s": r.Values[2], "d": r.Values[0], "l[0]": r.Values[1].List[0]} {
			if v.safe != tt.safe {
				t.Errorf("%s in %s: safe = %v, want %v", tt.in, name, v.safe, tt.safe)
			}
			if got := AppendValueJSON(nil, v); string(got) != string(want) {
				t.Errorf("%s in %s: encodes as %s, want %s", tt.in, name, got, want)
			}
		}
	}
	// A string made from a safe one by a function is a new string.
	o, diags := CompileObject([]ir.Field{{Name: "u", Expr: exprAt(`upper(record.s)`)}, {Name: "s", Expr: exprAt(`record.s`)}},
		[]Root{{Name: "record", Layout: l}}, Consts{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	r, err := DecodeJSON(l, []byte(`{"s":"abc"}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := o.Eval(Frame{r})
	if err != nil {
		t.Fatal(err)
	}
	if got := [2]bool{out.Values[0].safe, out.Values[1].safe}; got != [2]bool{true, false} {
		t.Errorf("safe of record.s, upper(record.s) = %v, want [true false]", got)
	}
}

// TestCodecStringScan puts each kind of byte that ends a plain run of
// string text at every position of strings up to 24 bytes long, so that
// the eight-byte scan (swarStop, swarHTML) meets it in every lane and in
// the tail: decoding matches encoding/json (and NFC), encoding matches
// encoding/json, the safe mark is set exactly for plain text, and a
// skipped string ends where it should.
func TestCodecStringScan(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{"a": cty.String, "s": cty.String}))
	skipS := l.Mask([]string{"a"})
	specials := []struct {
		raw  string // as it appears in the JSON text
		safe bool
		bad  bool // the string is malformed
	}{
		{"", true, false}, {"<", false, false}, {">", false, false}, {"&", false, false},
		{`\"`, false, false}, {`\n`, false, false}, {`\u00e9`, false, false}, {"é", false, false},
		{"\xff", false, false}, {"\x01", false, true}, {"\x7f", true, false}, {" ", true, false},
	}
	for n := 0; n <= 24; n++ {
		for pos := 0; pos <= n; pos++ {
			for _, sp := range specials {
				lit := `"` + strings.Repeat("x", pos) + sp.raw + strings.Repeat("y", n-pos) + `"`
				doc := `{"s":` + lit + `,"a":"end"}`
				r, err := DecodeJSON(l, []byte(doc))
				if sp.bad {
					if err == nil {
						t.Errorf("%q: decoded, want an error", lit)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%q: %v", lit, err)
				}
				var text string
				if err := json.Unmarshal([]byte(lit), &text); err != nil {
					t.Fatalf("encoding/json %q: %v", lit, err)
				}
				v := r.Values[1]
				if want := cty.StringVal(text).AsString(); v.Str != want {
					t.Errorf("%q: decoded %q, want %q", lit, v.Str, want)
				}
				if v.safe != sp.safe {
					t.Errorf("%q: safe = %v, want %v", lit, v.safe, sp.safe)
				}
				want, _ := json.Marshal(v.Str)
				if got := AppendValueJSON(nil, v); string(got) != string(want) {
					t.Errorf("%q: encodes as %s, want %s", lit, got, want)
				}
				var d Decoder
				var rs Record
				if err := d.DecodeNeeded(l, skipS, []byte(doc), &rs); err != nil || rs.Values[0].Str != "end" || !rs.Values[1].IsNull() {
					t.Errorf("%q skipped: a = %q, s null %v, err %v; want \"end\", true, nil", lit, rs.Values[0].Str, rs.Values[1].IsNull(), err)
				}
			}
		}
	}
}
