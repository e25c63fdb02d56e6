//go:build wasip1 || avrolite

package avroschema

import avro "github.com/pipeline-compiler/pipeline/ir/eval/internal/avrolite"

// The names ir/eval's Avro codec uses.
type (
	Schema               = avro.Schema
	NamedSchema          = avro.NamedSchema
	LogicalTypeSchema    = avro.LogicalTypeSchema
	LogicalSchema        = avro.LogicalSchema
	DecimalLogicalSchema = avro.DecimalLogicalSchema
	RecordSchema         = avro.RecordSchema
	Field                = avro.Field
	EnumSchema           = avro.EnumSchema
	FixedSchema          = avro.FixedSchema
	ArraySchema          = avro.ArraySchema
	MapSchema            = avro.MapSchema
	UnionSchema          = avro.UnionSchema
	RefSchema            = avro.RefSchema
	SchemaCache          = avro.SchemaCache
	Type                 = avro.Type
	LogicalType          = avro.LogicalType
)

// Schema types.
const (
	Record  = avro.Record
	Error   = avro.Error
	Ref     = avro.Ref
	Enum    = avro.Enum
	Array   = avro.Array
	Map     = avro.Map
	Union   = avro.Union
	Fixed   = avro.Fixed
	String  = avro.String
	Bytes   = avro.Bytes
	Int     = avro.Int
	Long    = avro.Long
	Float   = avro.Float
	Double  = avro.Double
	Boolean = avro.Boolean
	Null    = avro.Null
)

// Logical types.
const (
	Decimal              = avro.Decimal
	UUID                 = avro.UUID
	Date                 = avro.Date
	TimeMillis           = avro.TimeMillis
	TimeMicros           = avro.TimeMicros
	TimestampMillis      = avro.TimestampMillis
	TimestampMicros      = avro.TimestampMicros
	LocalTimestampMillis = avro.LocalTimestampMillis
	LocalTimestampMicros = avro.LocalTimestampMicros
	Duration             = avro.Duration
)

// ParseWithCache parses an Avro schema document, defining and resolving
// named types in cache.
func ParseWithCache(schema, namespace string, cache *SchemaCache) (Schema, error) {
	return avro.ParseWithCache(schema, namespace, cache)
}
