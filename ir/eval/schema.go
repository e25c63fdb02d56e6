package eval

import (
	"fmt"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// Schema formats: records in the Confluent wire format (magic byte 0, a
// 4-byte big-endian schema ID, then the payload; Protobuf adds its message
// indexes), described by an ir.Schema.
const (
	FormatJSON       = "json"
	FormatAvro       = "avro"
	FormatProtobuf   = "protobuf"
	FormatJSONSchema = "json_schema"
)

// SchemaFormats are the formats that need a schema.
var SchemaFormats = []string{FormatAvro, FormatProtobuf, FormatJSONSchema}

// CodecSpec chooses and configures a Codec.
type CodecSpec struct {
	Format string
	// Schema is the reader's schema (a source) or the writer's (a sink);
	// nil for plain JSON.
	Schema *ir.SchemaDoc
	// Coerce converts a JSON Schema record's drifted scalar types ("100"
	// for a number) instead of rejecting the record.
	Coerce bool
	// WriterSchema returns the schema registered under id, for framed
	// records written with another schema than Schema. Nil: only Schema.ID
	// is known, and a record with any other ID fails to decode (and is
	// dead-lettered) as an unknown schema.
	WriterSchema func(id int) (*ir.SchemaDoc, error)
}

// NewCodecFor returns a codec for spec.
func NewCodecFor(spec CodecSpec) (Codec, error) {
	switch spec.Format {
	case FormatJSON, "":
		return NewCodec(FormatJSON)
	case FormatAvro, FormatProtobuf, FormatJSONSchema:
		if spec.Schema == nil {
			return nil, fmt.Errorf("format %q needs a schema", spec.Format)
		}
	}
	switch spec.Format {
	case FormatAvro:
		return newAvroCodec(spec)
	case FormatProtobuf:
		return newProtobufCodec(spec)
	case FormatJSONSchema:
		return newJSONSchemaCodec(spec)
	}
	return NewCodec(spec.Format)
}

// SchemaType returns the record type that records of s decode to, following
// the README's type-mapping table.
func SchemaType(s *ir.SchemaDoc) (cty.Type, error) {
	switch s.Format {
	case FormatAvro:
		return avroType(s)
	case FormatProtobuf:
		return protobufType(s)
	case FormatJSONSchema:
		return jsonSchemaType(s)
	}
	return cty.NilType, fmt.Errorf("format %q has no schema", s.Format)
}

// DeriveSchema returns a schema of format for records of type t, as a sink
// registers it. name names the record (an Avro record name, a Protobuf
// message, a JSON Schema title).
func DeriveSchema(format, name string, t cty.Type) (*ir.SchemaDoc, error) {
	switch format {
	case FormatAvro:
		return deriveAvro(name, t)
	case FormatProtobuf:
		return deriveProtobuf(name, t)
	case FormatJSONSchema:
		return deriveJSONSchema(name, t)
	}
	return nil, fmt.Errorf("format %q has no schema", format)
}

// Incompatibility is one reason a schema change breaks a compatibility
// level, such as "field total changed from long to string".
type Incompatibility struct {
	Field  string // dotted path of the field, "" for the whole record
	Reason string
}

// Compatibility levels, as Schema Registries name them.
const (
	CompatBackward           = "BACKWARD"
	CompatBackwardTransitive = "BACKWARD_TRANSITIVE"
	CompatForward            = "FORWARD"
	CompatForwardTransitive  = "FORWARD_TRANSITIVE"
	CompatFull               = "FULL"
	CompatFullTransitive     = "FULL_TRANSITIVE"
	CompatNone               = "NONE"
)

// CheckCompatible reports why next is not compatible with prev under level
// (BACKWARD: a reader with next reads data written with prev; FORWARD: the
// reverse; FULL: both). It is computed locally from the two schemas, so it
// works offline against pinned schemas. Both must have the same Format.
func CheckCompatible(level string, prev, next *ir.SchemaDoc) ([]Incompatibility, error) {
	if prev.Format != next.Format {
		return []Incompatibility{{Reason: fmt.Sprintf("format changed from %s to %s", prev.Format, next.Format)}}, nil
	}
	switch prev.Format {
	case FormatAvro:
		return avroCompatible(level, prev, next)
	case FormatProtobuf:
		return protobufCompatible(level, prev, next)
	case FormatJSONSchema:
		return jsonSchemaCompatible(level, prev, next)
	}
	return nil, fmt.Errorf("format %q has no schema", prev.Format)
}
