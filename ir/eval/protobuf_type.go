package eval

import (
	"fmt"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// Protobuf types map to record types as the README's "Protobuf" table says:
//
//	message                         object of its fields (absent: null)
//	repeated T                      list(T) (absent: [])
//	map<K, V>                       map(V), keys as strings ("1", "true")
//	enum                            string: the value's name (an unknown number: its decimal text)
//	bool                            bool
//	int32 … sfixed64, float, double number (64-bit integers exactly)
//	string                          string
//	bytes                           string: standard base64, as proto3's JSON mapping writes it
//	google.protobuf.Timestamp       string: RFC 3339 in UTC, as window_start is written
//	google.protobuf.*Value wrappers the wrapped scalar, null when absent
//
// A scalar without presence (proto3's default) decodes to its zero value
// when absent; one with presence (proto3 optional, a oneof member, proto2
// optional) decodes to null.

// pbWellKnown says how a well-known message type maps: a Timestamp, or a
// wrapper of a scalar (its "value" field, number 1).
func pbWellKnown(m *pbMsg) (timestamp, wrapper bool) {
	switch m.name {
	case "google.protobuf.Timestamp":
		return true, false
	case "google.protobuf.DoubleValue", "google.protobuf.FloatValue",
		"google.protobuf.Int64Value", "google.protobuf.UInt64Value",
		"google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue",
		"google.protobuf.BytesValue":
		return false, m.byNumber[1] != nil
	}
	return false, false
}

// protobufType returns the record type of the message s names.
func protobufType(s *ir.SchemaDoc) (cty.Type, error) {
	ps, err := loadProtoSchema(s)
	if err != nil {
		return cty.NilType, err
	}
	m, err := ps.message(s.Message)
	if err != nil {
		return cty.NilType, err
	}
	return pbMessageType(m, map[string]bool{})
}

// pbMessageType is the object type of m. visiting holds the messages being
// mapped, to reject recursive ones, which no finite record type holds.
func pbMessageType(m *pbMsg, visiting map[string]bool) (cty.Type, error) {
	if visiting[m.name] {
		return cty.NilType, fmt.Errorf("protobuf: message %s is recursive, which a record type cannot hold", m.name)
	}
	visiting[m.name] = true
	defer delete(visiting, m.name)
	attrs := make(map[string]cty.Type, len(m.fields))
	for _, f := range m.fields {
		t, err := pbFieldType(f, visiting)
		if err != nil {
			return cty.NilType, fmt.Errorf("field %s.%s: %w", m.name, f.name, err)
		}
		attrs[f.name] = t
	}
	return cty.Object(attrs), nil
}

// pbFieldType is the type of a field, with its cardinality.
func pbFieldType(f *pbField, visiting map[string]bool) (cty.Type, error) {
	if f.isMap() {
		v, err := pbElemType(f.msg.byNumber[2], visiting)
		if err != nil {
			return cty.NilType, err
		}
		return cty.Map(v), nil
	}
	t, err := pbElemType(f, visiting)
	if err != nil {
		return cty.NilType, err
	}
	if f.repeated() {
		return cty.List(t), nil
	}
	return t, nil
}

// pbElemType is the type of one value of f, ignoring its cardinality.
func pbElemType(f *pbField, visiting map[string]bool) (cty.Type, error) {
	switch f.typ {
	case pbBool:
		return cty.Bool, nil
	case pbString, pbBytes, pbEnum:
		return cty.String, nil
	case pbDouble, pbFloat, pbInt64, pbUint64, pbInt32, pbFixed64, pbFixed32,
		pbUint32, pbSfixed32, pbSfixed64, pbSint32, pbSint64:
		return cty.Number, nil
	case pbMessage:
		if ts, wrap := pbWellKnown(f.msg); ts {
			return cty.String, nil
		} else if wrap {
			return pbElemType(f.msg.byNumber[1], visiting)
		}
		return pbMessageType(f.msg, visiting)
	case pbGroup:
		return cty.NilType, fmt.Errorf("proto2 groups are not supported")
	}
	return cty.NilType, fmt.Errorf("unknown field type %d", f.typ)
}
