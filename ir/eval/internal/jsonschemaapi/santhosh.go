//go:build !wasip1 && !jsonschemalite

package jsonschemaapi

import (
	"errors"
	"io"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Lite reports whether this build validates with jsonschemalite.
const Lite = false

// The names ir/eval's codec uses.
type (
	Compiler = jsonschema.Compiler
	Schema   = jsonschema.Schema
)

// NewCompiler returns a compiler that loads only the resources added to it.
func NewCompiler() *Compiler { return jsonschema.NewCompiler() }

// UnmarshalJSON decodes a JSON document (numbers as json.Number).
func UnmarshalJSON(r io.Reader) (any, error) { return jsonschema.UnmarshalJSON(r) }

var printer = message.NewPrinter(language.English)

// FirstError returns the instance location and message of err's first
// cause, the deepest one, or ok false when err is not a validation error.
func FirstError(err error) (location []string, msg string, ok bool) {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil, "", false
	}
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	return ve.InstanceLocation, ve.ErrorKind.LocalizedString(printer), true
}
