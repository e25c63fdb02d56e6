package eval

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// avroAllTypes has every type of the README's Avro table.
const avroAllTypes = `{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"string"},
 {"name":"qty","type":"int"},
 {"name":"total","type":"long"},
 {"name":"price","type":"double"},
 {"name":"ratio","type":"float"},
 {"name":"paid","type":"boolean"},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"raw","type":"bytes"},
 {"name":"hash","type":{"type":"fixed","name":"Hash","size":4}},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"attrs","type":{"type":"map","values":"long"}},
 {"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"name","type":"string"},{"name":"vip","type":"boolean"}]}},
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"ts_us","type":{"type":"long","logicalType":"timestamp-micros"}},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"nums","type":["int","long"]}
]}`

var avroAllTypesCty = cty.Object(map[string]cty.Type{
	"id": cty.String, "qty": cty.Number, "total": cty.Number, "price": cty.Number,
	"ratio": cty.Number, "paid": cty.Bool, "note": cty.String, "raw": cty.String,
	"hash": cty.String, "status": cty.String, "tags": cty.List(cty.String),
	"attrs":    cty.Map(cty.Number),
	"customer": cty.Object(map[string]cty.Type{"name": cty.String, "vip": cty.Bool}),
	"ts":       cty.Number, "ts_us": cty.Number, "day": cty.String, "amount": cty.Number,
	"nums": cty.Number,
})

func avroDoc(id int, text string) *ir.SchemaDoc {
	return &ir.SchemaDoc{Format: FormatAvro, Text: text, ID: id}
}

