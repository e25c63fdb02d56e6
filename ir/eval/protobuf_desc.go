package eval

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pipeline-compiler/pipeline/internal/suggest"
	"github.com/pipeline-compiler/pipeline/ir"
	"google.golang.org/protobuf/encoding/protowire"
)

// This file reads a serialized google.protobuf.FileDescriptorSet (the
// compiled form of a .proto schema, SchemaDoc.Descriptor) into a small model
// of its messages, fields and enums, with a hand-rolled walker over
// protowire. The runtime decodes and encodes from this model; it does not
// link protoreflect/protodesc, which would add megabytes to the broker's
// WebAssembly module.

// Field types and labels, as google/protobuf/descriptor.proto numbers them.
const (
	pbDouble   = 1
	pbFloat    = 2
	pbInt64    = 3
	pbUint64   = 4
	pbInt32    = 5
	pbFixed64  = 6
	pbFixed32  = 7
	pbBool     = 8
	pbString   = 9
	pbGroup    = 10
	pbMessage  = 11
	pbBytes    = 12
	pbUint32   = 13
	pbEnum     = 14
	pbSfixed32 = 15
	pbSfixed64 = 16
	pbSint32   = 17
	pbSint64   = 18

	pbLabelOptional = 1
	pbLabelRequired = 2
	pbLabelRepeated = 3
)

// pbTypeNames are the .proto spellings of the field types.
var pbTypeNames = [...]string{
	pbDouble: "double", pbFloat: "float", pbInt64: "int64", pbUint64: "uint64",
	pbInt32: "int32", pbFixed64: "fixed64", pbFixed32: "fixed32", pbBool: "bool",
	pbString: "string", pbGroup: "group", pbMessage: "message", pbBytes: "bytes",
	pbUint32: "uint32", pbEnum: "enum", pbSfixed32: "sfixed32", pbSfixed64: "sfixed64",
	pbSint32: "sint32", pbSint64: "sint64",
}

// pbFile is one .proto file of a descriptor set.
type pbFile struct {
	name, pkg, syntax string
	messages          []*pbMsg
	enums             []*pbEnumType
}

// pbMsg is a message type.
type pbMsg struct {
	name     string // fully qualified, without a leading dot: "web.Click"
	file     *pbFile
	index    []int // Confluent message indexes: the path of indexes from the file's top level
	fields   []*pbField
	byNumber map[int32]*pbField
	byName   map[string]*pbField
	nested   []*pbMsg
	oneofs   []string
	mapEntry bool
}

// pbField is a field of a message.
type pbField struct {
	name       string
	number     int32
	label      int32
	typ        int32
	typeName   string // fully qualified message or enum, without the leading dot
	oneof      int32  // index into the message's oneofs, -1 for none
	proto3Opt  bool
	packed     int8 // [packed = ...]: 0 unset, 1 true, -1 false
	msg        *pbMsg
	enum       *pbEnumType
	parentFile *pbFile
}

// pbEnumType is an enum type.
type pbEnumType struct {
	name     string
	values   []pbEnumValue
	byNumber map[int32]string
	byName   map[string]int32
}

type pbEnumValue struct {
	name   string
	number int32
}

// pbSchema is a compiled schema: every file of its descriptor set, the
// types by name, and the main file (Text's, the set's last).
type pbSchema struct {
	files    []*pbFile
	main     *pbFile
	messages map[string]*pbMsg
	enums    map[string]*pbEnumType
}

// repeated reports a list or map field.
func (f *pbField) repeated() bool { return f.label == pbLabelRepeated }

// realOneof is the index of the oneof f belongs to, or -1: a proto3
// optional field's synthetic oneof ("_name") does not count.
func (f *pbField) realOneof() int32 {
	if f.proto3Opt {
		return -1
	}
	return f.oneof
}

// isMap reports a map<K, V> field: a repeated map-entry message.
func (f *pbField) isMap() bool { return f.repeated() && f.msg != nil && f.msg.mapEntry }

// hasPresence reports a field that distinguishes "not set" from its default:
// messages, oneof members, proto3 optional and every proto2 (and editions)
// singular field. Such a field decodes to null when it is absent.
func (f *pbField) hasPresence() bool {
	if f.repeated() {
		return false
	}
	return f.typ == pbMessage || f.typ == pbGroup || f.oneof >= 0 || f.proto3Opt || f.parentFile.syntax != "proto3"
}

