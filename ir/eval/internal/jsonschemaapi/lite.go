//go:build wasip1 || jsonschemalite

package jsonschemaapi

import (
	"io"

	"github.com/pipeline-compiler/pipeline/ir/eval/internal/jsonschemalite"
)

// Lite reports whether this build validates with jsonschemalite.
const Lite = true

// The names ir/eval's codec uses.
type (
	Compiler = jsonschemalite.Compiler
	Schema   = jsonschemalite.Schema
)

// NewCompiler returns a compiler that loads only the resources added to it.
func NewCompiler() *Compiler { return jsonschemalite.NewCompiler() }

// UnmarshalJSON decodes a JSON document (numbers as json.Number).
func UnmarshalJSON(r io.Reader) (any, error) { return jsonschemalite.UnmarshalJSON(r) }

// FirstError returns the instance location and message of err, or ok
// false when err is not a validation error.
func FirstError(err error) (location []string, msg string, ok bool) {
	ve, ok := err.(*jsonschemalite.ValidationError) // not errors.As: it links internal/reflectlite
	if !ok {
		return nil, "", false
	}
	return ve.InstanceLocation, ve.Message, true
}
