package wasmhost

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// module builds a WebAssembly binary with a custom section and a data
// section of the given active segments (memory offset → bytes).
func module(segs ...segment) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00")
	custom := append([]byte{4}, "name"...)
	b = append(b, 0)
	b = binary.AppendUvarint(b, uint64(len(custom)))
	b = append(b, custom...)
	var data []byte
	data = binary.AppendUvarint(data, uint64(len(segs)))
	for _, s := range segs {
		data = append(data, 0, 0x41)
		data = appendSLEB(data, int64(s.offset))
		data = append(data, 0x0b)
		data = binary.AppendUvarint(data, uint64(len(s.data)))
		data = append(data, s.data...)
	}
	b = append(b, 11)
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}

type segment struct {
	offset uint32
	data   []byte
}

func appendSLEB(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func TestFindArea(t *testing.T) {
	marker := []byte("<<M>>")
	m := module(segment{1024, []byte("hello")}, segment{70000, []byte("ab<<M>>     cd")})
	start, addr, err := findArea(m, marker, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m[start : start+5]); got != "     " {
		t.Errorf("area = %q", got)
	}
	if addr != 70000+7 {
		t.Errorf("addr = %d, want %d", addr, 70000+7)
	}
	for name, tt := range map[string]struct {
		m    []byte
		size int
	}{
		"no marker":         {module(segment{0, []byte("nothing")}), 1},
		"marker twice":      {module(segment{0, []byte("<<M>>x<<M>>x")}), 1},
		"area past segment": {module(segment{0, []byte("<<M>>ab")}, segment{100, []byte("cdef")}), 4},
		"not a module":      {[]byte("<<M>>    "), 1},
	} {
		if _, _, err := findArea(tt.m, marker, tt.size); err == nil {
			t.Errorf("%s: findArea succeeded", name)
		}
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	recs := []Record{
		{Key: nil, Value: []byte(`{"a":1}`)},
		{Key: []byte{}, Value: []byte{}},
		{Key: []byte("k"), Value: bytes.Repeat([]byte("v"), 300), Headers: []Header{{Key: []byte("h"), Value: nil}, {Key: []byte("x"), Value: []byte("y")}}},
	}
	for _, r := range recs {
		p := putSized(nil, r.Key)
		p = putSized(p, r.Value)
		p = binary.AppendVarint(p, int64(len(r.Headers)))
		for _, h := range r.Headers {
			p = putSized(putSized(p, h.Key), h.Value)
		}
		if len(p) != payloadSize(r) {
			t.Errorf("payloadSize = %d, encoded %d bytes", payloadSize(r), len(p))
		}
		key, rest, ok := sized(p)
		if !ok {
			t.Fatal("key does not parse")
		}
		value, rest, ok := sized(rest)
		if !ok {
			t.Fatal("value does not parse")
		}
		if (key == nil) != (r.Key == nil) || !bytes.Equal(key, r.Key) || !bytes.Equal(value, r.Value) {
			t.Errorf("round trip: key %q value %q, want %q %q", key, value, r.Key, r.Value)
		}
		n, k := binary.Varint(rest)
		if int(n) != len(r.Headers) || k <= 0 {
			t.Errorf("header count %d, want %d", n, len(r.Headers))
		}
	}
	for _, bad := range [][]byte{{}, binary.AppendVarint(nil, 5), binary.AppendVarint(nil, -2)} {
		if _, _, ok := sized(bad); ok {
			t.Errorf("sized(%v) parsed", bad)
		}
	}
}

func TestTail(t *testing.T) {
	var tl tail
	tl.Write(bytes.Repeat([]byte("x"), tailMax))
	tl.Write([]byte("panic: boom\n"))
	if got := tl.explain(); !bytes.HasSuffix([]byte(got), []byte("panic: boom")) || len(got) > tailMax+100 {
		t.Errorf("explain() = …%q (%d bytes)", got[max(0, len(got)-20):], len(got))
	}
	if d := cmp.Diff("", (&tail{}).explain()); d != "" {
		t.Error(d)
	}
}
