package eval

import (
	"errors"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// errNoJSONSchema stands in until the jsonschema codec lands (issue 12).
var errNoJSONSchema = errors.New("format json_schema: not implemented yet")

func newJSONSchemaCodec(CodecSpec) (Codec, error)              { return nil, errNoJSONSchema }
func jsonSchemaType(*ir.SchemaDoc) (cty.Type, error)           { return cty.NilType, errNoJSONSchema }
func deriveJSONSchema(string, cty.Type) (*ir.SchemaDoc, error) { return nil, errNoJSONSchema }
func jsonSchemaCompatible(string, *ir.SchemaDoc, *ir.SchemaDoc) ([]Incompatibility, error) {
	return nil, errNoJSONSchema
}