// isPacked reports whether the encoder writes a repeated scalar packed:
// proto3's and editions' default, or an explicit [packed = true].
func (f *pbField) isPacked() bool {
	if !f.repeated() || f.typ == pbString || f.typ == pbBytes || f.typ == pbMessage || f.typ == pbGroup {
		return false
	}
	if f.packed != 0 {
		return f.packed > 0
	}
	return f.parentFile.syntax != "proto2"
}

// typeString is the field's type as .proto source writes it.
func (f *pbField) typeString() string {
	switch {
	case f.isMap():
		return fmt.Sprintf("map<%s, %s>", f.msg.byNumber[1].typeString(), f.msg.byNumber[2].typeString())
	case f.typ == pbMessage || f.typ == pbEnum || f.typ == pbGroup:
		return f.typeName
	case int(f.typ) < len(pbTypeNames) && pbTypeNames[f.typ] != "":
		return pbTypeNames[f.typ]
	}
	return fmt.Sprintf("type %d", f.typ)
}

// loadProtoSchema returns the compiled schema of doc: from doc.Descriptor
// when the planner filled it, else by compiling doc.Text (not available in
// the broker module).
func loadProtoSchema(doc *ir.SchemaDoc) (*pbSchema, error) {
	set := doc.Descriptor
	if len(set) == 0 {
		var err error
		if set, err = compileProtoText(doc); err != nil {
			return nil, err
		}
	}
	s, err := parseDescriptorSet(set)
	if err != nil {
		return nil, fmt.Errorf("protobuf: reading the compiled descriptor: %w", err)
	}
	return s, nil
}

// message returns the message doc names (its Message, or else the main
// file's first message, as Confluent's serializers default to).
func (s *pbSchema) message(name string) (*pbMsg, error) {
	if name == "" {
		if len(s.main.messages) == 0 {
			return nil, errors.New("protobuf: the schema defines no message")
		}
		return s.main.messages[0], nil
	}
	m, ok := s.messages[strings.TrimPrefix(name, ".")]
	if !ok {
		var names []string
		for n := range s.messages {
			names = append(names, n)
		}
		if sugg := suggest.Closest(name, names); sugg != "" {
			return nil, fmt.Errorf("protobuf: the schema has no message %q; did you mean %q?", name, sugg)
		}
		return nil, fmt.Errorf("protobuf: the schema has no message %q", name)
	}
	return m, nil
}

// byIndexes returns the main file's message at Confluent message indexes.
func (s *pbSchema) byIndexes(idx []int) (*pbMsg, bool) {
	ms := s.main.messages
	var m *pbMsg
	for _, i := range idx {
		if i < 0 || i >= len(ms) {
			return nil, false
		}
		m = ms[i]
		ms = m.nested
	}
	return m, m != nil
}

// parseDescriptorSet reads a serialized FileDescriptorSet and resolves every
// field's message or enum type.
func parseDescriptorSet(b []byte) (*pbSchema, error) {
	s := &pbSchema{messages: map[string]*pbMsg{}, enums: map[string]*pbEnumType{}}
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num == 1 && typ == protowire.BytesType { // FileDescriptorSet.file
			f, err := s.parseFile(v)
			if err != nil {
				return err
			}
			s.files = append(s.files, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(s.files) == 0 {
		return nil, errors.New("the descriptor set has no file")
	}
	s.main = s.files[len(s.files)-1]
	for _, m := range s.messages {
		for _, f := range m.fields {
			switch f.typ {
			case pbMessage, pbGroup:
				if f.msg = s.messages[f.typeName]; f.msg == nil {
					return nil, fmt.Errorf("field %s.%s: unknown message %s", m.name, f.name, f.typeName)
				}
			case pbEnum:
				if f.enum = s.enums[f.typeName]; f.enum == nil {
					return nil, fmt.Errorf("field %s.%s: unknown enum %s", m.name, f.name, f.typeName)
				}
			}
		}
	}
	return s, nil
}

// walkFields calls fn for every field of a serialized message: v is the
// payload of a length-delimited field, u the value of a varint or fixed one.
func walkFields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var u uint64
		switch typ {
		case protowire.VarintType:
			u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var u32 uint32
			u32, n = protowire.ConsumeFixed32(b)
			u = uint64(u32)
		case protowire.Fixed64Type:
			u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, u); err != nil {
			return err
		}
	}
	return nil
}

