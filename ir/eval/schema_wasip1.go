//go:build wasip1

package eval

import (
	"fmt"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// The broker module (GOOS=wasip1) links the Avro codec with its schemas
// parsed by internal/avrolite, but not what plan time alone needs (Avro
// compatibility checks and schema derivation); these stand-ins only say so
// if one gets here anyway. The JSON Schema codec is linked, on
// internal/jsonschemalite.

func errNotInModule(format string) error {
	return fmt.Errorf("format %s is not available in the broker module: its stages run on native", format)
}

func deriveAvro(string, cty.Type) (*ir.SchemaDoc, error) {
	return nil, errNotInModule(FormatAvro)
}
func avroCompatible(string, *ir.SchemaDoc, *ir.SchemaDoc) ([]Incompatibility, error) {
	return nil, errNotInModule(FormatAvro)
}
