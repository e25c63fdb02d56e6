package eval

import (
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestJSONCodecRoundTrip(t *testing.T) {
	c, err := NewCodec("json")
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout(cty.Object(map[string]cty.Type{"id": cty.String, "amount": cty.Number, "note": cty.String}))
	var r Record
	in := `{"amount":150.5,"id":"o1","note":"x"}`
	if err := c.Decode(l, nil, []byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if got := string(c.Append(nil, &r)); got != in {
		t.Errorf("round trip = %s, want %s", got, in)
	}
	// A field nothing reads is skipped, so its type error is not an error.
	needed := []bool{true, true, false} // amount, id, note (sorted)
	if err := c.Decode(l, needed, []byte(`{"amount":1,"id":"a","note":{"x":1}}`), &r); err != nil {
		t.Errorf("pruned decode: %v", err)
	}
	if err := c.Decode(l, nil, []byte(`{"amount":1,"id":"a","note":{"x":1}}`), &r); err == nil {
		t.Error("full decode accepted an object for a string field")
	}
}

func TestNewCodecRejectsUnknownFormats(t *testing.T) {
	if _, err := NewCodec("avro"); err == nil {
		t.Error("NewCodec(avro) succeeded")
	}
}
