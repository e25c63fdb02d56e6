//go:build !wasip1

package eval

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// deriveAvro is DeriveSchema for Avro: the .avsc a sink registers for
// records of type t. The IR does not mark fields non-nullable (any value may
// be null), so every field, list item and map value is ["null", T] and
// fields default to null. Numbers are doubles (the IR has one number type;
// integers beyond 2^53 round). Fields are in name order and nested records
// are named <name>_<field>, so the output is deterministic.
func deriveAvro(name string, t cty.Type) (*ir.SchemaDoc, error) {
	if !t.IsObjectType() {
		return nil, fmt.Errorf("avro: a record schema needs an object type, not %s", t.FriendlyName())
	}
	var b strings.Builder
	if err := deriveAvroRecord(&b, avroName(name), t, ""); err != nil {
		return nil, err
	}
	// The derived schema must be one the codec reads.
	doc := &ir.SchemaDoc{Format: FormatAvro, Text: b.String()}
	if _, err := parseAvro(doc); err != nil {
		return nil, fmt.Errorf("avro: derived schema: %w", err)
	}
	return doc, nil
}

// avroName turns a spec name into a valid Avro name.
func avroName(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'):
		case '0' <= r && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
		default:
			r = '_'
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "record"
	}
	return b.String()
}

func validAvroName(s string) bool {
	return s != "" && avroName(s) == s && !('0' <= s[0] && s[0] <= '9')
}

func deriveAvroRecord(b *strings.Builder, name string, t cty.Type, path string) error {
	attrs := t.AttributeTypes()
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteString(`{"type":"record","name":`)
	b.WriteString(strconv.Quote(name))
	b.WriteString(`,"fields":[`)
	for i, n := range names {
		if !validAvroName(n) {
			return fmt.Errorf("avro: field %s: %q is not a valid Avro field name (letters, digits and _, not starting with a digit)", joinPath(path, n), n)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":`)
		b.WriteString(strconv.Quote(n))
		b.WriteString(`,"type":`)
		if err := deriveAvroNullable(b, name+"_"+n, attrs[n], joinPath(path, n)); err != nil {
			return err
		}
		b.WriteString(`,"default":null}`)
	}
	b.WriteString(`]}`)
	return nil
}

func deriveAvroNullable(b *strings.Builder, name string, t cty.Type, path string) error {
	b.WriteString(`["null",`)
	if err := deriveAvroType(b, name, t, path); err != nil {
		return err
	}
	b.WriteByte(']')
	return nil
}

func deriveAvroType(b *strings.Builder, name string, t cty.Type, path string) error {
	switch {
	case t == cty.Bool:
		b.WriteString(`"boolean"`)
	case t == cty.Number:
		b.WriteString(`"double"`)
	case t == cty.String:
		b.WriteString(`"string"`)
	case t.IsObjectType():
		return deriveAvroRecord(b, name, t, path)
	case t.IsListType(), t.IsSetType():
		b.WriteString(`{"type":"array","items":`)
		if err := deriveAvroNullable(b, name+"_item", t.ElementType(), path+"[]"); err != nil {
			return err
		}
		b.WriteByte('}')
	case t.IsMapType():
		b.WriteString(`{"type":"map","values":`)
		if err := deriveAvroNullable(b, name+"_value", t.ElementType(), path+"[]"); err != nil {
			return err
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("avro: field %s: type %s has no Avro schema (give it a fixed type, as with tostring() or a list)", orRecord(path), t.FriendlyName())
	}
	return nil
}