func (s *pbSchema) parseFile(b []byte) (*pbFile, error) {
	f := &pbFile{syntax: "proto2"}
	var msgs, enums [][]byte
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			f.name = string(v)
		case 2:
			f.pkg = string(v)
		case 4:
			msgs = append(msgs, v)
		case 5:
			enums = append(enums, v)
		case 12:
			f.syntax = string(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, mb := range msgs {
		m, err := s.parseMessage(f, f.pkg, []int{i}, mb)
		if err != nil {
			return nil, err
		}
		f.messages = append(f.messages, m)
	}
	for _, eb := range enums {
		e, err := s.parseEnum(f.pkg, eb)
		if err != nil {
			return nil, err
		}
		f.enums = append(f.enums, e)
	}
	return f, nil
}

func qualify(scope, name string) string {
	if scope == "" {
		return name
	}
	return scope + "." + name
}

func (s *pbSchema) parseMessage(f *pbFile, scope string, index []int, b []byte) (*pbMsg, error) {
	m := &pbMsg{file: f, index: index, byNumber: map[int32]*pbField{}, byName: map[string]*pbField{}}
	var fields, nested, enums [][]byte
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			m.name = qualify(scope, string(v))
		case 2:
			fields = append(fields, v)
		case 3:
			nested = append(nested, v)
		case 4:
			enums = append(enums, v)
		case 7: // MessageOptions
			return walkFields(v, func(num protowire.Number, typ protowire.Type, _ []byte, u uint64) error {
				if num == 7 && typ == protowire.VarintType { // map_entry
					m.mapEntry = u != 0
				}
				return nil
			})
		case 8: // OneofDescriptorProto
			var name string
			if err := walkFields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if num == 1 && typ == protowire.BytesType {
					name = string(v)
				}
				return nil
			}); err != nil {
				return err
			}
			m.oneofs = append(m.oneofs, name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.messages[m.name] = m
	for _, fb := range fields {
		fd, err := parseField(f, fb)
		if err != nil {
			return nil, err
		}
		m.fields = append(m.fields, fd)
		m.byNumber[fd.number] = fd
		m.byName[fd.name] = fd
	}
	for i, nb := range nested {
		n, err := s.parseMessage(f, m.name, append(index[:len(index):len(index)], i), nb)
		if err != nil {
			return nil, err
		}
		m.nested = append(m.nested, n)
	}
	for _, eb := range enums {
		if _, err := s.parseEnum(m.name, eb); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func parseField(file *pbFile, b []byte) (*pbField, error) {
	f := &pbField{oneof: -1, parentFile: file}
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			f.name = string(v)
		case num == 3 && typ == protowire.VarintType:
			f.number = int32(u)
		case num == 4 && typ == protowire.VarintType:
			f.label = int32(u)
		case num == 5 && typ == protowire.VarintType:
			f.typ = int32(u)
		case num == 6 && typ == protowire.BytesType:
			f.typeName = strings.TrimPrefix(string(v), ".")
		case num == 9 && typ == protowire.VarintType:
			f.oneof = int32(u)
		case num == 17 && typ == protowire.VarintType:
			f.proto3Opt = u != 0
		case num == 8 && typ == protowire.BytesType: // FieldOptions
			return walkFields(v, func(num protowire.Number, typ protowire.Type, _ []byte, u uint64) error {
				if num == 2 && typ == protowire.VarintType {
					f.packed = -1
					if u != 0 {
						f.packed = 1
					}
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if f.typ == 0 || f.number <= 0 {
		return nil, fmt.Errorf("field %q has no type or number", f.name)
	}
	return f, nil
}

func (s *pbSchema) parseEnum(scope string, b []byte) (*pbEnumType, error) {
	e := &pbEnumType{byNumber: map[int32]string{}, byName: map[string]int32{}}
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			e.name = qualify(scope, string(v))
		case 2:
			var ev pbEnumValue
			if err := walkFields(v, func(num protowire.Number, typ protowire.Type, v []byte, u uint64) error {
				switch {
				case num == 1 && typ == protowire.BytesType:
					ev.name = string(v)
				case num == 2 && typ == protowire.VarintType:
					ev.number = int32(u)
				}
				return nil
			}); err != nil {
				return err
			}
			e.values = append(e.values, ev)
			if _, dup := e.byNumber[ev.number]; !dup { // the first name of an aliased number is its name
				e.byNumber[ev.number] = ev.name
			}
			e.byName[ev.name] = ev.number
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.enums[e.name] = e
	return e, nil
}