func TestAvroType(t *testing.T) {
	tests := []struct {
		name    string
		doc     *ir.SchemaDoc
		want    cty.Type
		wantErr string
	}{
		{name: "every type", doc: avroDoc(1, avroAllTypes), want: avroAllTypesCty},
		{name: "named reference", doc: &ir.SchemaDoc{Format: FormatAvro,
			Text:       `{"type":"record","name":"Order","fields":[{"name":"c","type":"shop.Customer"}]}`,
			References: map[string]string{"shop.Customer": `{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"name","type":"string"}]}`}},
			want: cty.Object(map[string]cty.Type{"c": cty.Object(map[string]cty.Type{"name": cty.String})})},
		{name: "references referring to each other", doc: &ir.SchemaDoc{Format: FormatAvro,
			Text: `{"type":"record","name":"Order","fields":[{"name":"c","type":"Customer"}]}`,
			References: map[string]string{
				"Customer": `{"type":"record","name":"Customer","fields":[{"name":"a","type":"Address"}]}`,
				"Address":  `{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}`}},
			want: cty.Object(map[string]cty.Type{"c": cty.Object(map[string]cty.Type{"a": cty.Object(map[string]cty.Type{"city": cty.String})})})},
		{name: "mixed union", doc: avroDoc(1, `{"type":"record","name":"R","fields":[{"name":"v","type":["null","string","long"]}]}`),
			wantErr: "field v: union"},
		{name: "not a record", doc: avroDoc(1, `"string"`), wantErr: "records need a record schema"},
		{name: "unknown name", doc: avroDoc(1, `{"type":"record","name":"R","fields":[{"name":"v","type":"Nope"}]}`), wantErr: "avro:"},
		{name: "recursive", doc: avroDoc(1, `{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}`), wantErr: "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SchemaType(tt.doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SchemaType error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equals(tt.want) {
				t.Errorf("SchemaType = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// avroEncode encodes a record given as JSON of the schema's type.
func avroEncode(t testing.TB, c Codec, typ cty.Type, js string) []byte {
	t.Helper()
	r, err := DecodeJSON(NewLayout(typ), []byte(js))
	if err != nil {
		t.Fatalf("DecodeJSON(%s): %v", js, err)
	}
	out, err := AppendRecord(c, nil, r)
	if err != nil {
		t.Fatalf("AppendRecord(%s): %v", js, err)
	}
	return out
}

func mustAvroCodec(t testing.TB, spec CodecSpec) Codec {
	t.Helper()
	spec.Format = FormatAvro
	c, err := NewCodecFor(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAvroBytes holds the encoding to bytes worked out by hand from the
// Avro specification.
func TestAvroBytes(t *testing.T) {
	f64 := func(f float64) []byte { return binary.LittleEndian.AppendUint64(nil, math.Float64bits(f)) }
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	header := []byte{0, 0, 0, 0, 7}
	tests := []struct {
		name, schema, record string
		want                 []byte
	}{
		{"string long boolean", `{"type":"record","name":"R","fields":[{"name":"id","type":"string"},{"name":"n","type":"long"},{"name":"ok","type":"boolean"}]}`,
			`{"id":"o1","n":-3,"ok":true}`, cat(header, []byte{4, 'o', '1', 5, 1})},
		{"double", `{"type":"record","name":"R","fields":[{"name":"x","type":"double"}]}`,
			`{"x":150.5}`, cat(header, f64(150.5))},
		{"nullable: null is branch 0, a value branch 1", `{"type":"record","name":"R","fields":[{"name":"a","type":["null","int"]},{"name":"b","type":["null","int"]}]}`,
			`{"a":null,"b":64}`, cat(header, []byte{0, 2, 0x80, 0x01})},
		{"decimal -12.34 scale 2 is -1234 = 0xFB2E", `{"type":"record","name":"R","fields":[{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}}]}`,
			`{"d":-12.34}`, cat(header, []byte{4, 0xFB, 0x2E})},
		{"date 1970-01-02 is day 1", `{"type":"record","name":"R","fields":[{"name":"d","type":{"type":"int","logicalType":"date"}}]}`,
			`{"d":"1970-01-02"}`, cat(header, []byte{2})},
		{"timestamp-micros from 1.5 ms is 1500", `{"type":"record","name":"R","fields":[{"name":"t","type":{"type":"long","logicalType":"timestamp-micros"}}]}`,
			`{"t":1.5}`, cat(header, []byte{0xB8, 0x17})},
		{"array and map in one block each", `{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"array","items":"int"}},{"name":"m","type":{"type":"map","values":"boolean"}}]}`,
			`{"a":[1,2],"m":{"k":false}}`, cat(header, []byte{4, 2, 4, 0, 2, 2, 'k', 0, 0})},
		{"enum index", `{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}}]}`,
			`{"e":"B"}`, cat(header, []byte{2})},
		{"bytes from base64", `{"type":"record","name":"R","fields":[{"name":"b","type":"bytes"}]}`,
			`{"b":"AAEC"}`, cat(header, []byte{6, 0, 1, 2})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := avroDoc(7, tt.schema)
			typ, err := SchemaType(doc)
			if err != nil {
				t.Fatal(err)
			}
			c := mustAvroCodec(t, CodecSpec{Schema: doc})
			got := avroEncode(t, c, typ, tt.record)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("bytes (-want +got):\n%s", diff)
			}
			// And back.
			l := NewLayout(typ)
			var r Record
			if err := c.Decode(l, nil, tt.want, &r); err != nil {
				t.Fatal(err)
			}
			want, _ := DecodeJSON(l, []byte(tt.record))
			if diff := cmp.Diff(testPlainRecord(want), testPlainRecord(&r)); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAvroRoundTrip(t *testing.T) {
	doc := avroDoc(3, avroAllTypes)
	c := mustAvroCodec(t, CodecSpec{Schema: doc})
	l := NewLayout(avroAllTypesCty)
	tests := []struct{ name, record string }{
		{"values", `{"id":"o1","qty":3,"total":12345678901234567,"price":150.5,"ratio":0.5,"paid":true,"note":"fragile",
			"raw":"AAEC","hash":"3q2+7w==","status":"PAID","tags":["a","b"],"attrs":{"y":-2,"x":1},
			"customer":{"name":"Ann","vip":false},"ts":1767225605000,"ts_us":1767225605000.5,"day":"2026-01-01","amount":-12.34,"nums":7}`},
		{"empty collections and null note", `{"id":"","qty":-2147483648,"total":-9223372036854775808,"price":-0.25,"ratio":-3,"paid":false,"note":null,
			"raw":"","hash":"AAAAAA==","status":"NEW","tags":[],"attrs":{},
			"customer":{"name":"é","vip":true},"ts":-1000,"ts_us":0,"day":"1969-12-31","amount":0,"nums":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := avroEncode(t, c, avroAllTypesCty, tt.record)
			var r Record
			if err := c.Decode(l, nil, data, &r); err != nil {
				t.Fatal(err)
			}
			want, _ := DecodeJSON(l, []byte(tt.record))
			if diff := cmp.Diff(testPlainRecord(want), testPlainRecord(&r)); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAvroNeeded(t *testing.T) {
	doc := avroDoc(3, avroAllTypes)
	c := mustAvroCodec(t, CodecSpec{Schema: doc})
	l := NewLayout(avroAllTypesCty)
	data := avroEncode(t, c, avroAllTypesCty, `{"id":"o1","qty":3,"total":5,"price":1.5,"ratio":0.5,"paid":true,"note":"n",
		"raw":"AAEC","hash":"3q2+7w==","status":"PAID","tags":["a"],"attrs":{"x":1},
		"customer":{"name":"Ann","vip":false},"ts":1000,"ts_us":2000,"day":"2026-01-01","amount":1.25,"nums":1}`)
	var r Record
	if err := c.Decode(l, l.Mask([]string{"price", "status", "day"}), data, &r); err != nil {
		t.Fatal(err)
	}
	got := testPlainRecord(&r)
	want := map[string]any{}
	for _, n := range l.Names {
		want[n] = nil
	}
	want["price"], want["status"], want["day"] = 1.5, "PAID", "2026-01-01"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("needed (-want +got):\n%s", diff)
	}
}

func TestAvroAppendChecked(t *testing.T) {
	schema := `{"type":"record","name":"R","fields":[{"name":"n","type":"int"},{"name":"s","type":["null","string"]},
		{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":1}},
		{"name":"l","type":{"type":"array","items":"long"}}]}`
	doc := avroDoc(1, schema)
	typ, err := SchemaType(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := mustAvroCodec(t, CodecSpec{Schema: doc})
	ok := map[string]any{"n": 1, "s": nil, "e": "A", "d": 1.5, "l": []any{1}}
	tests := []struct {
		name    string
		set     map[string]any
		wantErr string
	}{
		{"conforms", nil, ""},
		{"null for int", map[string]any{"n": nil}, "field n: null for a non-nullable int"},
		{"int out of range", map[string]any{"n": 1 << 31}, "field n: 2147483648 is out of int's 32-bit range"},
		{"fraction for int", map[string]any{"n": 1.5}, "field n: 1.5 is not an integer"},
		{"unknown symbol", map[string]any{"e": "B"}, `field e: "B" is not a symbol`},
		{"decimal beyond scale", map[string]any{"d": 1.25}, "field d: 12.5"},
		{"list item", map[string]any{"l": []any{1, 2}}, "field l[1]: string value for long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := map[string]any{}
			for k, v := range ok {
				rec[k] = v
			}
			for k, v := range tt.set {
				rec[k] = v
			}
			js := jsonOf(rec)
			r, err := DecodeJSON(NewLayout(typ), []byte(js))
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "list item" {
				r.Values[r.Layout.index["l"]].List[1] = String("x")
			}
			out, err := AppendRecord(c, []byte("keep"), r)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("AppendRecord error = %v, want one containing %q", err, tt.wantErr)
			}
			if string(out) != "keep" {
				t.Errorf("AppendRecord left %q, want dst unchanged", out)
			}
		})
	}
}

func jsonOf(m map[string]any) string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	for k, v := range m {
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:", k)
		switch v := v.(type) {
		case nil:
			b.WriteString("null")
		case string:
			fmt.Fprintf(&b, "%q", v)
		case []any:
			b.WriteByte('[')
			for i, x := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprint(&b, x)
			}
			b.WriteByte(']')
		default:
			fmt.Fprint(&b, v)
		}
	}
	b.WriteByte('}')
	return b.String()
}

// Resolution: data written with v1 read with v2, by the specification's
// rules.
const (
	avroV1 = `{"type":"record","name":"Order","fields":[
 {"name":"id","type":"string"},
 {"name":"qty","type":"int"},
 {"name":"price","type":"float"},
 {"name":"gone","type":{"type":"array","items":{"type":"record","name":"G","fields":[{"name":"g","type":"string"}]}}},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","LOST"]}},
 {"name":"note","type":"string"},
 {"name":"blob","type":"string"},
 {"name":"old_label","type":"string"},
 {"name":"maybe","type":["null","long"]}
]}`
	avroV2 = `{"type":"record","name":"Order","fields":[
 {"name":"id","type":"string"},
 {"name":"qty","type":"long"},
 {"name":"price","type":"double"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","UNKNOWN"],"default":"UNKNOWN"}},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"blob","type":"bytes"},
 {"name":"region","type":"string","default":"EU"},
 {"name":"label","type":"string","aliases":["old_label"]},
 {"name":"maybe","type":["null","double"]},
 {"name":"dims","type":{"type":"map","values":"int"},"default":{"w":2}}
]}`
)

func TestAvroResolution(t *testing.T) {
	v1, v2 := avroDoc(1, avroV1), avroDoc(2, avroV2)
	t1, err := SchemaType(v1)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := SchemaType(v2)
	if err != nil {
		t.Fatal(err)
	}
	writer := mustAvroCodec(t, CodecSpec{Schema: v1})
	lookups := 0
	reader := mustAvroCodec(t, CodecSpec{Schema: v2, WriterSchema: func(id int) (*ir.SchemaDoc, error) {
		lookups++
		switch id {
		case 1:
			return v1, nil
		case 9:
			return avroDoc(9, `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}`), nil
		case 10:
			return avroDoc(10, `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`), nil
		}
		return nil, errors.New("no such schema")
	}})
	l2 := NewLayout(t2)
	tests := []struct {
		name, record string
		want         map[string]any
	}{
		{"promotions, defaults, enum default, alias, string to bytes", `{"id":"o1","qty":3,"price":1.5,"gone":[{"g":"x"}],"status":"LOST","note":"hi","blob":"hi","old_label":"L","maybe":5}`,
			map[string]any{"id": "o1", "qty": 3.0, "price": 1.5, "status": "UNKNOWN", "note": "hi", "blob": "aGk=", "region": "EU", "label": "L", "maybe": 5.0,
				"dims": map[string]any{"w": 2.0}}},
		{"known symbol, null branch", `{"id":"o2","qty":-1,"price":0.25,"gone":[],"status":"PAID","note":"","blob":"","old_label":"","maybe":null}`,
			map[string]any{"id": "o2", "qty": -1.0, "price": 0.25, "status": "PAID", "note": "", "blob": "", "region": "EU", "label": "", "maybe": nil,
				"dims": map[string]any{"w": 2.0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := avroEncode(t, writer, t1, tt.record)
			var r Record
			if err := reader.Decode(l2, nil, data, &r); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, testPlainRecord(&r)); diff != "" {
				t.Errorf("resolved (-want +got):\n%s", diff)
			}
		})
	}
	if lookups != 1 {
		t.Errorf("WriterSchema called %d times for one ID, want 1 (the resolution is cached)", lookups)
	}

	errTests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"unknown ID", []byte{0, 0, 0, 0, 8, 0}, "schema ID 8: no such schema"},
		{"incompatible type", []byte{0, 0, 0, 0, 9, 2}, "field id: the writer's long cannot be read as string"},
		{"missing field without default", []byte{0, 0, 0, 0, 10, 2, 'a'}, "field qty: the reader's field has no default"},
		{"not framed", []byte{1, 0, 0, 0, 1}, "magic byte is 1"},
		{"truncated", []byte{0, 0, 0, 0, 1, 4, 'o'}, "avro: field id: length 2 is beyond the data"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			var r Record
			err := reader.Decode(l2, nil, tt.data, &r)
			var de *DecodeError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Decode error = %v, want a *DecodeError containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestAvroUnionBranches reads a writer's union whose branches the reader
// only partly has: only records using the missing branch fail.
func TestAvroUnionBranches(t *testing.T) {
	reader := avroDoc(2, `{"type":"record","name":"R","fields":[{"name":"v","type":["null","long"]},{"name":"w","type":"string"}]}`)
	writer := avroDoc(1, `{"type":"record","name":"R","fields":[{"name":"v","type":["null","int",{"type":"record","name":"S","fields":[{"name":"s","type":"string"}]}]},{"name":"w","type":"string"}]}`)
	c := mustAvroCodec(t, CodecSpec{Schema: reader, WriterSchema: func(int) (*ir.SchemaDoc, error) { return writer, nil }})
	typ, _ := SchemaType(reader)
	l := NewLayout(typ)
	onlyW := l.Mask([]string{"w"})
	w := []byte{2, 'z'}
	tests := []struct {
		name    string
		needed  []bool
		payload []byte
		want    map[string]any
		wantErr string
	}{
		{"null", nil, []byte{0}, map[string]any{"v": nil, "w": "z"}, ""},
		{"int promoted to long", nil, []byte{2, 0x54}, map[string]any{"v": 42.0, "w": "z"}, ""},
		{"record branch the reader lacks", nil, []byte{4, 2, 'x'}, nil, "avro: field v: the writer's record S is not in the reader's union"},
		{"record branch skipped when v is not needed", onlyW, []byte{4, 2, 'x'}, map[string]any{"v": nil, "w": "z"}, ""},
		{"index out of range", nil, []byte{6}, nil, "union index 3 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Record
			data := append(append([]byte{0, 0, 0, 0, 1}, tt.payload...), w...)
			err := c.Decode(l, tt.needed, data, &r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Decode error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, testPlainRecord(&r)); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeriveAvro(t *testing.T) {
	typ := cty.Object(map[string]cty.Type{
		"total": cty.Number, "key": cty.String, "ok": cty.Bool,
		"customer": cty.Object(map[string]cty.Type{"name": cty.String}),
		"tags":     cty.List(cty.String), "counts": cty.Map(cty.Number),
	})
	doc, err := DeriveSchema(FormatAvro, "revenue-v1", typ)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"record","name":"revenue_v1","fields":[` +
		`{"name":"counts","type":["null",{"type":"map","values":["null","double"]}],"default":null},` +
		`{"name":"customer","type":["null",{"type":"record","name":"revenue_v1_customer","fields":[{"name":"name","type":["null","string"],"default":null}]}],"default":null},` +
		`{"name":"key","type":["null","string"],"default":null},` +
		`{"name":"ok","type":["null","boolean"],"default":null},` +
		`{"name":"tags","type":["null",{"type":"array","items":["null","string"]}],"default":null},` +
		`{"name":"total","type":["null","double"],"default":null}]}`
	if diff := cmp.Diff(want, doc.Text); diff != "" {
		t.Errorf("derived (-want +got):\n%s", diff)
	}
	back, err := SchemaType(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equals(typ) {
		t.Errorf("SchemaType(derived) = %#v, want %#v", back, typ)
	}
	if _, err := DeriveSchema(FormatAvro, "r", cty.Object(map[string]cty.Type{"a-b": cty.String})); err == nil || !strings.Contains(err.Error(), `"a-b" is not a valid Avro field name`) {
		t.Errorf("invalid field name: error = %v", err)
	}
	if _, err := DeriveSchema(FormatAvro, "r", cty.Object(map[string]cty.Type{"d": cty.DynamicPseudoType})); err == nil || !strings.Contains(err.Error(), "field d") {
		t.Errorf("dynamic field: error = %v", err)
	}
}

func TestAvroCompatible(t *testing.T) {
	rec := func(fields string) *ir.SchemaDoc {
		return avroDoc(0, `{"type":"record","name":"Revenue","fields":[`+fields+`]}`)
	}
	prev := rec(`{"name":"k","type":"string"},{"name":"total","type":"long"}`)
	const (
		newCannot = "readers of the new schema cannot read data written with the old"
		oldCannot = "readers of the old schema cannot read data written with the new"
	)
	tests := []struct {
		name  string
		level string
		next  *ir.SchemaDoc
		want  []Incompatibility
	}{
		{"long to string, backward", CompatBackward, rec(`{"name":"k","type":"string"},{"name":"total","type":"string"}`),
			[]Incompatibility{{"total", "field total changed from long to string: " + newCannot}}},
		{"long to double, backward: a promotion", CompatBackward, rec(`{"name":"k","type":"string"},{"name":"total","type":"double"}`), nil},
		{"long to double, forward", CompatForward, rec(`{"name":"k","type":"string"},{"name":"total","type":"double"}`),
			[]Incompatibility{{"total", "field total changed from long to double: " + oldCannot}}},
		{"long to double, full transitive", CompatFullTransitive, rec(`{"name":"k","type":"string"},{"name":"total","type":"double"}`),
			[]Incompatibility{{"total", "field total changed from long to double: " + oldCannot}}},
		{"added without default, backward", CompatBackward, rec(`{"name":"k","type":"string"},{"name":"total","type":"long"},{"name":"n","type":"long"}`),
			[]Incompatibility{{"n", "field n was added without a default: " + newCannot}}},
		{"added without default, forward", CompatForward, rec(`{"name":"k","type":"string"},{"name":"total","type":"long"},{"name":"n","type":"long"}`), nil},
		{"added with default, full", CompatFull, rec(`{"name":"k","type":"string"},{"name":"total","type":"long"},{"name":"n","type":"long","default":0}`), nil},
		{"removed, backward", CompatBackward, rec(`{"name":"k","type":"string"}`), nil},
		{"removed, forward", CompatForward, rec(`{"name":"k","type":"string"}`),
			[]Incompatibility{{"total", "field total was removed, and the old schema has no default for it: " + oldCannot}}},
		{"made nullable, backward", CompatBackward, rec(`{"name":"k","type":"string"},{"name":"total","type":["null","long"]}`), nil},
		{"made nullable, forward", CompatForward, rec(`{"name":"k","type":"string"},{"name":"total","type":["null","long"]}`),
			[]Incompatibility{{"total", "field total changed from long to nullable long: " + oldCannot}}},
		{"decimal scale, backward", CompatBackward, rec(`{"name":"k","type":"string"},{"name":"total","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":3}}`),
			[]Incompatibility{{"total", "field total changed from long to bytes (decimal): " + newCannot}}},
		{"anything, none", CompatNone, rec(`{"name":"x","type":"int"}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckCompatible(tt.level, prev, tt.next)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("incompatibilities (-want +got):\n%s", diff)
			}
		})
	}

	// Nested records, enums, renamed records.
	enumPrev := avroDoc(0, `{"type":"record","name":"R","fields":[{"name":"c","type":{"type":"record","name":"C","fields":[{"name":"s","type":{"type":"enum","name":"S","symbols":["A","B"]}}]}}]}`)
	enumNext := avroDoc(0, `{"type":"record","name":"R","fields":[{"name":"c","type":{"type":"record","name":"C","fields":[{"name":"s","type":{"type":"enum","name":"S","symbols":["A","C"]}}]}}]}`)
	got, err := CheckCompatible(CompatFull, enumPrev, enumNext)
	if err != nil {
		t.Fatal(err)
	}
	want := []Incompatibility{
		{"c.s", "field c.s: enum symbol B was removed, and the enum has no default"},
		{"c.s", "field c.s: enum symbol C was added, which readers of the old schema do not know (their enum has no default)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("enum (-want +got):\n%s", diff)
	}
	renamed := avroDoc(0, `{"type":"record","name":"Other","fields":[{"name":"k","type":"string"},{"name":"total","type":"long"}]}`)
	got, _ = CheckCompatible(CompatBackward, prev, renamed)
	if len(got) != 1 || !strings.Contains(got[0].Reason, "has another name") {
		t.Errorf("renamed record: %v, want one incompatibility naming the name change", got)
	}
	dec := func(scale int) *ir.SchemaDoc {
		return rec(fmt.Sprintf(`{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":%d}}`, scale))
	}
	got, _ = CheckCompatible(CompatForward, dec(2), dec(3))
	if diff := cmp.Diff([]Incompatibility{{"d", "field d: decimal scale changed from 2 to 3, which changes every value"}}, got); diff != "" {
		t.Errorf("decimal scale (-want +got):\n%s", diff)
	}
	if _, err := CheckCompatible("SIDEWAYS", prev, prev); err == nil {
		t.Error("unknown level: no error")
	}
}

func FuzzAvroDecode(f *testing.F) {
	doc := avroDoc(3, avroAllTypes)
	c := mustAvroCodec(f, CodecSpec{Schema: doc})
	f.Add(avroEncode(f, c, avroAllTypesCty, `{"id":"o1","qty":3,"total":5,"price":1.5,"ratio":0.5,"paid":true,"note":"n",
		"raw":"AAEC","hash":"3q2+7w==","status":"PAID","tags":["a"],"attrs":{"x":1},
		"customer":{"name":"Ann","vip":false},"ts":1000,"ts_us":2000,"day":"2026-01-01","amount":1.25,"nums":1}`))
	f.Add([]byte{0, 0, 0, 0, 3})
	f.Add([]byte{0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	// And through resolution: every ID is written with avroV1, read as avroV2.
	v1, v2 := avroDoc(1, avroV1), avroDoc(2, avroV2)
	resolving := mustAvroCodec(f, CodecSpec{Schema: v2, WriterSchema: func(int) (*ir.SchemaDoc, error) { return v1, nil }})
	t1, _ := SchemaType(v1)
	t2, _ := SchemaType(v2)
	f.Add(avroEncode(f, mustAvroCodec(f, CodecSpec{Schema: v1}), t1,
		`{"id":"o1","qty":3,"price":1.5,"gone":[{"g":"x"}],"status":"LOST","note":"hi","blob":"hi","old_label":"L","maybe":5}`))
	l := NewLayout(avroAllTypesCty)
	l2 := NewLayout(t2)
	mask := l.Mask([]string{"price", "tags"})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		for _, err := range []error{
			c.Decode(l, nil, data, &r),
			c.Decode(l, mask, data, &r),
			resolving.Decode(l2, nil, data, &r),
		} {
			var de *DecodeError
			if err != nil && !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
		}
	})
}
