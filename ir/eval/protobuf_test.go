package eval

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// The tests encode reference records with google.golang.org/protobuf's
// dynamicpb (from protojson text) and decode ours with it: an
// implementation independent of the codec's own wire walker.

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "protobuf", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// shopDoc is testdata/protobuf/shop.proto as the plan carries it: compiled,
// with schema ID 7.
func shopDoc(t testing.TB, message string) *ir.SchemaDoc {
	t.Helper()
	doc := &ir.SchemaDoc{
		Format: FormatProtobuf, Text: readTestdata(t, "shop.proto"), Message: message, ID: 7,
		References: map[string]string{"common.proto": readTestdata(t, "common.proto")},
	}
	if err := CompileSchema(doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// refDescriptor finds a message in doc's descriptor set with protodesc.
func refDescriptor(t testing.TB, doc *ir.SchemaDoc, name string) protoreflect.MessageDescriptor {
	t.Helper()
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(doc.Descriptor, &set); err != nil {
		t.Fatal(err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		t.Fatal(err)
	}
	d, err := files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		t.Fatal(err)
	}
	return d.(protoreflect.MessageDescriptor)
}

// refEncode is the wire form of a message given as protojson text.
func refEncode(t testing.TB, md protoreflect.MessageDescriptor, jsonText string) []byte {
	t.Helper()
	m := dynamicpb.NewMessage(md)
	if err := protojson.Unmarshal([]byte(jsonText), m); err != nil {
		t.Fatal(err)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// frame is a Confluent frame: magic 0, the ID, the message indexes bytes.
func frame(id int, indexes []byte, payload []byte) []byte {
	return append(append(appendConfluentHeader(nil, id), indexes...), payload...)
}

func newShopCodec(t testing.TB, doc *ir.SchemaDoc) (*pbCodec, *Layout) {
	t.Helper()
	c, err := NewCodecFor(CodecSpec{Format: FormatProtobuf, Schema: doc})
	if err != nil {
		t.Fatal(err)
	}
	ty, err := SchemaType(doc)
	if err != nil {
		t.Fatal(err)
	}
	return c.(*pbCodec), NewLayout(ty)
}

func TestProtobufType(t *testing.T) {
	addr := cty.Object(map[string]cty.Type{"city": cty.String, "zip": cty.String})
	want := cty.Object(map[string]cty.Type{
		"id": cty.String, "amount": cty.Number, "customer_id": cty.Number, "status": cty.String,
		"items":   cty.List(cty.Object(map[string]cty.Type{"sku": cty.String, "qty": cty.Number})),
		"tags":    cty.Map(cty.Number),
		"ts":      cty.String, // Timestamp: RFC 3339
		"note":    cty.String, // StringValue: nullable string
		"coupon":  cty.String,
		"card":    cty.String,
		"iban":    cty.String,
		"blob":    cty.String, // bytes: base64
		"codes":   cty.List(cty.Number),
		"address": addr,
		"ratio":   cty.Number, "big": cty.Number, "delta": cty.Number, "paid": cty.Bool,
		"by_id": cty.Map(addr),
		"count": cty.Number,
	})
	got, err := SchemaType(shopDoc(t, "shop.Order"))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equals(want) {
		t.Errorf("SchemaType:\n got %s\nwant %s", got.GoString(), want.GoString())
	}
	// Without Message, the file's first message, as Confluent defaults.
	doc := shopDoc(t, "")
	if got, err := SchemaType(doc); err != nil || !got.Equals(want) {
		t.Errorf("SchemaType without a message: %v, %v", got.GoString(), err)
	}
}

func TestProtobufSchemaErrors(t *testing.T) {
	tests := []struct {
		name, text, message, want string
	}{
		{"syntax error", "syntax = \"proto3\";\nmessage A {\n  string a = ;\n}\n", "A", "schema.proto:3:14"},
		{"typo in the message", "syntax = \"proto3\";\nmessage Click { string a = 1; }\n", "Clik", `did you mean "Click"?`},
		{"recursive", "syntax = \"proto3\";\nmessage Node { Node next = 1; }\n", "Node", "recursive"},
		{"missing import", "syntax = \"proto3\";\nimport \"other.proto\";\nmessage A {}\n", "A", "other.proto"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SchemaType(&ir.SchemaDoc{Format: FormatProtobuf, Text: tt.text, Message: tt.message})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// emptyOrder is the record of an Order with no field set: proto3 defaults
// for fields without presence, null for the others.
func emptyOrder() map[string]any {
	return map[string]any{
		"id": "", "amount": 0.0, "customer_id": 0.0, "status": "STATUS_UNKNOWN",
		"items": []any{}, "tags": map[string]any{}, "ts": nil, "note": nil, "coupon": nil,
		"card": nil, "iban": nil, "blob": "", "codes": []any{}, "address": nil,
		"ratio": 0.0, "big": 0.0, "delta": 0.0, "paid": false, "by_id": map[string]any{}, "count": nil,
	}
}

func withFields(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

const fullOrderJSON = `{"id":"o1","amount":150.5,"customerId":"1234567890123456789","status":"PAID",
 "items":[{"sku":"a","qty":2},{"sku":"b"}],"tags":{"x":1,"y":-2},"ts":"2026-01-01T00:00:05.250Z",
 "note":"hi","coupon":"","card":"4111","blob":"AQI=","codes":[1,-2,3],"address":{"city":"Oslo"},
 "ratio":0.1,"big":"13835058055282163712","delta":-5,"paid":true,"byId":{"7":{"city":"X"}},"count":"0"}`

func fullOrder() map[string]any {
	return map[string]any{
		"id": "o1", "amount": 150.5, "customer_id": bigInt(1234567890123456789), "status": "PAID",
		"items": []any{map[string]any{"sku": "a", "qty": 2.0}, map[string]any{"sku": "b", "qty": 0.0}},
		"tags":  map[string]any{"x": 1.0, "y": -2.0},
		"ts":    "2026-01-01T00:00:05.250Z", "note": "hi", "coupon": "", "card": "4111", "iban": nil,
		"blob": "AQI=", "codes": []any{1.0, -2.0, 3.0}, "address": map[string]any{"city": "Oslo", "zip": ""},
		"ratio": 0.1, "big": 13835058055282163712.0, "delta": -5.0, "paid": true,
		"by_id": map[string]any{"7": map[string]any{"city": "X", "zip": ""}},
		"count": 0.0,
	}
}

func TestProtobufDecode(t *testing.T) {
	doc := shopDoc(t, "shop.Order")
	md := refDescriptor(t, doc, "shop.Order")
	unknown := protowire.AppendTag(nil, 99, protowire.VarintType)
	unknown = protowire.AppendVarint(unknown, 5)
	unknown = protowire.AppendTag(unknown, 100, protowire.BytesType)
	unknown = protowire.AppendString(unknown, "ignored")
	var unpacked []byte // codes written one tag per element, as proto2 writers do
	for _, c := range []int64{4, 5} {
		unpacked = protowire.AppendTag(unpacked, 13, protowire.VarintType)
		unpacked = protowire.AppendVarint(unpacked, uint64(c))
	}
	cardThenIban := append(refEncode(t, md, `{"card":"4111"}`), refEncode(t, md, `{"iban":"DE00"}`)...)
	addrMerged := append(refEncode(t, md, `{"address":{"city":"Oslo"}}`), refEncode(t, md, `{"address":{"zip":"0150"}}`)...)
	tests := []struct {
		name    string
		payload []byte
		indexes []byte
		want    map[string]any
	}{
		{"every field", refEncode(t, md, fullOrderJSON), []byte{0}, fullOrder()},
		{"missing fields are defaults", nil, []byte{0}, emptyOrder()},
		{"unknown fields are skipped", append(refEncode(t, md, `{"id":"o2"}`), unknown...), []byte{0}, withFields(emptyOrder(), "id", "o2")},
		{"unpacked repeated", unpacked, []byte{0}, withFields(emptyOrder(), "codes", []any{4.0, 5.0})},
		{"oneof: the last member wins", cardThenIban, []byte{0}, withFields(emptyOrder(), "iban", "DE00")},
		{"a repeated message merges", addrMerged, []byte{0}, withFields(emptyOrder(), "address", map[string]any{"city": "Oslo", "zip": "0150"})},
		{"indexes spelled out as [0]", refEncode(t, md, `{"id":"o3"}`), []byte{2, 0}, withFields(emptyOrder(), "id", "o3")},
		{"unknown enum number", protowire.AppendVarint(protowire.AppendTag(nil, 4, protowire.VarintType), 9), []byte{0}, withFields(emptyOrder(), "status", "9")},
	}
	c, l := newShopCodec(t, doc)
	r := &Record{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Decode(l, nil, frame(7, tt.indexes, tt.payload), r); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, testPlainRecord(r)); diff != "" {
				t.Errorf("decoded record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProtobufMessageIndexes(t *testing.T) {
	doc := shopDoc(t, "shop.Refund")
	md := refDescriptor(t, doc, "shop.Refund")
	c, l := newShopCodec(t, doc)
	r := &Record{}
	// Refund is the file's second message: indexes [1], written as the
	// zigzag count 1 (2) and the zigzag index 1 (2).
	if err := c.Decode(l, nil, frame(7, []byte{2, 2}, refEncode(t, md, `{"orderId":"o9"}`)), r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"order_id": "o9"}, testPlainRecord(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	out, err := c.AppendChecked(nil, r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]byte{0, 0, 0, 0, 7, 2, 2}, out[:7]); diff != "" {
		t.Errorf("frame header (-want +got):\n%s", diff)
	}
	// Order.Item is [0, 0]: count 2 (4), then 0, 0.
	item := &pbMsg{index: []int{0, 0}}
	if diff := cmp.Diff([]byte{4, 0, 0}, appendMessageIndexes(nil, item)); diff != "" {
		t.Errorf("indexes of a nested message (-want +got):\n%s", diff)
	}
	// A record of another message is refused, not misread.
	err = c.Decode(l, nil, frame(7, []byte{0}, nil), r)
	if err == nil || !strings.Contains(err.Error(), "the record is a shop.Order") {
		t.Errorf("an Order read as a Refund: %v", err)
	}
}

func TestProtobufDecodeErrors(t *testing.T) {
	doc := shopDoc(t, "shop.Order")
	md := refDescriptor(t, doc, "shop.Order")
	idAsVarint := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1)
	qtyAsString := protowire.AppendBytes(protowire.AppendTag(nil, 5, protowire.BytesType),
		protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType), "two"))
	badUTF8 := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte{0xff, 'a'})
	full := refEncode(t, md, fullOrderJSON)
	// ts = {seconds: 253402300800}: 10000-01-01, beyond RFC 3339.
	farTS := protowire.AppendBytes(protowire.AppendTag(nil, 7, protowire.BytesType),
		protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 253402300800))
	tests := []struct {
		name  string
		data  []byte
		field string
		want  string
	}{
		{"short", []byte{0, 0, 0}, "", "shorter than the 5-byte Confluent header"},
		{"bad magic", []byte{1, 0, 0, 0, 7, 0}, "", "magic byte is 1"},
		{"unknown ID", frame(8, []byte{0}, nil), "", "unknown schema ID 8"},
		{"truncated indexes", frame(7, nil, nil), "", "truncated message indexes"},
		{"indexes beyond the file", frame(7, []byte{2, 10}, nil), "", "name no message"},
		{"wire type mismatch", frame(7, []byte{0}, idAsVarint), "id", "does not fit the schema's string"},
		{"nested path", frame(7, []byte{0}, qtyAsString), "items[0].qty", "does not fit the schema's int32"},
		{"invalid UTF-8", frame(7, []byte{0}, badUTF8), "id", "not valid UTF-8"},
		{"truncated", frame(7, []byte{0}, full[:len(full)-3]), "", "truncated"},
		{"timestamp beyond year 9999", frame(7, []byte{0}, farTS), "ts", "outside 0001-01-01 .. 9999-12-31"},
		{"negative index count", frame(7, []byte{1}, nil), "", "-1 message indexes"},
	}
	c, l := newShopCodec(t, doc)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Decode(l, nil, tt.data, &Record{})
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a *DecodeError", err)
			}
			if de.Field != tt.field && !(tt.field == "" && tt.name == "truncated") {
				t.Errorf("Field = %q, want %q", de.Field, tt.field)
			}
			if !strings.Contains(de.Reason, tt.want) {
				t.Errorf("Reason = %q, want it to contain %q", de.Reason, tt.want)
			}
		})
	}
}

func TestProtobufWriterSchema(t *testing.T) {
	reader := shopDoc(t, "shop.Order")
	// Version 2 of the subject (ID 8) adds a field the reader does not know.
	v2 := &ir.SchemaDoc{Format: FormatProtobuf, ID: 8, Message: "shop.Order",
		Text: strings.Replace(readTestdata(t, "shop.proto"), "  google.protobuf.Int64Value count = 20;\n",
			"  google.protobuf.Int64Value count = 20;\n  string channel = 21;\n", 1),
		References: reader.References}
	if err := CompileSchema(v2); err != nil {
		t.Fatal(err)
	}
	// ID 9 is a schema whose first message is another one.
	other := &ir.SchemaDoc{Format: FormatProtobuf, ID: 9, Text: "syntax = \"proto3\";\npackage shop;\nmessage Click { string id = 1; }\n"}
	if err := CompileSchema(other); err != nil {
		t.Fatal(err)
	}
	lookups := 0
	spec := CodecSpec{Format: FormatProtobuf, Schema: reader, WriterSchema: func(id int) (*ir.SchemaDoc, error) {
		lookups++
		switch id {
		case 8:
			return v2, nil
		case 9:
			return other, nil
		}
		return nil, errors.New("not found")
	}}
	codec, err := NewCodecFor(spec)
	if err != nil {
		t.Fatal(err)
	}
	ty, _ := SchemaType(reader)
	l := NewLayout(ty)
	payload := refEncode(t, refDescriptor(t, v2, "shop.Order"), `{"id":"o1","channel":"web"}`)
	r := &Record{}
	for range 2 {
		if err := codec.Decode(l, nil, frame(8, []byte{0}, payload), r); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(withFields(emptyOrder(), "id", "o1"), testPlainRecord(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if lookups != 1 {
		t.Errorf("WriterSchema called %d times for one ID, want 1", lookups)
	}
	err = codec.Decode(l, nil, frame(9, []byte{0}, nil), r)
	if err == nil || !strings.Contains(err.Error(), "the record is a shop.Click") {
		t.Errorf("a Click read as an Order: %v", err)
	}
	err = codec.Decode(l, nil, frame(10, []byte{0}, nil), r)
	if err == nil || !strings.Contains(err.Error(), "schema ID 10: not found") {
		t.Errorf("unknown ID: %v", err)
	}
}

func TestProtobufDecodeNeeded(t *testing.T) {
	doc := shopDoc(t, "shop.Order")
	md := refDescriptor(t, doc, "shop.Order")
	c, l := newShopCodec(t, doc)
	r := &Record{}
	// Even a pruned field with the wrong wire type does not fail the record.
	data := frame(7, []byte{0}, append(refEncode(t, md, fullOrderJSON), protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1)...))
	if err := c.Decode(l, l.Mask([]string{"amount", "items"}), data, r); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	for k := range emptyOrder() {
		want[k] = nil
	}
	want["amount"] = 150.5
	want["items"] = fullOrder()["items"]
	if diff := cmp.Diff(want, testPlainRecord(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// refDecode decodes a framed record of ours with dynamicpb, into protojson's
// plain form (with every field, defaults included).
func refDecode(t *testing.T, md protoreflect.MessageDescriptor, data []byte, indexLen int) map[string]any {
	t.Helper()
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(data[5+indexLen:], m); err != nil {
		t.Fatalf("dynamicpb cannot read our encoding: %v", err)
	}
	j, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(j, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProtobufEncode(t *testing.T) {
	doc := shopDoc(t, "shop.Order")
	md := refDescriptor(t, doc, "shop.Order")
	c, l := newShopCodec(t, doc)
	tests := []struct {
		name    string
		payload string // the record, as protojson text, decoded by our codec
		want    string // what protojson reads back from our encoding (defaults omitted)
	}{
		{"every field", fullOrderJSON, `{"id":"o1","amount":150.5,"customer_id":"1234567890123456789","status":"PAID",
			"items":[{"sku":"a","qty":2},{"sku":"b"}],"tags":{"x":1,"y":-2},"ts":"2026-01-01T00:00:05.250Z",
			"note":"hi","coupon":"","card":"4111","blob":"AQI=","codes":[1,-2,3],"address":{"city":"Oslo"},
			"ratio":0.1,"big":"13835058055282163712","delta":-5,"paid":true,"by_id":{"7":{"city":"X"}},"count":"0"}`},
		{"defaults are left out", `{}`, `{}`},
		{"nanosecond timestamp", `{"ts":"1969-12-31T23:59:59.000000001Z"}`, `{"ts":"1969-12-31T23:59:59.000000001Z"}`},
	}
	r := &Record{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Decode(l, nil, frame(7, []byte{0}, refEncode(t, md, tt.payload)), r); err != nil {
				t.Fatal(err)
			}
			out, err := c.AppendChecked([]byte("prefix"), r)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), "prefix\x00\x00\x00\x00\x07\x00") {
				t.Fatalf("frame = %q, want the dst prefix, magic 0, ID 7, indexes [0]", out[:min(len(out), 12)])
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, refDecode(t, md, out[len("prefix"):], 1)); diff != "" {
				t.Errorf("read back by dynamicpb (-want +got):\n%s", diff)
			}
			// And our own decoder reads it back to the same record.
			r2 := &Record{}
			if err := c.Decode(l, nil, out[len("prefix"):], r2); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(testPlainRecord(r), testPlainRecord(r2)); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProtobufEncodeErrors(t *testing.T) {
	doc := shopDoc(t, "shop.Order")
	c, l := newShopCodec(t, doc)
	base := func() *Record {
		r := NewRecord(l)
		if err := c.Decode(l, nil, frame(7, []byte{0}, nil), r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	set := func(name string, v Value) *Record {
		r := base()
		i, _ := l.Index(name)
		r.Values[i] = v
		return r
	}
	item := func(qty Value) Value {
		il := l.Nested[0]
		for i, n := range l.Names {
			if n == "items" {
				il = NewLayout(l.Types[i].ElementType())
			}
		}
		r := NewRecord(il)
		r.Values[0] = qty
		r.Values[1] = String("s")
		return List([]Value{Object(r)})
	}
	both := set("card", String("4111"))
	i, _ := l.Index("iban")
	both.Values[i] = String("DE00")
	tests := []struct {
		name string
		r    *Record
		want string
	}{
		{"null without presence", set("id", Null), "field id: is null, but string field id has no presence"},
		{"enum typo", set("status", String("PAYED")), `field status: "PAYED" is not a value of enum shop.Order.Status; did you mean "PAID"?`},
		{"int32 range", set("delta", Int(1<<31)), "field delta: 2147483648 is not an sint32"},
		{"fraction into an integer", set("customer_id", Number(1.5)), "field customer_id: 1.5 is not an int64"},
		{"negative uint64", set("big", Int(-1)), "field big: -1 is not a uint64"},
		{"bytes not base64", set("blob", String("%%")), "field blob: bytes field holds \"%%\", which is not standard base64"},
		{"wrong kind", set("paid", String("yes")), "field paid: want a bool, got a string"},
		{"bad timestamp", set("ts", String("yesterday")), "field ts: not an RFC 3339 timestamp"},
		{"nested path", set("items", item(Number(0.5))), "field items[0].qty: 0.5 is not an int32"},
		{"two oneof members", both, "fields card and iban are both set, but oneof payment holds at most one"},
		{"integer beyond a double", set("amount", Int(1<<60+1)), "field amount: 1152921504606846977 is an integer a double cannot hold exactly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AppendRecord(c, nil, tt.r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	// Append, unchecked, leaves such a field out.
	out := c.Append(nil, set("delta", Int(1<<31)))
	r := &Record{}
	if err := c.Decode(l, nil, out, r); err != nil {
		t.Fatal(err)
	}
	if got := r.Get("delta"); got.Float() != 0 {
		t.Errorf("Append wrote delta %v, want it left out", got.Float())
	}
}

func TestProtobufFloatKeepsItsDecimal(t *testing.T) {
	for _, f := range []float32{0.1, 1.5, 3.4028235e38, -0.3} {
		got := float32Value(f).Float()
		want := map[float32]float64{0.1: 0.1, 1.5: 1.5, 3.4028235e38: 3.4028235e38, -0.3: -0.3}[f]
		if got != want {
			t.Errorf("float %v decodes to %v, want %v", f, got, want)
		}
	}
	if !math.IsInf(float32Value(float32(math.Inf(1))).Float(), 1) {
		t.Error("+Inf is not kept")
	}
}

// A decoded nested message has the layout the record's layout holds for
// it, as the JSON decoder gives it, so programs compiled against the layout
// read it.
func TestProtobufNestedLayout(t *testing.T) {
	doc := shopDoc(t, "shop.Order")
	c, l := newShopCodec(t, doc)
	r := &Record{}
	if err := c.Decode(l, nil, frame(7, []byte{0}, refEncode(t, refDescriptor(t, doc, "shop.Order"), `{"address":{"city":"Oslo"}}`)), r); err != nil {
		t.Fatal(err)
	}
	i, _ := l.Index("address")
	if got := r.Values[i].Obj.Layout; got != l.Nested[i] {
		t.Errorf("address has layout %p, want the record layout's %p", got, l.Nested[i])
	}
}

func TestProtobufDecodeErrorText(t *testing.T) {
	doc := shopDoc(t, "shop.Order")
	c, l := newShopCodec(t, doc)
	idAsVarint := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1)
	err := c.Decode(l, nil, frame(7, []byte{0}, idAsVarint), &Record{})
	want := "protobuf: field id: wire type 0 does not fit the schema's string (the writer's schema gives this field number another type) (at byte 6)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
	if got := (&DecodeError{Field: "a", Offset: 3, Reason: "bad"}).Error(); got != "json: field a: bad (at byte 3)" {
		t.Errorf("a JSON error reads %q", got)
	}
}

func TestProtobufDynamicLayoutAndOtherFormats(t *testing.T) {
	doc := shopDoc(t, "shop.Refund")
	c, _ := newShopCodec(t, doc)
	r := &Record{}
	payload := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "o5")
	// A source without a record type decodes with the schema's.
	if err := c.Decode(NewLayout(cty.DynamicPseudoType), nil, frame(7, []byte{2, 2}, payload), r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"order_id": "o5"}, testPlainRecord(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	avro := &ir.SchemaDoc{Format: FormatAvro, Text: "{}"}
	if err := CompileSchema(avro); err != nil || avro.Descriptor != nil {
		t.Errorf("CompileSchema of an Avro schema: %v, %d bytes", err, len(avro.Descriptor))
	}
}
