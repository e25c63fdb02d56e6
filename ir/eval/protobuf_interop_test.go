package eval

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// protobufPython returns a Python interpreter that has the protobuf runtime
// (Debian's python3-protobuf lives in /usr/bin/python3's path), or skips:
// .ci/run installs protobuf-compiler and python3-protobuf, so CI always runs
// the interop test.
func protobufPython(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Skip("protoc not installed (apt-get install protobuf-compiler python3-protobuf)")
	}
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import google.protobuf").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with the protobuf module (apt-get install python3-protobuf)")
	return ""
}

// TestProtobufInterop proves the codec against Google's protobuf runtime for
// Python and protoc's generated classes: records Python frames decode as the
// README's table says, and Python parses the records we write.
func TestProtobufInterop(t *testing.T) {
	py := protobufPython(t)
	gen := t.TempDir()
	protoc := exec.Command("protoc", "-I", filepath.Join("testdata", "protobuf"), "--python_out="+gen, "shop.proto", "common.proto")
	if out, err := protoc.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, out)
	}
	script := filepath.Join("testdata", "protobuf", "interop.py")
	out, err := exec.Command(py, script, gen, "write").Output()
	if err != nil {
		t.Fatalf("interop.py write: %v", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 3 {
		t.Fatalf("interop.py wrote %d records, want 3", len(lines))
	}
	frames := make([][]byte, len(lines))
	for i, l := range lines {
		if frames[i], err = hex.DecodeString(l); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("python writes, we read", func(t *testing.T) {
		c, l := newShopCodec(t, shopDoc(t, "shop.Order"))
		want := []map[string]any{
			withFields(fullOrder(), "status", "SHIPPED", "tags", map[string]any{"x": 1.0}, "card", nil, "iban", "DE00",
				"big", 0.0, "count", nil),
			emptyOrder(),
		}
		for i, w := range want {
			r := &Record{}
			if err := c.Decode(l, nil, frames[i], r); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			if diff := cmp.Diff(w, testPlainRecord(r)); diff != "" {
				t.Errorf("record %d (-want +got):\n%s", i, diff)
			}
		}
		rc, rl := newShopCodec(t, shopDoc(t, "shop.Refund"))
		r := &Record{}
		if err := rc.Decode(rl, nil, frames[2], r); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]any{"order_id": "o9"}, testPlainRecord(r)); diff != "" {
			t.Errorf("refund (-want +got):\n%s", diff)
		}
	})

	t.Run("we write, python reads", func(t *testing.T) {
		c, l := newShopCodec(t, shopDoc(t, "shop.Order"))
		addr := cty.Object(map[string]cty.Type{"city": cty.String, "zip": cty.String})
		in := cty.ObjectVal(map[string]cty.Value{
			"id": cty.StringVal("o2"), "amount": cty.NumberFloatVal(-0.25), "customer_id": cty.MustParseNumberVal("9007199254740993"),
			"status": cty.StringVal("PAID"),
			"items":  cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"sku": cty.StringVal("é"), "qty": cty.NumberIntVal(3)})}),
			"tags":   cty.MapVal(map[string]cty.Value{"k": cty.NumberIntVal(-1)}),
			"ts":     cty.StringVal("2026-03-01T12:00:00Z"), "note": cty.NullVal(cty.String), "coupon": cty.StringVal("SAVE"),
			"card": cty.StringVal("4111"), "iban": cty.NullVal(cty.String), "blob": cty.StringVal("AAE="),
			"codes": cty.ListVal([]cty.Value{cty.NumberIntVal(7), cty.NumberIntVal(-8)}), "address": cty.NullVal(addr),
			"ratio": cty.NumberFloatVal(1.5), "big": cty.MustParseNumberVal("13835058055282163712"), "delta": cty.NumberIntVal(-300),
			"paid": cty.False, "by_id": cty.MapVal(map[string]cty.Value{"-3": cty.ObjectVal(map[string]cty.Value{"city": cty.StringVal("Y"), "zip": cty.StringVal("")})}),
			"count": cty.NumberIntVal(0),
		})
		r, err := RecordFromCty(in, l)
		if err != nil {
			t.Fatal(err)
		}
		var input bytes.Buffer
		for _, rec := range []*Record{r, defaultOrderRecord(t, c, l)} {
			b, err := AppendRecord(c, nil, rec)
			if err != nil {
				t.Fatal(err)
			}
			input.WriteString(hex.EncodeToString(b) + "\n")
		}
		cmd := exec.Command(py, script, gen, "read")
		cmd.Stdin = &input
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("interop.py read: %v", err)
		}
		// MessageToDict leaves out proto3 defaults, writes 64-bit integers
		// as strings and bytes as base64.
		want := []string{
			`{"id":7,"indexes":[0],"order":{"id":"o2","amount":-0.25,"customer_id":"9007199254740993","status":"PAID",
			  "items":[{"sku":"é","qty":3}],"tags":{"k":-1},"ts":"2026-03-01T12:00:00Z","coupon":"SAVE","card":"4111",
			  "blob":"AAE=","codes":[7,-8],"ratio":1.5,"big":"13835058055282163712","delta":-300,"by_id":{"-3":{"city":"Y"}},"count":"0"}}`,
			`{"id":7,"indexes":[0],"order":{}}`,
		}
		got := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(got) != len(want) {
			t.Fatalf("python read %d records, want %d:\n%s", len(got), len(want), out)
		}
		for i := range want {
			var w, g any
			if err := json.Unmarshal([]byte(want[i]), &w); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(got[i]), &g); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("record %d as python reads it (-want +got):\n%s", i, diff)
			}
		}
	})
}

// defaultOrderRecord is an Order with no field set, as our decoder makes it.
func defaultOrderRecord(t *testing.T, c *pbCodec, l *Layout) *Record {
	t.Helper()
	r := &Record{}
	if err := c.Decode(l, nil, frame(7, []byte{0}, nil), r); err != nil {
		t.Fatal(err)
	}
	return r
}
