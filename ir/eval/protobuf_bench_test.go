package eval

import (
	"testing"

	"github.com/pipeline-compiler/pipeline/ir"
)

// ordersProto is the orders record of codec_bench_test.go as a Protobuf
// schema: the same five attributes with the same types, so the benchmarks
// compare the codecs on one record.
const ordersProto = `syntax = "proto3";
package bench;
message Order {
  string id = 1;
  double amount = 2;
  string customer_id = 3;
  string country = 4;
  string ts = 5;
}
`

func ordersProtobuf(b *testing.B) (*pbCodec, *Layout, []byte) {
	b.Helper()
	doc := &ir.SchemaDoc{Format: FormatProtobuf, Text: ordersProto, Message: "bench.Order", ID: 1}
	if err := CompileSchema(doc); err != nil {
		b.Fatal(err)
	}
	c, err := NewCodecFor(CodecSpec{Format: FormatProtobuf, Schema: doc})
	if err != nil {
		b.Fatal(err)
	}
	l := NewLayout(ordersType)
	r, err := DecodeJSON(l, []byte(ordersJSON))
	if err != nil {
		b.Fatal(err)
	}
	data, err := AppendRecord(c, nil, r)
	if err != nil {
		b.Fatal(err)
	}
	return c.(*pbCodec), l, data
}

// BenchmarkProtobufDecode is BenchmarkCodecDecode (JSON) for the same
// record in framed Protobuf.
func BenchmarkProtobufDecode(b *testing.B) {
	c, l, data := ordersProtobuf(b)
	r := &Record{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Decode(l, nil, data, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProtobufDecodeNeeded(b *testing.B) {
	c, l, data := ordersProtobuf(b)
	mask := l.Mask([]string{"amount", "country"})
	r := &Record{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Decode(l, mask, data, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProtobufEncode(b *testing.B) {
	c, l, data := ordersProtobuf(b)
	r := &Record{}
	if err := c.Decode(l, nil, data, r); err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = c.AppendChecked(buf[:0], r); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}
