package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// ordersSchema is a draft-07 schema exercising the type table: required vs
// optional vs nullable, integer and number, a string enum, a date-time, an
// array and a nested object.
const ordersSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Order",
  "type": "object",
  "required": ["id", "amount"],
  "properties": {
    "id":       {"type": "string"},
    "amount":   {"type": "number"},
    "qty":      {"type": "integer"},
    "status":   {"enum": ["new", "paid"]},
    "ts":       {"type": "string", "format": "date-time"},
    "note":     {"type": ["string", "null"]},
    "tags":     {"type": "array", "items": {"type": "string"}},
    "customer": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
    "attrs":    {"type": "object", "additionalProperties": {"type": "number"}},
    "extra":    {}
  }
}`

func jsDoc(text string, id int) *ir.SchemaDoc {
	return &ir.SchemaDoc{Format: FormatJSONSchema, Text: text, Subject: "orders-value", Version: 1, ID: id}
}

func TestJSONSchemaType(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   cty.Type
		err    string
	}{
		{
			name:   "orders",
			schema: ordersSchema,
			want: cty.Object(map[string]cty.Type{
				"id": cty.String, "amount": cty.Number, "qty": cty.Number, "status": cty.String,
				"ts": cty.String, "note": cty.String, "tags": cty.List(cty.String),
				"customer": cty.Object(map[string]cty.Type{"name": cty.String}),
				"attrs":    cty.Map(cty.Number), "extra": cty.DynamicPseudoType,
			}),
		},
		{
			name:   "anyOf with null is nullable T; several types are dynamic",
			schema: `{"type":"object","properties":{"a":{"anyOf":[{"type":"null"},{"type":"boolean"}]},"b":{"type":["string","number"]}}}`,
			want:   cty.Object(map[string]cty.Type{"a": cty.Bool, "b": cty.DynamicPseudoType}),
		},
		{
			name:   "a local $ref",
			schema: `{"type":"object","definitions":{"money":{"type":"number"}},"properties":{"total":{"$ref":"#/definitions/money"}}}`,
			want:   cty.Object(map[string]cty.Type{"total": cty.Number}),
		},
		{name: "not an object", schema: `{"type":"string"}`, err: "not an object"},
		{name: "not JSON", schema: `{"type":`, err: "json_schema"},
		{name: "recursive", schema: `{"type":"object","properties":{"next":{"$ref":"#"}}}`, err: "nests more than 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SchemaType(jsDoc(tt.schema, 1))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equals(tt.want) {
				t.Errorf("type = %s\nwant   %s", got.GoString(), tt.want.GoString())
			}
		})
	}
}

func TestJSONSchemaTypeWithReference(t *testing.T) {
	s := jsDoc(`{"type":"object","properties":{"addr":{"$ref":"address.json"}}}`, 1)
	s.References = map[string]string{"address.json": `{"type":"object","properties":{"city":{"type":"string"}}}`}
	got, err := SchemaType(s)
	if err != nil {
		t.Fatal(err)
	}
	want := cty.Object(map[string]cty.Type{"addr": cty.Object(map[string]cty.Type{"city": cty.String})})
	if !got.Equals(want) {
		t.Errorf("type = %s, want %s", got.GoString(), want.GoString())
	}
}

func framed(id int, payload string) []byte {
	return append([]byte{0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}, payload...)
}

func TestJSONSchemaDecode(t *testing.T) {
	const small = `{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"amount":{"type":"number"},"qty":{"type":"integer"}}}`
	tests := []struct {
		name   string
		coerce bool
		data   []byte
		want   string // the decoded record as JSON, or
		err    string // a substring of the DecodeError
	}{
		{name: "conforming", data: framed(7, `{"id":"o1","amount":12.5,"qty":3,"other":true}`), want: `{"amount":12.5,"id":"o1","qty":3}`},
		{name: "missing optional is null", data: framed(7, `{"id":"o1"}`), want: `{"amount":null,"id":"o1","qty":null}`},
		{name: "drifted number without coerce", data: framed(7, `{"id":"o1","amount":"100"}`), err: "json_schema: field amount: does not conform"},
		{name: "drifted number with coerce", coerce: true, data: framed(7, `{"id":"o1","amount":"100"}`), want: `{"amount":100,"id":"o1","qty":null}`},
		{name: "unconvertible with coerce", coerce: true, data: framed(7, `{"id":"o1","amount":"lots"}`), err: "field amount"},
		{name: "fraction for integer with coerce", coerce: true, data: framed(7, `{"id":"o1","qty":"1.5"}`), err: "field qty"},
		{name: "missing required", data: framed(7, `{"amount":1}`), err: "missing property 'id'"},
		{name: "unknown schema ID", data: framed(8, `{"id":"o1"}`), err: "unknown schema ID 8"},
		{name: "not framed", data: []byte(`{"id":"o1"}`), err: "magic byte is 123"},
		{name: "short", data: []byte{0, 0}, err: "shorter than the 5-byte"},
		{name: "malformed JSON", data: framed(7, `{"id":`), err: "json_schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := jsDoc(small, 7)
			c, err := NewCodecFor(CodecSpec{Format: FormatJSONSchema, Schema: s, Coerce: tt.coerce})
			if err != nil {
				t.Fatal(err)
			}
			typ, err := SchemaType(s)
			if err != nil {
				t.Fatal(err)
			}
			var r Record
			err = c.Decode(NewLayout(typ), nil, tt.data, &r)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				if _, ok := err.(*DecodeError); !ok {
					t.Errorf("err is %T, want *DecodeError (dead-lettered with the reason)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(r.AppendJSON(nil))); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJSONSchemaDecodeWriterSchema(t *testing.T) {
	// Version 2 (ID 9) added an optional field; a record written with
	// version 1 (ID 4) is validated against version 1.
	v1 := `{"type":"object","required":["id"],"properties":{"id":{"type":"string"}},"additionalProperties":false}`
	v2 := `{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"n":{"type":"number"}}}`
	spec := CodecSpec{Format: FormatJSONSchema, Schema: jsDoc(v2, 9), WriterSchema: func(id int) (*ir.SchemaDoc, error) {
		if id == 4 {
			return jsDoc(v1, 4), nil
		}
		return nil, &DecodeError{Reason: "not registered"}
	}}
	c, err := NewCodecFor(spec)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout(cty.Object(map[string]cty.Type{"id": cty.String, "n": cty.Number}))
	var r Record
	if err := c.Decode(l, nil, framed(4, `{"id":"a"}`), &r); err != nil {
		t.Errorf("v1 record: %v", err)
	}
	// Version 1 is closed: n is not allowed in a record written with it.
	if err := c.Decode(l, nil, framed(4, `{"id":"a","n":1}`), &r); err == nil {
		t.Error("a v1 record with a property v1 forbids was accepted")
	}
	if err := c.Decode(l, nil, framed(5, `{"id":"a"}`), &r); err == nil || !strings.Contains(err.Error(), "schema ID 5") {
		t.Errorf("unknown ID: err = %v", err)
	}
}

func TestJSONSchemaAppendChecked(t *testing.T) {
	const schema = `{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"amount":{"type":"number"},"note":{"type":["string","null"]}}}`
	typ := cty.Object(map[string]cty.Type{"id": cty.String, "amount": cty.Number, "note": cty.String})
	tests := []struct {
		name   string
		record string // as JSON, decoded with the plain JSON decoder
		want   []byte
		err    string
	}{
		// amount is optional and not nullable: a null is left out; note
		// is nullable: written as null.
		{name: "nulls", record: `{"id":"a"}`, want: framed(3, `{"id":"a","note":null}`)},
		{name: "all set", record: `{"id":"a","amount":2.5,"note":"x"}`, want: framed(3, `{"amount":2.5,"id":"a","note":"x"}`)},
		{name: "required null", record: `{"amount":1}`, err: "field id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCodecFor(CodecSpec{Format: FormatJSONSchema, Schema: jsDoc(schema, 3)})
			if err != nil {
				t.Fatal(err)
			}
			r, err := DecodeJSON(NewLayout(typ), []byte(tt.record))
			if err != nil {
				t.Fatal(err)
			}
			prefix := []byte("keep")
			got, err := AppendRecord(c, prefix, r)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.err)
				}
				if string(got) != "keep" {
					t.Errorf("a rejected record left %q in dst", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(append([]byte("keep"), tt.want...), got); diff != "" {
				t.Errorf("bytes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeriveJSONSchemaRoundTrip(t *testing.T) {
	types := []cty.Type{
		cty.Object(map[string]cty.Type{"customer": cty.String, "total": cty.Number, "ok": cty.Bool}),
		cty.Object(map[string]cty.Type{
			"items": cty.List(cty.Object(map[string]cty.Type{"sku": cty.String})),
			"by":    cty.Map(cty.Number),
			"inner": cty.Object(map[string]cty.Type{"x": cty.List(cty.Number)}),
			"any":   cty.DynamicPseudoType,
		}),
	}
	for _, typ := range types {
		s, err := DeriveSchema(FormatJSONSchema, "Revenue", typ)
		if err != nil {
			t.Fatal(err)
		}
		got, err := SchemaType(s)
		if err != nil {
			t.Fatalf("derived schema does not compile: %v\n%s", err, s.Text)
		}
		if !got.Equals(typ) {
			t.Errorf("SchemaType(DeriveSchema(%s)) = %s", typ.GoString(), got.GoString())
		}
		again, _ := DeriveSchema(FormatJSONSchema, "Revenue", typ)
		if again.Text != s.Text {
			t.Error("derived text is not deterministic")
		}
		// A sink's own records (any attribute null) conform to it.
		c, err := NewCodecFor(CodecSpec{Format: FormatJSONSchema, Schema: s})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := AppendRecord(c, nil, NewRecord(NewLayout(typ))); err != nil {
			t.Errorf("an all-null record does not conform to the derived schema: %v", err)
		}
	}
	if _, err := DeriveSchema(FormatJSONSchema, "x", cty.String); err == nil {
		t.Error("derived a schema for a non-object type")
	}
}

func TestJSONSchemaCompatible(t *testing.T) {
	obj := func(props, required string, closed bool) string {
		s := `{"type":"object","properties":{` + props + `},"required":[` + required + `]`
		if closed {
			s += `,"additionalProperties":false`
		}
		return s + "}"
	}
	base := obj(`"id":{"type":"string"},"total":{"type":"integer"}`, `"id"`, false)
	tests := []struct {
		name       string
		level      string
		prev, next string
		want       []Incompatibility
	}{
		{name: "same", level: CompatFull, prev: base, next: base},
		{name: "optional added", level: CompatFull, prev: base, next: obj(`"id":{"type":"string"},"total":{"type":"integer"},"n":{"type":"number"}`, `"id"`, false)},
		{
			name: "required added breaks BACKWARD", level: CompatBackward, prev: base,
			next: obj(`"id":{"type":"string"},"total":{"type":"integer"},"n":{"type":"number"}`, `"id","n"`, false),
			want: []Incompatibility{{Field: "n", Reason: "was added as a required property"}},
		},
		{
			name: "required added is FORWARD compatible", level: CompatForward, prev: base,
			next: obj(`"id":{"type":"string"},"total":{"type":"integer"},"n":{"type":"number"}`, `"id","n"`, false),
		},
		{
			name: "type changed", level: CompatBackward, prev: base,
			next: obj(`"id":{"type":"string"},"total":{"type":"string"}`, `"id"`, false),
			want: []Incompatibility{{Field: "total", Reason: "changed from integer to string"}},
		},
		{name: "integer widened to number", level: CompatBackward, prev: base, next: obj(`"id":{"type":"string"},"total":{"type":"number"}`, `"id"`, false)},
		{
			name: "number narrowed to integer breaks FORWARD", level: CompatForward, prev: base,
			next: obj(`"id":{"type":"string"},"total":{"type":"number"}`, `"id"`, false),
			want: []Incompatibility{{Field: "total", Reason: "changed from number to integer"}},
		},
		{
			name: "removed property breaks FORWARD for a closed reader", level: CompatForward,
			prev: obj(`"id":{"type":"string"},"total":{"type":"integer"}`, `"id"`, true),
			next: obj(`"id":{"type":"string"}`, `"id"`, true),
		},
		{
			name: "added property breaks FORWARD for a closed old reader", level: CompatForward,
			prev: obj(`"id":{"type":"string"}`, `"id"`, true),
			next: obj(`"id":{"type":"string"},"total":{"type":"integer"}`, `"id"`, true),
			want: []Incompatibility{{Field: "total", Reason: "was removed, and the schema does not allow additional properties"}},
		},
		{
			name: "nullable to not nullable", level: CompatBackward,
			prev: obj(`"id":{"type":["string","null"]}`, ``, false), next: obj(`"id":{"type":"string"}`, ``, false),
			want: []Incompatibility{{Field: "id", Reason: "changed from nullable to not nullable"}},
		},
		{
			name: "enum lost a value", level: CompatBackward,
			prev: obj(`"s":{"enum":["a","b"]}`, ``, false), next: obj(`"s":{"enum":["a"]}`, ``, false),
			want: []Incompatibility{{Field: "s", Reason: `enum lost the value "b"`}},
		},
		{
			name: "nested and arrays", level: CompatBackward,
			prev: obj(`"c":{"type":"object","properties":{"xs":{"type":"array","items":{"type":"number"}}}}`, ``, false),
			next: obj(`"c":{"type":"object","properties":{"xs":{"type":"array","items":{"type":"string"}}}}`, ``, false),
			want: []Incompatibility{{Field: "c.xs[]", Reason: "changed from number to string"}},
		},
		{name: "NONE", level: CompatNone, prev: base, next: obj(`"id":{"type":"number"}`, `"id","x"`, true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckCompatible(tt.level, jsDoc(tt.prev, 1), jsDoc(tt.next, 0))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("incompatibilities (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := CheckCompatible("SIDEWAYS", jsDoc(base, 1), jsDoc(base, 1)); err == nil {
		t.Error("an unknown level was accepted")
	}
}
