package eval

import (
	"errors"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// errNoProtobuf stands in until the protobuf codec lands (issue 12).
var errNoProtobuf = errors.New("format protobuf: not implemented yet")

func newProtobufCodec(CodecSpec) (Codec, error)              { return nil, errNoProtobuf }
func protobufType(*ir.SchemaDoc) (cty.Type, error)           { return cty.NilType, errNoProtobuf }
func deriveProtobuf(string, cty.Type) (*ir.SchemaDoc, error) { return nil, errNoProtobuf }
func protobufCompatible(string, *ir.SchemaDoc, *ir.SchemaDoc) ([]Incompatibility, error) {
	return nil, errNoProtobuf
}
