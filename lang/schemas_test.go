package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

const ordersJSONSchema = `{"type":"object","required":["id","amount"],"properties":{"id":{"type":"string"},"amount":{"type":"number"},"ts":{"type":"string","format":"date-time"}}}`

// revenueV3 is the sink subject's pinned latest: total is an integer.
const revenueV3 = `{"type":"object","properties":{"customer":{"type":["string","null"]},"total":{"type":["integer","null"]}}}`

func schemaLock() *schemalock.Lock {
	l := schemalock.New()
	l.SetSubject("main", "orders-value", &schemalock.Subject{
		Compatibility: "BACKWARD",
		Latest:        &ir.SchemaDoc{Format: "json_schema", Text: ordersJSONSchema, Subject: "orders-value", Version: 2, ID: 12},
		Versions:      []*ir.SchemaDoc{{Format: "json_schema", Text: `{"type":"object","properties":{"id":{"type":"string"}}}`, Subject: "orders-value", Version: 1, ID: 11}},
	})
	l.SetSubject("main", "revenue-value", &schemalock.Subject{
		Compatibility: "BACKWARD",
		Latest:        &ir.SchemaDoc{Format: "json_schema", Text: revenueV3, Subject: "revenue-value", Version: 3, ID: 30},
	})
	l.SetSubject("main", "fresh-value", &schemalock.Subject{Compatibility: "BACKWARD"})
	return l
}

// ledgerLock pins ledger-value at level, whose version 1 has an integer
// total and whose latest, version 2, a string total and a note.
func ledgerLock(level string) *schemalock.Lock {
	l := schemaLock()
	l.SetSubject("main", "ledger-value", &schemalock.Subject{
		Compatibility: level,
		Latest: &ir.SchemaDoc{Format: "json_schema", Subject: "ledger-value", Version: 2, ID: 42,
			Text: `{"type":"object","properties":{"customer":{"type":["string","null"]},"total":{"type":["string","null"]},"note":{"type":["string","null"]}}}`},
		Versions: []*ir.SchemaDoc{{Format: "json_schema", Text: revenueV3, Subject: "ledger-value", Version: 1, ID: 41}},
	})
	return l
}

// TestTransitiveCompatibility: a sink's schema with a string total reads
// the latest version (string total) but not version 1 (integer total), so
// BACKWARD accepts it and BACKWARD_TRANSITIVE, which checks every pinned
// version, rejects it naming version 1.
func TestTransitiveCompatibility(t *testing.T) {
	const src = `pipeline "p" {}
` + registryBlock + `source "orders" {
  topic          = "orders"
  format         = "json_schema"
  schema_subject = "orders-value"
}
map "ledger" {
  input  = source.orders
  fields = { customer = record.id, total = record.id }
}
sink "ledger" {
  input  = map.ledger
  topic  = "ledger"
  format = "json_schema"
}
`
	for _, tt := range []struct {
		level string
		want  []string
	}{
		{"BACKWARD", nil},
		{"BACKWARD_TRANSITIVE", []string{"sink.ledger: field total changed from integer to string: not BACKWARD_TRANSITIVE compatible with ledger-value version 1."}},
	} {
		t.Run(tt.level, func(t *testing.T) {
			_, diags := LoadFiles(map[string][]byte{"p.hcl": []byte(src)}, Options{Lock: ledgerLock(tt.level)})
			var got []string
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					got = append(got, d.Detail)
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("errors (-want +got):\n%s", d)
			}
		})
	}
}

const registryBlock = `schema_registry "main" {
  url      = "http://registry:8081"
  username = "svc"
  password = "pw-s3cret"
}
`

func loadSchemaCase(t *testing.T, src string) (*Result, hcl.Diagnostics) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "orders.schema.json"), []byte(ordersJSONSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"p.hcl": []byte(`pipeline "p" {}` + "\n" + registryBlock + src)}
	return LoadFiles(files, Options{Lock: schemaLock(), SchemaDir: dir})
}

func TestSchemaFormatSource(t *testing.T) {
	res, diags := loadSchemaCase(t, `source "orders" {
  topic          = "orders"
  format         = "json_schema"
  schema_subject = "orders-value"
  coerce         = true
}
sink "out" {
  input = source.orders
  topic = "out"
}
`)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	src := res.Pipeline.Operator("source.orders")
	want := cty.Object(map[string]cty.Type{"id": cty.String, "amount": cty.Number, "ts": cty.String})
	if !src.Schema.Type.Equals(want) {
		t.Errorf("record type = %s, want %s", src.Schema.Type.GoString(), want.GoString())
	}
	if got := src.Source; got.SchemaDoc == nil || got.SchemaDoc.ID != 12 || !got.Coerce || got.SchemaRegistry != "main" || len(got.WriterSchemas) != 1 || got.WriterSchemas[0].ID != 11 {
		t.Errorf("source = %+v", got)
	}
	if w, err := src.Source.WriterSchema(11); err != nil || w.Version != 1 {
		t.Errorf("WriterSchema(11) = %v, %v", w, err)
	}
	if r := res.Pipeline.SchemaRegistry("main"); r == nil || r.Password != "pw-s3cret" {
		t.Errorf("registry = %+v", r)
	}
}

