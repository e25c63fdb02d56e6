//go:build wasip1

package eval

import (
	"fmt"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// The broker module (GOOS=wasip1) links the Avro codec with its schemas
// parsed by internal/avrolite, but not what plan time alone needs (Avro
// compatibility checks and schema derivation), nor the JSON Schema codec:
// santhosh-tekuri/jsonschema would take the module past Redpanda's default
// 10 MiB binary limit. The broker backend declares avro and protobuf among
// the schema formats (backends/broker/capabilities.go), so the planner
// never places a json_schema stage on the broker; these stand-ins only say
// so if one gets here anyway.

func errNotInModule(format string) error {
	return fmt.Errorf("format %s is not available in the broker module: its stages run on native", format)
}

func deriveAvro(string, cty.Type) (*ir.SchemaDoc, error) {
	return nil, errNotInModule(FormatAvro)
}
func avroCompatible(string, *ir.SchemaDoc, *ir.SchemaDoc) ([]Incompatibility, error) {
	return nil, errNotInModule(FormatAvro)
}

func newJSONSchemaCodec(CodecSpec) (Codec, error) { return nil, errNotInModule(FormatJSONSchema) }
func jsonSchemaType(*ir.SchemaDoc) (cty.Type, error) {
	return cty.NilType, errNotInModule(FormatJSONSchema)
}
func deriveJSONSchema(string, cty.Type) (*ir.SchemaDoc, error) {
	return nil, errNotInModule(FormatJSONSchema)
}
func jsonSchemaCompatible(string, *ir.SchemaDoc, *ir.SchemaDoc) ([]Incompatibility, error) {
	return nil, errNotInModule(FormatJSONSchema)
}
