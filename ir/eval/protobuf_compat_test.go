package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

func protoDoc(t *testing.T, text, message string) *ir.SchemaDoc {
	t.Helper()
	doc := &ir.SchemaDoc{Format: FormatProtobuf, Text: "syntax = \"proto3\";\n" + text, Message: message}
	if err := CompileSchema(doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestProtobufCompatible(t *testing.T) {
	const v1 = "package shop;\nmessage Order { string id = 1; int64 total = 2; repeated string tags = 3; }\n"
	tests := []struct {
		name, prev, next, level string
		want                    []Incompatibility
	}{
		{"identical", v1, v1, CompatFull, nil},
		{"add a field", v1, strings.Replace(v1, "= 3;", "= 3; string note = 4;", 1), CompatFull, nil},
		{"remove a field", v1, strings.Replace(v1, "int64 total = 2;", "", 1), CompatFull, nil},
		{"remove a proto3 optional field", strings.Replace(v1, "= 3;", "= 3; optional string note = 4;", 1), v1, CompatFull, nil},
		{"make a field optional", v1, strings.Replace(v1, "string id", "optional string id", 1), CompatFull, nil},
		{"rename a field", v1, strings.Replace(v1, "total", "sum", 1), CompatFull, nil},
		{"widen int64 to uint64 (one wire group)", v1, strings.Replace(v1, "int64 total", "uint64 total", 1), CompatFull, nil},
		{"int64 to string", v1, strings.Replace(v1, "int64 total", "string total", 1), CompatBackward,
			[]Incompatibility{{Field: "total", Reason: "field total (number 2) changed from int64 to string (FIELD_SCALAR_KIND_CHANGED)"}}},
		{"number reused by another type", v1, strings.Replace(v1, "int64 total = 2;", "double price = 2;", 1), CompatForward,
			[]Incompatibility{{Field: "price", Reason: "field price (number 2) changed from int64 to double (FIELD_SCALAR_KIND_CHANGED)"}}},
		{"NONE accepts anything", v1, strings.Replace(v1, "int64 total", "string total", 1), CompatNone, nil},
		{"singular int to repeated", v1, strings.Replace(v1, "int64 total", "repeated int64 total", 1), CompatBackward,
			[]Incompatibility{{Field: "total", Reason: "field number 2 changed from int64 to repeated int64 (FIELD_KIND_CHANGED)"}}},
		{"repeated string to singular is wire compatible", v1, strings.Replace(v1, "repeated string tags", "string tags", 1), CompatFull, nil},
		{"scalar to message", v1 + "message Money { int64 units = 1; }\n", strings.Replace(v1, "int64 total", "Money total", 1) + "message Money { int64 units = 1; }\n", CompatBackward,
			[]Incompatibility{{Field: "total", Reason: "field number 2 changed from int64 to shop.Money (FIELD_KIND_CHANGED)"}}},
		{"message renamed", v1, strings.Replace(v1, "message Order", "message Purchase", 1), CompatBackward,
			[]Incompatibility{{Reason: "message changed from shop.Order to shop.Purchase (MESSAGE_RENAMED)"}}},
		{"package changed", v1, strings.Replace(v1, "package shop;", "package store;", 1), CompatForward,
			[]Incompatibility{
				{Reason: `package changed from "shop" to "store" (PACKAGE_CHANGED)`},
				{Reason: "message changed from shop.Order to store.Order (MESSAGE_RENAMED)"},
			}},
		{"removing another message breaks BACKWARD", v1 + "message Refund { string id = 1; }\n", v1, CompatBackward,
			[]Incompatibility{{Reason: "message shop.Refund removed (MESSAGE_REMOVED)"}}},
		{"removing another message keeps FORWARD", v1 + "message Refund { string id = 1; }\n", v1, CompatForward, nil},
		{"adding a message breaks FORWARD", v1, v1 + "message Refund { string id = 1; }\n", CompatForward,
			[]Incompatibility{{Reason: "message shop.Refund added (MESSAGE_ADDED)"}}},
		{"nested field changed", "message Order { Item item = 1; }\nmessage Item { int32 qty = 1; }\n", "message Order { Item item = 1; }\nmessage Item { string qty = 1; }\n", CompatBackward,
			[]Incompatibility{{Field: "item.qty", Reason: "field qty (number 1) changed from int32 to string (FIELD_SCALAR_KIND_CHANGED)"}}},
		{"nested message type changed", "message Order { A a = 1; }\nmessage A { int32 x = 1; }\nmessage B { int32 x = 1; }\n", "message Order { B a = 1; }\nmessage A { int32 x = 1; }\nmessage B { int32 x = 1; }\n", CompatBackward,
			[]Incompatibility{{Field: "a", Reason: "field a (number 1) changed from message A to B (FIELD_NAMED_TYPE_CHANGED)"}}},
		{"enum to int", "message Order { S s = 1; }\nenum S { S_UNKNOWN = 0; }\n", "message Order { int32 s = 1; }\nenum S { S_UNKNOWN = 0; }\n", CompatBackward,
			[]Incompatibility{{Field: "s", Reason: "field number 1 changed from S to int32 (FIELD_KIND_CHANGED)"}}},
		{"oneof member removed breaks BACKWARD", "message Order { oneof pay { string card = 1; string iban = 2; } }\n", "message Order { oneof pay { string card = 1; } }\n", CompatBackward,
			[]Incompatibility{{Field: "iban", Reason: "field iban (number 2) removed from oneof pay (ONEOF_FIELD_REMOVED)"}}},
		{"oneof member removed keeps FORWARD", "message Order { oneof pay { string card = 1; string iban = 2; } }\n", "message Order { oneof pay { string card = 1; } }\n", CompatForward, nil},
		{"oneof member added breaks FORWARD", "message Order { oneof pay { string card = 1; } }\n", "message Order { oneof pay { string card = 1; string iban = 2; } }\n", CompatForward,
			[]Incompatibility{{Field: "iban", Reason: "field iban (number 2) added to the existing oneof pay (FIELD_ADDED_TO_EXISTING_ONEOF)"}}},
		{"field moved into an existing oneof", "message Order { string iban = 2; oneof pay { string card = 1; } }\n", "message Order { oneof pay { string card = 1; string iban = 2; } }\n", CompatBackward,
			[]Incompatibility{{Field: "iban", Reason: "field iban (number 2) moved into the existing oneof pay (FIELD_MOVED_TO_EXISTING_ONEOF)"}}},
		{"two fields moved into a new oneof", "message Order { string card = 1; string iban = 2; }\n", "message Order { oneof pay { string card = 1; string iban = 2; } }\n", CompatBackward,
			[]Incompatibility{{Field: "card", Reason: "fields card, iban moved into the new oneof pay (MULTIPLE_FIELDS_MOVED_TO_ONEOF)"}}},
		{"one field moved into a new oneof", "message Order { string card = 1; }\n", "message Order { oneof pay { string card = 1; } }\n", CompatFull, nil},
		{"map value changed", "message Order { map<string, int32> m = 1; }\n", "message Order { map<string, string> m = 1; }\n", CompatBackward,
			[]Incompatibility{{Field: "m.value", Reason: "field value (number 2) changed from int32 to string (FIELD_SCALAR_KIND_CHANGED)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckCompatible(tt.level, protoDoc(t, tt.prev, ""), protoDoc(t, tt.next, ""))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestProtobufCompatibleProto2Required(t *testing.T) {
	doc := func(text string) *ir.SchemaDoc {
		d := &ir.SchemaDoc{Format: FormatProtobuf, Text: "syntax = \"proto2\";\n" + text}
		if err := CompileSchema(d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	prev := doc("message A { required string id = 1; optional string x = 2; }\n")
	tests := []struct {
		name string
		next *ir.SchemaDoc
		want []Incompatibility
	}{
		{"required removed", doc("message A { optional string x = 2; }\n"),
			[]Incompatibility{{Field: "id", Reason: "required field id (number 1) removed (REQUIRED_FIELD_REMOVED)"}}},
		{"required added", doc("message A { required string id = 1; optional string x = 2; required int32 y = 3; }\n"),
			[]Incompatibility{{Field: "y", Reason: "required field y (number 3) added (REQUIRED_FIELD_ADDED)"}}},
		{"optional made required", doc("message A { required string id = 1; required string x = 2; }\n"),
			[]Incompatibility{{Field: "x", Reason: "field x (number 2) became required (REQUIRED_FIELD_ADDED)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckCompatible(CompatBackward, prev, tt.next)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestProtobufDerive(t *testing.T) {
	customer := cty.Object(map[string]cty.Type{"name": cty.String, "vip": cty.Bool})
	v1 := cty.Object(map[string]cty.Type{
		"total": cty.Number, "region": cty.String, "customer": customer,
		"tags": cty.List(cty.String), "counts": cty.Map(cty.Number), "lines": cty.List(customer),
	})
	doc, err := DeriveSchema(FormatProtobuf, "shop.Revenue", v1)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Message != "shop.Revenue" || len(doc.Descriptor) == 0 {
		t.Fatalf("derived %q with %d descriptor bytes", doc.Message, len(doc.Descriptor))
	}
	// The derived schema reads back as the record type it came from.
	got, err := SchemaType(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equals(v1) {
		t.Errorf("type of the derived schema:\n got %s\nwant %s\nschema:\n%s", got.GoString(), v1.GoString(), doc.Text)
	}
	// Every scalar is optional, so a null round-trips as a null.
	for _, line := range []string{"optional double total =", "optional string region =", "optional Customer customer =", "repeated string tags =", "map<string, double> counts =", "repeated Lines lines ="} {
		if !strings.Contains(doc.Text, line) {
			t.Errorf("derived schema lacks %q:\n%s", line, doc.Text)
		}
	}
	// Adding an attribute that sorts first keeps the other fields' numbers,
	// so the next version is FULL compatible with this one.
	v2 := cty.Object(map[string]cty.Type{
		"average": cty.Number, "total": cty.Number, "region": cty.String, "customer": customer,
		"tags": cty.List(cty.String), "counts": cty.Map(cty.Number), "lines": cty.List(customer),
	})
	doc2, err := DeriveSchema(FormatProtobuf, "shop.Revenue", v2)
	if err != nil {
		t.Fatal(err)
	}
	if inc, err := CheckCompatible(CompatFull, doc, doc2); err != nil || len(inc) != 0 {
		t.Errorf("adding a field: %v, %v\n%s\n%s", inc, err, doc.Text, doc2.Text)
	}
	// So is removing one.
	if inc, err := CheckCompatible(CompatFull, doc2, doc); err != nil || len(inc) != 0 {
		t.Errorf("removing a field: %v, %v", inc, err)
	}
	// Changing an attribute's type is caught.
	v3 := cty.Object(map[string]cty.Type{
		"total": cty.String, "region": cty.String, "customer": customer,
		"tags": cty.List(cty.String), "counts": cty.Map(cty.Number), "lines": cty.List(customer),
	})
	doc3, err := DeriveSchema(FormatProtobuf, "shop.Revenue", v3)
	if err != nil {
		t.Fatal(err)
	}
	inc, err := CheckCompatible(CompatBackward, doc, doc3)
	if err != nil || len(inc) != 1 || inc[0].Field != "total" || !strings.Contains(inc[0].Reason, "changed from double to string") {
		t.Errorf("changing total to a string: %v, %v", inc, err)
	}
	// A record round-trips through the derived schema, nulls included.
	c, err := NewCodecFor(CodecSpec{Format: FormatProtobuf, Schema: doc})
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout(v1)
	in, err := RecordFromCty(cty.ObjectVal(map[string]cty.Value{
		"total": cty.NumberIntVal(12), "region": cty.NullVal(cty.String),
		"customer": cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("Ann"), "vip": cty.False}),
		"tags":     cty.ListVal([]cty.Value{cty.StringVal("a")}), "counts": cty.MapVal(map[string]cty.Value{"k": cty.NumberFloatVal(0.5)}),
		"lines": cty.ListValEmpty(customer),
	}), l)
	if err != nil {
		t.Fatal(err)
	}
	out, err := AppendRecord(c, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	back := &Record{}
	if err := c.Decode(l, nil, out, back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testPlainRecord(in), testPlainRecord(back)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestProtobufDeriveErrors(t *testing.T) {
	tests := []struct {
		name string
		t    cty.Type
		want string
	}{
		{"not an object", cty.String, "must be an object"},
		{"bad field name", cty.Object(map[string]cty.Type{"window-start": cty.String}), `attribute "window-start" is not a valid protobuf field name`},
		{"list of lists", cty.Object(map[string]cty.Type{"m": cty.List(cty.List(cty.Number))}), "attribute m of type list of list of number has no protobuf equivalent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DeriveSchema(FormatProtobuf, "R", tt.t)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestProtobufDerivedFieldNumbers(t *testing.T) {
	nums := deriveFieldNumbers([]string{"a", "b", "c"})
	seen := map[int]bool{}
	for n, num := range nums {
		if num < 1 || num > pbDerivedMaxField || num >= pbReservedFirst && num <= pbReservedLast || seen[num] {
			t.Errorf("field %s got number %d", n, num)
		}
		seen[num] = true
	}
	// A name keeps its number whatever else the message holds.
	if more := deriveFieldNumbers([]string{"0", "a", "aa", "b", "c"}); more["a"] != nums["a"] || more["b"] != nums["b"] || more["c"] != nums["c"] {
		t.Errorf("numbers moved: %v then %v", nums, more)
	}
}

func FuzzProtobufDecode(f *testing.F) {
	doc := shopDoc(f, "shop.Order")
	md := refDescriptor(f, doc, "shop.Order")
	f.Add(frame(7, []byte{0}, refEncode(f, md, fullOrderJSON)))
	f.Add(frame(7, []byte{0}, nil))
	f.Add(frame(7, []byte{4, 0, 0}, []byte{0x0a, 0x02, 'o', '1'}))
	f.Add([]byte{0, 0, 0, 0, 7, 0, 0x2a, 0x80})
	c, l := newShopCodec(f, doc)
	mask := l.Mask([]string{"amount", "items", "tags"})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &Record{}
		if err := c.Decode(l, nil, data, r); err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			return
		}
		_ = c.Decode(l, mask, data, &Record{})
		// What decodes re-encodes (unchecked) and decodes to the same record.
		out := c.Append(nil, r)
		r2 := &Record{}
		if err := c.Decode(l, nil, out, r2); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
	})
}
