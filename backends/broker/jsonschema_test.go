package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/pipeline-compiler/pipeline/runtime/wasmhost"
)

// jsonSchemaOrders is the reader schema of TestModuleJSONSchema's source.
const jsonSchemaOrders = `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
  "required":["id","amount"],
  "properties":{"id":{"type":"string"},"amount":{"type":"integer"},"note":{"type":["string","null"]},
    "ts":{"type":"string","format":"date-time"}}}`

// TestModuleJSONSchema runs a json_schema source and sink through the
// transform module in the WebAssembly host (the module validates with
// ir/eval/internal/jsonschemalite): framed records that conform are decoded,
// filtered and written framed with the sink's schema; the others are
// dead-lettered with reason decode, the input unchanged, and the same
// error the native codec (santhosh-tekuri/jsonschema, in this test
// process) gives for the same bytes.
func TestModuleJSONSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	ctx := context.Background()
	lock := schemalock.New()
	reader := &ir.SchemaDoc{Format: eval.FormatJSONSchema, Text: jsonSchemaOrders, Subject: "orders-value", Version: 1, ID: 7}
	lock.SetSubject("main", "orders-value", &schemalock.Subject{Compatibility: "BACKWARD", Latest: reader})
	lock.SetSubject("main", "big-value", &schemalock.Subject{Compatibility: "BACKWARD"})
	src := fmt.Sprintf(formatsSpec, eval.FormatJSONSchema, "", `      { id = "a", amount = 150, note = "gift", ts = null },`)
	res, diags := lang.LoadFiles(map[string][]byte{"p.hcl": []byte(src)}, lang.Options{Lock: lock})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p := res.Pipeline
	// The planner may place every operator on the broker.
	for _, op := range p.Operators {
		if ok, why := Capabilities().Hosts(op); !ok {
			t.Fatalf("the broker does not host %s: %s", op.ID, why)
		}
	}
	a, err := Compile(singleStagePlan(p, ir.BackendBroker), "s0")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := wasmhost.NewRuntime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	mod, err := a.Host(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := mod.Start(ctx, a.Transform().Config)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)

	frame := func(payload string) []byte { return append([]byte{0, 0, 0, 0, 7}, payload...) }
	in := []wasmhost.Record{
		{Offset: 0, Value: frame(`{"id":"a","amount":150,"note":"gift","ts":"2026-01-01T00:00:05Z"}`)},
		{Offset: 1, Value: frame(`{"id":"b","amount":50}`)},             // filtered out
		{Offset: 2, Value: frame(`{"id":"c","amount":"150"}`)},          // drifted type, coerce is off
		{Offset: 3, Value: frame(`{"amount":150}`)},                     // missing required
		{Offset: 4, Value: frame(`{"id":"d","amount":150.5}`)},          // not an integer
		{Offset: 5, Value: frame(`{"id":"e","amount":150,"ts":"5pm"}`)}, // not a date-time
		{Offset: 6, Value: []byte(`{"id":"f","amount":150}`)},           // not framed
		{Offset: 7, Value: frame(`{"id":"g","amount":100,"note":null}`)},
	}
	// The dead letters' errors, worked out from the schema.
	wantErr := map[int64]string{
		2: "json_schema: field amount: does not conform to the schema: got string, want integer (at byte 0)",
		3: "json_schema: does not conform to the schema: missing property 'id' (at byte 0)",
		4: "json_schema: field amount: does not conform to the schema: got number, want integer (at byte 0)",
		5: "json_schema: field ts: does not conform to the schema: '5pm' is not valid date-time: less than 20 characters long (at byte 0)",
		6: "json_schema: magic byte is 123, not 0: not in the Confluent wire format (at byte 0)",
	}
	// The native codec's verdict on the same bytes.
	native, err := eval.NewCodecFor(eval.CodecSpec{Format: eval.FormatJSONSchema, Schema: reader})
	if err != nil {
		t.Fatal(err)
	}
	typ, err := eval.SchemaType(reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range in {
		var rec eval.Record
		nerr := native.Decode(eval.NewLayout(typ), nil, r.Value, &rec)
		got := ""
		if nerr != nil {
			got = nerr.Error()
		}
		if want := wantErr[r.Offset]; got != want {
			t.Errorf("offset %d: native says %q, want %q", r.Offset, got, want)
		}
	}

	type out struct {
		Topic   string
		Value   any // the framed JSON's payload, decoded; dead letters: the input as text
		Headers map[string]string
	}
	var got []out
	err = inst.Process(ctx, in, func(o wasmhost.Output) error {
		w := out{Topic: o.Topic}
		if o.Topic == "big" {
			if len(o.Value) < 5 || o.Value[0] != 0 {
				t.Errorf("sink record %q is not framed", o.Value)
				return nil
			}
			var v any
			if err := json.Unmarshal(o.Value[5:], &v); err != nil {
				t.Errorf("sink record %q: %v", o.Value, err)
			}
			w.Value = v
		} else {
			w.Value = string(o.Value)
			w.Headers = map[string]string{}
			for _, h := range o.Headers {
				switch k := string(h.Key); k {
				case record.HeaderError, record.HeaderReason, record.HeaderOperator, record.HeaderSourceOffset:
					w.Headers[k] = string(h.Value)
				}
			}
		}
		got = append(got, w)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []out
	want = append(want, out{Topic: "big", Value: map[string]any{"id": "a", "amount": 150.0, "double": 300.0, "note": "gift"}})
	for _, off := range []int64{2, 3, 4, 5, 6} {
		want = append(want, out{Topic: "p.dlq", Value: string(in[off].Value), Headers: map[string]string{
			record.HeaderError: wantErr[off], record.HeaderReason: record.ReasonDecode,
			record.HeaderOperator: "source.orders", record.HeaderSourceOffset: fmt.Sprint(off),
		}})
	}
	want = append(want, out{Topic: "big", Value: map[string]any{"id": "g", "amount": 100.0, "double": 200.0, "note": nil}})
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("module wrote (-want +got):\n%s", d)
	}
}

// TestModuleJSONSchemaOutsideSubset: a json_schema source whose schema has
// a keyword the module's validator does not implement stays off the
// broker, with the reason.
func TestModuleJSONSchemaOutsideSubset(t *testing.T) {
	op := &ir.Operator{ID: "source.orders", Kind: ir.KindSource, Source: &ir.Source{Topic: "orders", Format: eval.FormatJSONSchema,
		SchemaDoc: &ir.SchemaDoc{Format: eval.FormatJSONSchema, Text: `{"type":"object","properties":{"id":{"type":"string","pattern":"^o"}}}`}}}
	ok, why := Capabilities().Hosts(op)
	if ok || !strings.Contains(why, `keyword "pattern" is not supported`) {
		t.Errorf("Hosts = %v, %q; want refused for the pattern keyword", ok, why)
	}
}
