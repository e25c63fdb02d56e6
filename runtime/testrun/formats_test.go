package testrun

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
)

// A json_schema source pinned in a lock file and a json_schema sink: the
// test block's records are framed and validated, a drifted record is
// dead-lettered with the reason, and the sink's framed output is compared
// as JSON.
func TestJSONSchemaSourceAndSink(t *testing.T) {
	const orders = `{"type":"object","required":["id","amount"],"properties":{"id":{"type":"string"},"amount":{"type":"number"}}}`
	lock := schemalock.New()
	lock.SetSubject("main", "orders-value", &schemalock.Subject{Compatibility: "BACKWARD",
		Latest: &ir.SchemaDoc{Format: "json_schema", Text: orders, Subject: "orders-value", Version: 1, ID: 7}})
	lock.SetSubject("main", "big-value", &schemalock.Subject{Compatibility: "BACKWARD"})
	spec := `pipeline "p" {}
schema_registry "main" { url = "http://registry:8081" }
source "orders" {
  topic          = "orders"
  format         = "json_schema"
  schema_subject = "orders-value"
}
filter "big" {
  input = source.orders
  where = record.amount >= 100
}
sink "big" {
  input  = filter.big
  topic  = "big"
  format = "json_schema"
}
test "drift" {
  given "source.orders" {
    records = [
      { id = "a", amount = 150 },
      { id = "b", amount = "200" },
      { id = "c", amount = 50 },
    ]
  }
  expect "sink.big" {
    records = [{ id = "a", amount = 150 }]
  }
}
`
	res, diags := lang.LoadFiles(map[string][]byte{"p.hcl": []byte(spec)}, lang.Options{Lock: lock})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p := res.Pipeline
	got, err := Run(p, p.Tests[0])
	if err != nil {
		t.Fatal(err)
	}
	if !got.Passed {
		t.Errorf("test failed: %+v\ngot %v", got.Failures, got.Got)
	}
	if len(got.DeadLetters) != 1 {
		t.Fatalf("dead letters = %+v, want the drifted record b", got.DeadLetters)
	}
	dl := got.DeadLetters[0]
	if diff := cmp.Diff([]string{"source.orders", "decode"}, []string{dl.Operator, dl.Reason}); diff != "" {
		t.Errorf("dead letter (-want +got):\n%s", diff)
	}
	if !strings.Contains(dl.Err, "field amount") || !strings.Contains(dl.Err, "want number") {
		t.Errorf("dead letter reason = %q", dl.Err)
	}
}
