package zstd

import (
	"bytes"
	"testing"

	kzstd "github.com/klauspost/compress/zstd"
)

// The shim must write standard zstd frames that an independent decoder
// reads, and read frames an independent encoder wrote.
func TestRoundTripWithIndependentCodec(t *testing.T) {
	src := bytes.Repeat([]byte("pebble block 0123456789 "), 500)

	var buf bytes.Buffer
	buf.WriteString("prefix")
	w := NewWriterLevel(&buf, 3)
	if _, err := w.Write(src); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("prefix")) {
		t.Fatalf("Close overwrote what the buffer held")
	}
	frame := buf.Bytes()[len("prefix"):]
	if len(frame) >= len(src) {
		t.Errorf("compressed %d bytes into %d", len(src), len(frame))
	}
	dec, _ := kzstd.NewReader(nil)
	defer dec.Close()
	if got, err := dec.DecodeAll(frame, nil); err != nil || !bytes.Equal(got, src) {
		t.Fatalf("independent decode: %v, equal %v", err, bytes.Equal(got, src))
	}

	enc, _ := kzstd.NewWriter(nil)
	other := enc.EncodeAll(src, nil)
	enc.Close()
	dst := make([]byte, 0, len(src))
	got, err := Decompress(dst, other)
	if err != nil || !bytes.Equal(got, src) {
		t.Fatalf("Decompress: %v, equal %v", err, bytes.Equal(got, src))
	}
	if &got[0] != &dst[:1][0] {
		t.Errorf("Decompress did not reuse dst's capacity")
	}
	if _, err := Decompress(nil, []byte("not zstd")); err == nil {
		t.Errorf("Decompress of garbage: no error")
	}
}
