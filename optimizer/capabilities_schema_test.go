package optimizer

import (
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