func TestSchemaFormatSink(t *testing.T) {
	res, diags := loadSchemaCase(t, `source "orders" {
  topic       = "orders"
  format      = "json_schema"
  schema_file = "orders.schema.json"
}
sink "fresh" {
  input  = source.orders
  topic  = "fresh"
  format = "json_schema"
}
`)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	s := res.Pipeline.Operator("sink.fresh").Sink
	if s.SchemaSubject != "fresh-value" || s.SchemaDoc == nil || s.SchemaDoc.Subject != "fresh-value" || s.SchemaDoc.ID != 0 {
		t.Errorf("sink = %+v, doc %+v", s, s.SchemaDoc)
	}
	if !strings.Contains(s.SchemaDoc.Text, `"amount"`) {
		t.Errorf("derived schema lacks the input's fields: %s", s.SchemaDoc.Text)
	}
	if src := res.Pipeline.Operator("source.orders").Source; src.SchemaDoc == nil || src.SchemaDoc.ID != 0 || src.SchemaFile != "orders.schema.json" {
		t.Errorf("file source = %+v", src)
	}
}

func TestSchemaFormatErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		want   []string
		detail string // a substring of some error's detail
	}{
		{
			name: "typo against the registry's schema",
			src: `source "orders" {
  topic          = "orders"
  format         = "json_schema"
  schema_subject = "orders-value"
}
filter "big" {
  input = source.orders
  where = record.amout > 100
}
sink "out" {
  input = filter.big
  topic = "out"
}
`,
			want:   []string{"error p.hcl:14:17: Unsupported attribute"},
			detail: `Did you mean "amount"?`,
		},
		{
			name: "no subject or file, unpinned subject, unknown registry",
			src: `source "a" {
  topic  = "a"
  format = "avro"
}
source "b" {
  topic          = "b"
  format         = "json_schema"
  schema_subject = "nope-value"
}
source "c" {
  topic           = "c"
  format          = "json_schema"
  schema_subject  = "orders-value"
  schema_registry = "mian"
}
sink "out" {
  input = source.a
  topic = "out"
}
sink "out2" {
  input = source.b
  topic = "out2"
}
sink "out3" {
  input = source.c
  topic = "out3"
}
`,
			want: []string{
				"error p.hcl:9:12: Missing schema",
				"error p.hcl:14:20: Schema not pinned",
				"error p.hcl:20:21: Unknown schema registry",
			},
			detail: "pipeline schemas pull",
		},
		{
			name: "file source of a schema format",
			src: `source "a" {
  file           = "orders.bin"
  format         = "json_schema"
  schema_subject = "orders-value"
}
sink "out" {
  input = source.a
  topic = "out"
}
`,
			want:   []string{"error p.hcl:8:3: File source of a schema format"},
			detail: "read it from a topic",
		},
		{
			name: "misused attributes",
			src: `source "a" {
  topic          = "a"
  format         = "json_schema"
  schema_subject = "orders-value"
  schema_file    = "orders.schema.json"
  message        = "web.Click"
}
source "b" {
  topic  = "b"
  schema = object({ id = string })
  coerce = true
}
sink "out" {
  input = source.a
  topic = "out"
}
sink "out2" {
  input          = source.b
  topic          = "out2"
  schema_subject = "x"
}
`,
			want: []string{
				"error p.hcl:11:3: Conflicting schema_subject and schema_file",
				"error p.hcl:12:3: Attribute not allowed here",
				"error p.hcl:17:3: Attribute not allowed here",
				"error p.hcl:26:3: Attribute not allowed here",
			},
		},
		{
			name: "breaking sink change",
			src: `source "orders" {
  topic          = "orders"
  format         = "json_schema"
  schema_subject = "orders-value"
}
map "revenue" {
  input  = source.orders
  fields = { customer = record.id, total = record.id }
}
sink "revenue" {
  input  = map.revenue
  topic  = "revenue"
  format = "json_schema"
}
`,
			want:   []string{"error p.hcl:16:1: Incompatible schema change"},
			detail: "sink.revenue: field total changed from integer to string: not BACKWARD compatible with revenue-value version 3",
		},
		{
			name: "sink subject not pinned",
			src: `source "orders" {
  topic          = "orders"
  format         = "json_schema"
  schema_subject = "orders-value"
}
sink "other" {
  input  = source.orders
  topic  = "other"
  format = "json_schema"
}
`,
			want:   []string{"error p.hcl:12:1: Schema not pinned"},
			detail: `Subject "other-value"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, diags := loadSchemaCase(t, tt.src)
			if diff := cmp.Diff(tt.want, errorsOf(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall:\n%s", diff, diags.Error())
			}
			if res.Pipeline != nil {
				t.Error("pipeline returned despite errors")
			}
			var all strings.Builder
			for _, d := range diags {
				all.WriteString(d.Summary + ": " + d.Detail + "\n")
			}
			if tt.detail != "" && !strings.Contains(all.String(), tt.detail) {
				t.Errorf("no diagnostic says %q:\n%s", tt.detail, all.String())
			}
			if strings.Contains(all.String(), "pw-s3cret") {
				t.Error("a diagnostic shows the registry password")
			}
		})
	}
}

func TestSchemaFormatCompatibleSinkKeepsID(t *testing.T) {
	// A sink whose derived schema is the pinned latest's text gets its ID.
	lock := schemaLock()
	res, diags := loadSchemaCase(t, `source "orders" {
  topic          = "orders"
  format         = "json_schema"
  schema_subject = "orders-value"
}
map "m" {
  input  = source.orders
  fields = { id = record.id, amount = record.amount }
}
sink "revenue" {
  input  = map.m
  topic  = "revenue"
  format = "json_schema"
}
`)
	_ = lock
	if diags.HasErrors() {
		// Adding fields and dropping customer/total is BACKWARD compatible
		// for the open, optional derived schema.
		t.Fatal(diags.Error())
	}
	if s := res.Pipeline.Operator("sink.revenue").Sink; s.SchemaDoc.ID != 0 {
		t.Errorf("a changed schema kept ID %d", s.SchemaDoc.ID)
	}
}
