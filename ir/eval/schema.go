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

// CheckedAppender is a Codec whose encoding can fail: a schema format
// rejects a record that does not conform to the writer's schema (a null for
// a non-nullable field, a number out of an int's range) instead of writing
// bytes its readers cannot read.
type CheckedAppender interface {
	AppendChecked(dst []byte, r *Record) ([]byte, error)
}

// AppendRecord appends the encoding of r with c, reporting a record c cannot
// encode. Sinks use it so such records are dead-lettered, never written.
func AppendRecord(c Codec, dst []byte, r *Record) ([]byte, error) {
	if ca, ok := c.(CheckedAppender); ok {
		return ca.AppendChecked(dst, r)
	}
	return c.Append(dst, r), nil
}

// The Confluent wire format frames a schema-format record as the magic byte
// 0, the 4-byte big-endian schema ID, then the payload.
const confluentMagic = 0

// appendConfluentHeader appends the frame header for schema id.
func appendConfluentHeader(dst []byte, id int) []byte {
	return append(dst, confluentMagic, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
}

// splitConfluentHeader returns the schema ID and the payload of a framed
// record.
func splitConfluentHeader(format string, data []byte) (id int, payload []byte, err error) {
	if len(data) < 5 {
		return 0, nil, &DecodeError{Reason: fmt.Sprintf("%s: record of %d bytes is shorter than the 5-byte Confluent header", format, len(data))}
	}
	if data[0] != confluentMagic {
		return 0, nil, &DecodeError{Reason: fmt.Sprintf("%s: magic byte is %d, not 0: not in the Confluent wire format", format, data[0])}
	}
	id = int(data[1])<<24 | int(data[2])<<16 | int(data[3])<<8 | int(data[4])
	return id, data[5:], nil
}

// writerSchema returns the schema a record framed with id was written with:
// the codec's own schema when the IDs match (or the schema has no ID, as a
// local schema file), else the one WriterSchema finds. An unknown ID is a
// DecodeError, so the record is dead-lettered with the reason.
func (s CodecSpec) writerSchema(id int) (*ir.SchemaDoc, error) {
	if s.Schema.ID == id || s.Schema.ID == 0 {
		return s.Schema, nil
	}
	if s.WriterSchema == nil {
		return nil, &DecodeError{Reason: fmt.Sprintf("%s: unknown schema ID %d (the plan pins ID %d)", s.Format, id, s.Schema.ID)}
	}
	w, err := s.WriterSchema(id)
	if err != nil {
		return nil, &DecodeError{Reason: fmt.Sprintf("%s: schema ID %d: %v", s.Format, id, err)}
	}
	return w, nil
}

// joinPath appends a field name to a dotted field path.
func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// EncodeError is a record that a schema format's writer schema cannot
// carry (a null for a non-nullable field, an int out of range): a sink
// dead-letters it instead of writing bytes its readers would misread.
type EncodeError struct {
	Format string // avro, protobuf
	Field  string // dotted path of the offending value, "items[2].sku"; "" for the record
	Reason string
}

func (e *EncodeError) Error() string {
	if e.Field == "" {
		return e.Format + ": " + e.Reason
	}
	return e.Format + ": field " + e.Field + ": " + e.Reason
}

// inEncField prefixes an EncodeError's path with a field name or an index
// step; other errors pass through.
func inEncField(err error, step string) error {
	e, ok := err.(*EncodeError)
	if !ok {
		return err
	}
	switch {
	case e.Field == "":
		e.Field = step
	case e.Field[0] == '[':
		e.Field = step + e.Field
	default:
		e.Field = step + "." + e.Field
	}
	return e
}
