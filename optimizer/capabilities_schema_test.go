package optimizer

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func TestHostsSchemaFormats(t *testing.T) {
	src := func(format string) *ir.Operator {
		return &ir.Operator{ID: "source.s", Kind: ir.KindSource, Source: &ir.Source{Topic: "t", Format: format}}
	}
	sink := func(format string) *ir.Operator {
		return &ir.Operator{ID: "sink.k", Kind: ir.KindSink, Sink: &ir.Sink{Topic: "t", Format: format, Delivery: ir.AtLeastOnce}}
	}
	picky := Capabilities{SchemaFormats: []string{"json_schema"}, SchemaSupported: func(d *ir.SchemaDoc) error {
		if strings.Contains(d.Text, "pattern") {
			return errors.New("keyword pattern")
		}
		return nil
	}}
	doc := func(text string) *ir.SchemaDoc { return &ir.SchemaDoc{Format: "json_schema", Text: text} }
	srcWith := func(reader string, writers ...string) *ir.Operator {
		op := src("json_schema")
		op.Source.SchemaDoc = doc(reader)
		for _, w := range writers {
			op.Source.WriterSchemas = append(op.Source.WriterSchemas, doc(w))
		}
		return op
	}
	sinkWith := func(text string) *ir.Operator {
		op := sink("json_schema")
		op.Sink.SchemaDoc = doc(text)
		return op
	}
	tests := []struct {
		name   string
		caps   Capabilities
		op     *ir.Operator
		reason string // "" = hosted
	}{
		{"json anywhere", Capabilities{}, src("json"), ""},
		{"refused source", Capabilities{}, src("json_schema"), "source.s reads format json_schema, which the backend does not read"},
		{"refused sink", Capabilities{}, sink("avro"), "sink.k writes format avro, which the backend does not write"},
		{"declared", Capabilities{SchemaFormats: []string{"protobuf"}}, src("protobuf"), ""},
		{"another declared", Capabilities{SchemaFormats: []string{"protobuf"}}, src("avro"), "source.s reads format avro, which the backend does not read"},
		// SchemaSupported sees the reader schema, every pinned writer
		// schema and a sink's schema; here it refuses texts with "pattern".
		{"supported schemas", picky, srcWith("{}", "{}"), ""},
		{"refused reader schema", picky, srcWith("pattern", "{}"), "source.s reads a json_schema schema that the backend cannot validate: keyword pattern"},
		{"refused writer schema", picky, srcWith("{}", "{}", "pattern"), "source.s reads a json_schema schema that the backend cannot validate: keyword pattern"},
		{"refused sink schema", picky, sinkWith("pattern"), "sink.k writes a json_schema schema that the backend cannot validate: keyword pattern"},
		{"json is not asked about", picky, src("json"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := tt.caps.Hosts(tt.op)
			if diff := cmp.Diff(tt.reason, reason); diff != "" || ok != (tt.reason == "") {
				t.Errorf("Hosts = %v (-want +got reason):\n%s", ok, diff)
			}
		})
	}
}
