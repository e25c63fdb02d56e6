package beam_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// formatSpec reads orders in one schema format and writes the big ones in
// the same format: the test block's records are encoded with the pinned
// schema, decoded on Beam by the source, re-encoded by the sink with the
// derived schema and decoded back for the comparison (issue 12).
const formatSpec = `pipeline "p" {}
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
  fields = { id = record.id, amount = record.amount, double = record.amount * 2 }
}
sink "big" {
  input  = map.tagged
  topic  = "big"
  format = "%[1]s"
}
test "big" {
  given "source.orders" {
    records = [
      { id = "a", amount = 150 },
      { id = "b", amount = 50 },
      { id = "c", amount = 100 },
    ]
  }
  expect "sink.big" {
    records = [
      { id = "a", amount = 150, double = 300 },
      { id = "c", amount = 100, double = 200 },
    ]
  }
}
`

// TestSchemaFormats runs a source and a sink of every schema format on Beam
// through the ir/eval codecs: the expected records are the spec's meaning
// (amount >= 100, doubled), and a json_schema record drifting from its
// schema is dead-lettered at the source with reason decode, as on native.
func TestSchemaFormats(t *testing.T) {
	if testing.Short() {
		t.Skip("runs test blocks on Prism")
	}
	schemas := map[string]string{
		"avro":        `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"amount","type":"long"}]}`,
		"protobuf":    "syntax = \"proto3\";\nmessage Order {\n  string id = 1;\n  int64 amount = 2;\n}\n",
		"json_schema": `{"type":"object","required":["id","amount"],"properties":{"id":{"type":"string"},"amount":{"type":"integer"}}}`,
	}
	for _, format := range []string{"avro", "protobuf", "json_schema"} {
		t.Run(format, func(t *testing.T) {
			lock := schemalock.New()
			lock.SetSubject("main", "orders-value", &schemalock.Subject{Compatibility: "BACKWARD",
				Latest: &ir.SchemaDoc{Format: format, Text: schemas[format], Subject: "orders-value", Version: 1, ID: 7}})
			lock.SetSubject("main", "big-value", &schemalock.Subject{Compatibility: "BACKWARD"})
			src := []byte(sprintf(formatSpec, format, messageAttr(format)))
			res, diags := lang.LoadFiles(map[string][]byte{"p.hcl": src}, lang.Options{Lock: lock})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			p := res.Pipeline
			r, err := testrun.Run(p, p.Tests[0], testrun.WithRunner(beam.TestRunner{}))
			if err != nil {
				t.Fatal(err)
			}
			if r.Skipped != "" {
				t.Fatalf("skipped: %s", r.Skipped)
			}
			for _, f := range r.Failures {
				t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
			}
			if len(r.DeadLetters) != 0 {
				t.Errorf("dead letters: %+v", r.DeadLetters)
			}
		})
	}
	t.Run("json_schema drift", func(t *testing.T) {
		lock := schemalock.New()
		lock.SetSubject("main", "orders-value", &schemalock.Subject{Compatibility: "BACKWARD",
			Latest: &ir.SchemaDoc{Format: "json_schema", Text: schemas["json_schema"], Subject: "orders-value", Version: 1, ID: 7}})
		lock.SetSubject("main", "big-value", &schemalock.Subject{Compatibility: "BACKWARD"})
		src := sprintf(formatSpec, "json_schema", "")
		// b's amount is a string: the schema says integer.
		src = replace(src, `{ id = "b", amount = 50 }`, `{ id = "b", amount = "500" }`)
		res, diags := lang.LoadFiles(map[string][]byte{"p.hcl": []byte(src)}, lang.Options{Lock: lock})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		p := res.Pipeline
		r, err := testrun.Run(p, p.Tests[0], testrun.WithRunner(beam.TestRunner{}))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Failures {
			t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
		}
		if d := cmp.Diff([]string{"source.orders: decode"}, deadReasons(r.DeadLetters)); d != "" {
			t.Errorf("dead letters (-want +got):\n%s", d)
		}
	})
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func replace(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("formats_test: " + old + " not in the spec")
	}
	return strings.Replace(s, old, new, 1)
}

// messageAttr is the source attribute a protobuf schema needs: the message
// the records are.
func messageAttr(format string) string {
	if format == "protobuf" {
		return `  message        = "Order"`
	}
	return ""
}
