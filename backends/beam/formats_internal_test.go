package beam

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/lang"
)

// A Beam worker decodes a record framed with an older writer schema's ID
// from the plan payload alone: the plan carries the pinned versions
// (Source.WriterSchemas), so no registry is needed at run time. The record
// written with version 1 (id, amount) reads with version 2 as the reader,
// whose note defaults to null.
func TestWorkerDecodesOlderWriterSchemas(t *testing.T) {
	v1 := &ir.SchemaDoc{Format: "avro", Subject: "orders-value", Version: 1, ID: 7,
		Text: `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"amount","type":"long"}]}`}
	v2 := &ir.SchemaDoc{Format: "avro", Subject: "orders-value", Version: 2, ID: 8,
		Text: `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"amount","type":"long"},{"name":"note","type":["null","string"],"default":null}]}`}
	lock := schemalock.New()
	lock.SetSubject("main", "orders-value", &schemalock.Subject{Compatibility: "BACKWARD", Latest: v2, Versions: []*ir.SchemaDoc{v1}})
	lock.SetSubject("main", "out-value", &schemalock.Subject{Compatibility: "BACKWARD"})
	spec := `pipeline "p" {}
schema_registry "main" { url = "http://registry:8081" }
source "orders" {
  topic          = "orders"
  format         = "avro"
  schema_subject = "orders-value"
}
sink "out" {
  input  = source.orders
  topic  = "out"
  format = "avro"
}
`
	res, diags := lang.LoadFiles(map[string][]byte{"p.hcl": []byte(spec)}, lang.Options{Lock: lock})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	payload, err := encodePlan(testPlan(res.Pipeline))
	if err != nil {
		t.Fatal(err)
	}
	st, err := compileStage(payload, testStage)
	if err != nil {
		t.Fatal(err)
	}
	in := st.inputs["source.orders"]
	codec, err := eval.NewCodecFor(in.codec)
	if err != nil {
		t.Fatal(err)
	}

	typ, err := eval.SchemaType(v1)
	if err != nil {
		t.Fatal(err)
	}
	w, err := eval.NewCodecFor(eval.CodecSpec{Format: "avro", Schema: v1})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := eval.DecodeJSON(eval.NewLayout(typ), []byte(`{"id":"a","amount":150}`))
	if err != nil {
		t.Fatal(err)
	}
	framed, err := eval.AppendRecord(w, nil, rec)
	if err != nil {
		t.Fatal(err)
	}
	if framed[4] != 7 {
		t.Fatalf("frame carries schema ID %d, want 7", framed[4])
	}
	_, got, reason, err := in.eventTimeOf(codec, Record{Value: framed, TimestampMs: 1000})
	if err != nil {
		t.Fatalf("%s: %v", reason, err)
	}
	if d := cmp.Diff(`{"amount":150,"id":"a","note":null}`, string(got.AppendJSON(nil))); d != "" {
		t.Errorf("decoded (-want +got):\n%s", d)
	}
}
