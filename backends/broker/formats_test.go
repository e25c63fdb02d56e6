package broker

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// formatsSpec reads orders in one schema format and writes the big ones,
// doubled, in the same format: the given records are encoded with the
// pinned schema, decoded inside the transform module, re-encoded there with
// the sink's derived schema and decoded back for the comparison (issue 12).
// %[1]s is the format, %[2]s extra source attributes, %[3]s the records.
const formatsSpec = `pipeline "p" {}
schema_registry "main" { url = "http://registry:8081" }
source "orders" {
  topic          = "orders"
  format         = "%[1]s"
  schema_subject = "orders-value"
%[2]s
}
filter "big" {
  input = source.orders
  where = record.amount >= 100
}
map "tagged" {
  input  = filter.big
  fields = { id = record.id, amount = record.amount, double = record.amount * 2, note = record.note }
}
sink "big" {
  input  = map.tagged
  topic  = "big"
  format = "%[1]s"
}
test "big" {
  given "source.orders" {
    records = [
%[3]s
    ]
  }
  expect "sink.big" {
    records = [
      { id = "a", amount = 150, double = 300, note = "gift" },
      { id = "c", amount = 100, double = 200, note = null },
    ]
  }
}
`

var formatsSchemas = map[string]string{
	"avro": `{"type":"record","name":"Order","namespace":"shop","fields":[
  {"name":"id","type":"string"},
  {"name":"amount","type":"long"},
  {"name":"note","type":["null","string"],"default":null}]}`,
	// Order refers to shop.Customer, defined in another subject (a
	// reference): the customer sits between id and amount, so amount only
	// reads right if the module resolved it.
	"avro+ref": `{"type":"record","name":"Order","namespace":"shop","fields":[
  {"name":"id","type":"string"},
  {"name":"customer","type":"Customer"},
  {"name":"amount","type":"long"},
  {"name":"note","type":["null","string"],"default":null}]}`,
	"json_schema": `{"type":"object","required":["id","amount"],"properties":{
  "id":{"type":"string"},"amount":{"type":"integer"},"note":{"type":["string","null"]}}}`,
	"protobuf": "syntax = \"proto3\";\nmessage Order {\n  string id = 1;\n  int64 amount = 2;\n  optional string note = 3;\n}\n",
}

// TestSchemaFormatsInModule runs a source and a sink of each format the
// module hosts through the module in the WebAssembly host. The expected
// records are the spec's meaning (amount >= 100, doubled; a missing note is
// null when given null). A record that is not a valid frame of the schema (the given
// {amount = null} cannot be encoded as a long, so it reaches the module as
// an empty value) is dead-lettered by the source with reason decode.
func TestSchemaFormatsInModule(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	runner := NewTestRunner()
	defer runner.Close(context.Background())
	refs := map[string]map[string]string{
		"avro+ref": {"shop.Customer": `{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"name","type":"string"}]}`},
	}
	for _, tc := range []struct {
		format, attrs string
		records       []string
		dead          []string
	}{
		{format: "avro", records: []string{`{ id = "a", amount = 150, note = "gift" }`, `{ id = "b", amount = 50, note = null }`, `{ id = "c", amount = 100, note = null }`}},
		{format: "avro", records: []string{`{ id = "a", amount = 150, note = "gift" }`, `{ id = "x", amount = null, note = null }`, `{ id = "c", amount = 100, note = null }`},
			dead: []string{"source.orders: decode"}},
		{format: "avro+ref", records: []string{`{ id = "a", customer = { name = "Zoë" }, amount = 150, note = "gift" }`, `{ id = "b", customer = { name = "" }, amount = 50, note = null }`, `{ id = "c", customer = { name = "Al" }, amount = 100, note = null }`}},
		{format: "json_schema", records: []string{`{ id = "a", amount = 150, note = "gift" }`, `{ id = "b", amount = 50, note = null }`, `{ id = "c", amount = 100, note = null }`}},
		// The drifted "150" reaches the module as written (a string) and
		// does not conform to the integer amount.
		{format: "json_schema", records: []string{`{ id = "a", amount = 150, note = "gift" }`, `{ id = "x", amount = "150", note = null }`, `{ id = "c", amount = 100, note = null }`},
			dead: []string{"source.orders: decode"}},
		{format: "protobuf", attrs: `  message = "Order"`, records: []string{`{ id = "a", amount = 150, note = "gift" }`, `{ id = "b", amount = 50, note = null }`, `{ id = "c", amount = 100, note = null }`}},
	} {
		t.Run(fmt.Sprintf("%s/%d dead", tc.format, len(tc.dead)), func(t *testing.T) {
			format, _, _ := strings.Cut(tc.format, "+")
			lock := schemalock.New()
			lock.SetSubject("main", "orders-value", &schemalock.Subject{Compatibility: "BACKWARD",
				Latest: &ir.SchemaDoc{Format: format, Text: formatsSchemas[tc.format], References: refs[tc.format], Subject: "orders-value", Version: 1, ID: 7}})
			lock.SetSubject("main", "big-value", &schemalock.Subject{Compatibility: "BACKWARD"})
			src := fmt.Sprintf(formatsSpec, format, tc.attrs, "      "+strings.Join(tc.records, ",\n      ")+",")
			res, diags := lang.LoadFiles(map[string][]byte{"p.hcl": []byte(src)}, lang.Options{Lock: lock})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			p := res.Pipeline
			r, err := testrun.Run(p, p.Tests[0], testrun.WithRunner(runner))
			if err != nil {
				t.Fatal(err)
			}
			if r.Skipped != "" {
				t.Fatalf("skipped: %s", r.Skipped)
			}
			for _, f := range r.Failures {
				t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
			}
			var dead []string
			for _, d := range r.DeadLetters {
				dead = append(dead, d.Operator+": "+d.Reason)
			}
			if d := cmp.Diff(tc.dead, dead); d != "" {
				t.Errorf("dead letters (-want +got):\n%s", d)
			}
		})
	}
}
