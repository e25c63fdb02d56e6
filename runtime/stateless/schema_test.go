package stateless

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

func frame(id int, payload string) []byte {
	return append([]byte{0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}, payload...)
}

// A json_schema source and sink: framed records decode, drifted ones and
// unknown schema IDs are dead-lettered with the reason, and a record the
// sink's schema rejects (level is required there, so its null is written and
// refused) is dead-lettered as encode instead of written.
func TestSchemaFormats(t *testing.T) {
	in := `{"type":"object","required":["id"],"properties":{"id":{"type":"string"},"level":{"type":"string"},"n":{"type":"number"}}}`
	out := `{"type":"object","required":["id","level"],"properties":{"id":{"type":"string"},"level":{"type":"string"},"n":{"type":["number","null"]}}}`
	schema := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.String, "level": cty.String, "n": cty.Number})}
	ops := []*ir.Operator{
		{ID: "source.logs", Kind: ir.KindSource, Name: "logs", Schema: schema, Source: &ir.Source{Topic: "logs", Format: "json_schema",
			SchemaDoc: &ir.SchemaDoc{Format: "json_schema", Text: in, ID: 3}}},
		{ID: "sink.out", Kind: ir.KindSink, Name: "out", Inputs: []string{"source.logs"}, Schema: schema, Sink: &ir.Sink{Topic: "out", Format: "json_schema",
			SchemaDoc: &ir.SchemaDoc{Format: "json_schema", Text: out, ID: 9}}},
	}
	plan := &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: &ir.Pipeline{Name: "t", Operators: ops},
		Stages: []*ir.Stage{{ID: "b", Backend: ir.BackendNative, Operators: []string{"source.logs", "sink.out"}}}}
	p, err := New(plan, "b")
	if err != nil {
		t.Fatal(err)
	}
	var c collect
	for _, v := range [][]byte{
		frame(3, `{"id":"a","level":"info","n":1}`),
		frame(3, `{"id":"b","level":"info","n":"2"}`),
		frame(4, `{"id":"c"}`),
		frame(3, `{"id":"d","n":1}`),
	} {
		if err := p.Process(record.Input{Stream: "source.logs", Value: v, TimestampMs: 1}, &c); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"sink.out out <nil> \x00\x00\x00\x00\t{\"id\":\"a\",\"level\":\"info\",\"n\":1} @1",
		"source.logs decode: json_schema: field n: does not conform to the schema: got string, want number (at byte 0)",
		"source.logs decode: json_schema: unknown schema ID 4 (the plan pins ID 3) (at byte 0)",
		"sink.out encode: record does not conform to the sink's JSON Schema: field level: json_schema: does not conform to the schema: got null, want string",
	}
	if diff := cmp.Diff(want, c.got); diff != "" {
		t.Errorf("collected (-want +got):\n%s", diff)
	}
}
