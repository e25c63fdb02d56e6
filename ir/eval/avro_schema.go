package eval

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
	avro "github.com/pipeline-compiler/pipeline/ir/eval/internal/avroschema"
	"github.com/zclconf/go-cty/cty"
)

// This file parses Avro schemas (with github.com/hamba/avro/v2, or in the
// broker module internal/avrolite: see internal/avroschema; used for
// parsing only: the codec itself reads and writes the binary encoding
// directly into Records) and maps them to cty types, as the README's
// "Avro" table says:
//
//	record                      object, one attribute per field
//	array / map                 list / map of the mapped item type
//	enum                        string (the symbol)
//	["null", T] (either order)  T; null values are null
//	boolean                     bool
//	int, long, float, double    number
//	string (uuid too)           string
//	bytes, fixed (duration too) string: the bytes in standard base64 with padding
//	timestamp-millis/-micros    number: epoch milliseconds (micros keep the
//	  and the local- variants     fraction: 1.5 is 1500 µs), what event_time
//	                              and the time functions take
//	time-millis/-micros         number: milliseconds since midnight
//	date                        string "YYYY-MM-DD"
//	decimal (bytes or fixed)    number (unscaled × 10^-scale)
//	null alone                  dynamic, always null
//
// A union of more than one non-null branch maps to the branches' common
// type when they all map alike (["int","long"] is a number, ["string",
// an enum] a string); other unions are an error naming the field, since no
// single cty type holds them.

// parseAvro parses an Avro schema document with its named-type references.
// Each parse gets its own name cache, so schemas of different subjects (or
// versions) defining the same name never see each other's definitions.
func parseAvro(s *ir.SchemaDoc) (avro.Schema, error) {
	cache := &avro.SchemaCache{}
	// References may refer to each other: parse them until no more succeed.
	pending := make([]string, 0, len(s.References))
	for name := range s.References {
		pending = append(pending, name)
	}
	sort.Strings(pending)
	for len(pending) > 0 {
		var failed []string
		var lastErr error
		for _, name := range pending {
			if _, err := avro.ParseWithCache(s.References[name], "", cache); err != nil {
				failed = append(failed, name)
				lastErr = fmt.Errorf("avro: reference %q: %w", name, err)
			}
		}
		if len(failed) == len(pending) {
			return nil, lastErr
		}
		pending = failed
	}
	sch, err := avro.ParseWithCache(s.Text, "", cache)
	if err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	return sch, nil
}

// avroType is SchemaType for Avro: the record type the top-level record
// schema decodes to.
func avroType(s *ir.SchemaDoc) (cty.Type, error) {
	sch, err := parseAvro(s)
	if err != nil {
		return cty.NilType, err
	}
	sch = derefAvro(sch)
	if sch.Type() != avro.Record {
		return cty.NilType, fmt.Errorf("avro: the schema is a %s; records need a record schema", sch.Type())
	}
	return avroCtyType(sch, "")
}

// derefAvro follows a named-type reference to its definition.
func derefAvro(s avro.Schema) avro.Schema {
	for {
		r, ok := s.(*avro.RefSchema)
		if !ok {
			return s
		}
		s = r.Schema()
	}
}

// avroLogical returns the logical type of s, or "".
func avroLogical(s avro.Schema) avro.LogicalType {
	if ls, ok := s.(avro.LogicalTypeSchema); ok && ls.Logical() != nil {
		return ls.Logical().Type()
	}
	return ""
}

// avroNonNull returns the non-null branches of a union.
func avroNonNull(u *avro.UnionSchema) []avro.Schema {
	var out []avro.Schema
	for _, b := range u.Types() {
		if b.Type() != avro.Null {
			out = append(out, b)
		}
	}
	return out
}

