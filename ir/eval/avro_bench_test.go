package eval

import (
	"fmt"
	"testing"
)

// The orders record of bench/peer.sh, as Avro: the same fields and cty
// type as ordersType.
const avroOrdersSchema = `{"type":"record","name":"Order","fields":[
 {"name":"id","type":"string"},{"name":"amount","type":"double"},{"name":"customer_id","type":"string"},
 {"name":"country","type":"string"},{"name":"ts","type":"string"}]}`

// benchOrders returns n varied orders records as JSON and as framed Avro.
func benchOrders(b *testing.B, n int) (jsonRecs, avroRecs [][]byte, c Codec) {
	c = mustAvroCodec(b, CodecSpec{Schema: avroDoc(1, avroOrdersSchema)})
	countries := []string{"US", "DE", "FR", "JP", "BR"}
	for i := range n {
		js := fmt.Sprintf(`{"id":"o%d","amount":%d.%02d,"customer_id":"C%d","country":%q,"ts":"2026-01-01T00:%02d:%02dZ"}`,
			i, i%500, i%100, i%977, countries[i%len(countries)], i/60%60, i%60)
		jsonRecs = append(jsonRecs, []byte(js))
		avroRecs = append(avroRecs, avroEncode(b, c, ordersType, js))
	}
	return jsonRecs, avroRecs, c
}

// BenchmarkAvroVersusJSON decodes the same orders as JSON and as Avro, every
// field and the filter + project subset (amount, country).
func BenchmarkAvroVersusJSON(b *testing.B) {
	jsonRecs, avroRecs, ac := benchOrders(b, 1000)
	jc, _ := NewCodec(FormatJSON)
	l := NewLayout(ordersType)
	for _, mask := range []struct {
		name   string
		needed []bool
	}{{"full", nil}, {"needed", l.Mask([]string{"amount", "country"})}} {
		for _, f := range []struct {
			name string
			c    Codec
			recs [][]byte
		}{{"json", jc, jsonRecs}, {"avro", ac, avroRecs}} {
			b.Run(f.name+"/"+mask.name, func(b *testing.B) {
				var r Record
				size := 0
				for _, d := range f.recs {
					size += len(d)
				}
				b.SetBytes(int64(size / len(f.recs)))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if err := f.c.Decode(l, mask.needed, f.recs[i], &r); err != nil {
						b.Fatal(err)
					}
					if i++; i == len(f.recs) {
						i = 0
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

func BenchmarkAvroEncode(b *testing.B) {
	_, avroRecs, c := benchOrders(b, 1)
	l := NewLayout(ordersType)
	var r Record
	if err := c.Decode(l, nil, avroRecs[0], &r); err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendRecord(c, buf[:0], &r)
	}
	b.SetBytes(int64(len(buf)))
}
