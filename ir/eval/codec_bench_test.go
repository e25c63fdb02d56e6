package eval

import (
	"encoding/json"
	"testing"
)

// orderStruct is what a hand-written encoding/json program would decode the
// orders record into: the baseline the codec is measured against.
type orderStruct struct {
	ID         string  `json:"id"`
	Amount     float64 `json:"amount"`
	CustomerID string  `json:"customer_id"`
	Country    string  `json:"country"`
	TS         string  `json:"ts"`
}

func BenchmarkCodecDecode(b *testing.B) {
	l := NewLayout(ordersType)
	data := []byte(ordersJSON)
	var d Decoder
	r := &Record{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(l, data, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecDecodeJSON(b *testing.B) {
	l := NewLayout(ordersType)
	data := []byte(ordersJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeJSON(l, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecDecodeNeeded(b *testing.B) {
	l := NewLayout(ordersType)
	mask := l.Mask([]string{"amount", "country"})
	data := []byte(ordersJSON)
	var d Decoder
	r := &Record{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.DecodeNeeded(l, mask, data, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecEncode(b *testing.B) {
	r, err := DecodeJSON(NewLayout(ordersType), []byte(ordersJSON))
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkCodecRoundTrip decodes and re-encodes the orders record: the
// per-record JSON cost of a filter or map stage.
func BenchmarkCodecRoundTrip(b *testing.B) {
	l := NewLayout(ordersType)
	data := []byte(ordersJSON)
	var d Decoder
	r := &Record{}
	var buf []byte
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(l, data, r); err != nil {
			b.Fatal(err)
		}
		buf = r.AppendJSON(buf[:0])
	}
}

// BenchmarkCodecEncodingJSONStruct is the baseline: encoding/json into and
// out of a struct.
func BenchmarkCodecEncodingJSONStruct(b *testing.B) {
	data := []byte(ordersJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var o orderStruct
		if err := json.Unmarshal(data, &o); err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(&o); err != nil {
			b.Fatal(err)
		}
	}
}
