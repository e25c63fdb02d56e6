package eval

import (
	"errors"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// errNoAvro stands in until the avro codec lands (issue 12).
var errNoAvro = errors.New("format avro: not implemented yet")

func newAvroCodec(CodecSpec) (Codec, error)              { return nil, errNoAvro }
func avroType(*ir.SchemaDoc) (cty.Type, error)           { return cty.NilType, errNoAvro }
func deriveAvro(string, cty.Type) (*ir.SchemaDoc, error) { return nil, errNoAvro }
func avroCompatible(string, *ir.SchemaDoc, *ir.SchemaDoc) ([]Incompatibility, error) {
	return nil, errNoAvro
}