// avroCtyType maps an Avro schema to its cty type; path names the field
// for errors.
func avroCtyType(s avro.Schema, path string) (cty.Type, error) {
	s = derefAvro(s)
	if len(path) > 4096 {
		// cty types are trees: a recursive schema has no cty type.
		return cty.NilType, fmt.Errorf("avro: field %s: schema nested too deeply (a recursive schema?)", path[:64]+"...")
	}
	switch s.Type() {
	case avro.Record:
		fields := s.(*avro.RecordSchema).Fields()
		attrs := make(map[string]cty.Type, len(fields))
		for _, f := range fields {
			t, err := avroCtyType(f.Type(), joinPath(path, f.Name()))
			if err != nil {
				return cty.NilType, err
			}
			attrs[f.Name()] = t
		}
		return cty.Object(attrs), nil
	case avro.Array:
		t, err := avroCtyType(s.(*avro.ArraySchema).Items(), path+"[]")
		if err != nil {
			return cty.NilType, err
		}
		return cty.List(t), nil
	case avro.Map:
		t, err := avroCtyType(s.(*avro.MapSchema).Values(), path+"[]")
		if err != nil {
			return cty.NilType, err
		}
		return cty.Map(t), nil
	case avro.Union:
		branches := avroNonNull(s.(*avro.UnionSchema))
		if len(branches) == 0 {
			return cty.DynamicPseudoType, nil
		}
		var common cty.Type
		for i, b := range branches {
			t, err := avroCtyType(b, path)
			if err != nil {
				return cty.NilType, err
			}
			if i == 0 {
				common = t
			} else if !t.Equals(common) {
				return cty.NilType, fmt.Errorf("avro: field %s: union %s has branches of different types (%s and %s); only unions with null, or of branches that map to one type, are supported", orRecord(path), s, common.FriendlyName(), t.FriendlyName())
			}
		}
		return common, nil
	case avro.Null:
		return cty.DynamicPseudoType, nil
	case avro.Boolean:
		return cty.Bool, nil
	case avro.Int, avro.Long, avro.Float, avro.Double:
		if avroLogical(s) == avro.Date {
			return cty.String, nil
		}
		return cty.Number, nil
	case avro.String, avro.Enum, avro.Fixed:
		if avroLogical(s) == avro.Decimal {
			return cty.Number, nil
		}
		return cty.String, nil
	case avro.Bytes:
		if avroLogical(s) == avro.Decimal {
			return cty.Number, nil
		}
		return cty.String, nil
	}
	return cty.NilType, fmt.Errorf("avro: field %s: unsupported schema type %s", orRecord(path), s.Type())
}

// avroRep is how a value of an Avro schema is held in a Value.
type avroRep uint8

const (
	repPlain    avroRep = iota // bool, number, string as they are
	repFloat32                 // a float reader: promoted integers round to float32
	repBase64                  // bytes, fixed: base64 string
	repDate                    // int days: "YYYY-MM-DD"
	repTsMillis                // long ms: number ms
	repTsMicros                // long µs: number ms, with the fraction
	repDecimal                 // bytes/fixed two's complement: number
)

// avroRepOf returns the representation of a primitive, enum or fixed
// schema, and a decimal's scale.
func avroRepOf(s avro.Schema) (avroRep, int) {
	switch avroLogical(s) {
	case avro.Date:
		return repDate, 0
	case avro.TimestampMillis, avro.LocalTimestampMillis:
		return repTsMillis, 0
	case avro.TimestampMicros, avro.LocalTimestampMicros:
		return repTsMicros, 0
	case avro.TimeMicros:
		// Milliseconds since midnight, with the fraction: the same scaling
		// as timestamp-micros.
		return repTsMicros, 0
	case avro.Decimal:
		return repDecimal, s.(avro.LogicalTypeSchema).Logical().(*avro.DecimalLogicalSchema).Scale()
	}
	switch s.Type() {
	case avro.Bytes, avro.Fixed:
		return repBase64, 0
	case avro.Float:
		return repFloat32, 0
	}
	return repPlain, 0
}

func orRecord(path string) string {
	if path == "" {
		return "(the record)"
	}
	return strings.TrimSuffix(path, ".")
}
