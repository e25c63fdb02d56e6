//go:build wasip1

package eval

import (
	"errors"

	"github.com/pipeline-compiler/pipeline/ir"
)

// errNoProtoCompiler is the error of a Protobuf schema without a compiled
// Descriptor in the broker module, which does not link the .proto compiler.
var errNoProtoCompiler = errors.New("protobuf: the schema has no compiled descriptor (the planner fills it with eval.CompileSchema); this build cannot compile .proto text")

// CompileSchema leaves a schema that already has its Descriptor as it is;
// see the !wasip1 build, which compiles.
func CompileSchema(doc *ir.SchemaDoc) error {
	if doc.Format != FormatProtobuf || len(doc.Descriptor) > 0 {
		return nil
	}
	return errNoProtoCompiler
}

const protoCompilerLinked = false

func compileProtoText(*ir.SchemaDoc) ([]byte, error) { return nil, errNoProtoCompiler }
