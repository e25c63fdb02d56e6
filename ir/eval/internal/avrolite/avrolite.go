package avrolite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Type is a schema's type, spelled as in Avro (and hamba/avro).
type Type string

// Schema types.
const (
	Record  Type = "record"
	Error   Type = "error"
	Ref     Type = "<ref>"
	Enum    Type = "enum"
	Array   Type = "array"
	Map     Type = "map"
	Union   Type = "union"
	Fixed   Type = "fixed"
	String  Type = "string"
	Bytes   Type = "bytes"
	Int     Type = "int"
	Long    Type = "long"
	Float   Type = "float"
	Double  Type = "double"
	Boolean Type = "boolean"
	Null    Type = "null"
)

// LogicalType is a logical type's name.
type LogicalType string

// Logical types.
const (
	Decimal              LogicalType = "decimal"
	UUID                 LogicalType = "uuid"
	Date                 LogicalType = "date"
	TimeMillis           LogicalType = "time-millis"
	TimeMicros           LogicalType = "time-micros"
	TimestampMillis      LogicalType = "timestamp-millis"
	TimestampMicros      LogicalType = "timestamp-micros"
	LocalTimestampMillis LogicalType = "local-timestamp-millis"
	LocalTimestampMicros LogicalType = "local-timestamp-micros"
	Duration             LogicalType = "duration"
)

// Schema is a node of a schema tree.
type Schema interface {
	Type() Type
	String() string
}

// NamedSchema is a record, enum or fixed.
type NamedSchema interface {
	Schema
	Name() string
	Namespace() string
	FullName() string
	Aliases() []string
}

// LogicalSchema is a logical type annotation.
type LogicalSchema interface {
	Type() LogicalType
	String() string
}

// LogicalTypeSchema is a schema that may carry a logical type.
type LogicalTypeSchema interface {
	Logical() LogicalSchema
}

// PrimitiveLogicalSchema is a logical type without parameters.
type PrimitiveLogicalSchema struct{ typ LogicalType }

func (s *PrimitiveLogicalSchema) Type() LogicalType { return s.typ }
func (s *PrimitiveLogicalSchema) String() string    { return `{"logicalType":"` + string(s.typ) + `"}` }

// DecimalLogicalSchema is the decimal logical type.
type DecimalLogicalSchema struct{ prec, scale int }

func (s *DecimalLogicalSchema) Type() LogicalType { return Decimal }
func (s *DecimalLogicalSchema) Precision() int    { return s.prec }
func (s *DecimalLogicalSchema) Scale() int        { return s.scale }
func (s *DecimalLogicalSchema) String() string {
	return fmt.Sprintf(`{"logicalType":"decimal","precision":%d,"scale":%d}`, s.prec, s.scale)
}

// PrimitiveSchema is null, boolean, int, long, float, double, bytes or
// string, with an optional logical type.
type PrimitiveSchema struct {
	typ     Type
	logical LogicalSchema
}

func (s *PrimitiveSchema) Type() Type             { return s.typ }
func (s *PrimitiveSchema) Logical() LogicalSchema { return s.logical }
func (s *PrimitiveSchema) String() string {
	if s.logical == nil {
		return `"` + string(s.typ) + `"`
	}
	l := s.logical.String()
	return `{"type":"` + string(s.typ) + `",` + l[1:]
}

type name struct {
	name, space, full string
	aliases           []string
}

func (n *name) Name() string      { return n.name }
func (n *name) Namespace() string { return n.space }
func (n *name) FullName() string  { return n.full }
func (n *name) Aliases() []string { return n.aliases }

// Field is a record field.
type Field struct {
	name       string
	aliases    []string
	typ        Schema
	hasDefault bool
	def        any
}

func (f *Field) Name() string      { return f.name }
func (f *Field) Aliases() []string { return f.aliases }
func (f *Field) Type() Schema      { return f.typ }
func (f *Field) HasDefault() bool  { return f.hasDefault }

// Default is the field's default, converted for its type: nil for null, bool, int (int), int64 (long), float32, float64,
// string, []byte (bytes, fixed), []any, map[string]any.
func (f *Field) Default() any { return f.def }

// RecordSchema is a record (or error).
type RecordSchema struct {
	name
	isError bool
	fields  []*Field
}

// Type is Record for an error too, as in hamba/avro (IsError tells).
func (s *RecordSchema) Type() Type { return Record }

// IsError reports a record declared as an Avro error.
func (s *RecordSchema) IsError() bool    { return s.isError }
func (s *RecordSchema) Fields() []*Field { return s.fields }
func (s *RecordSchema) String() string   { return `"` + s.full + `"` }

// EnumSchema is an enum.
type EnumSchema struct {
	name
	symbols []string
	def     string
}

func (s *EnumSchema) Type() Type        { return Enum }
func (s *EnumSchema) Symbols() []string { return s.symbols }
func (s *EnumSchema) HasDefault() bool  { return s.def != "" }
func (s *EnumSchema) Default() string   { return s.def }
func (s *EnumSchema) String() string    { return `"` + s.full + `"` }

// FixedSchema is a fixed, with an optional logical type.
type FixedSchema struct {
	name
	size    int
	logical LogicalSchema
}

func (s *FixedSchema) Type() Type             { return Fixed }
func (s *FixedSchema) Size() int              { return s.size }
func (s *FixedSchema) Logical() LogicalSchema { return s.logical }
func (s *FixedSchema) String() string         { return `"` + s.full + `"` }

// ArraySchema is an array.
type ArraySchema struct{ items Schema }

func (s *ArraySchema) Type() Type     { return Array }
func (s *ArraySchema) Items() Schema  { return s.items }
func (s *ArraySchema) String() string { return `{"type":"array","items":` + s.items.String() + `}` }

// MapSchema is a map.
type MapSchema struct{ values Schema }

func (s *MapSchema) Type() Type     { return Map }
func (s *MapSchema) Values() Schema { return s.values }
func (s *MapSchema) String() string { return `{"type":"map","values":` + s.values.String() + `}` }

// UnionSchema is a union.
type UnionSchema struct{ types []Schema }

func (s *UnionSchema) Type() Type      { return Union }
func (s *UnionSchema) Types() []Schema { return s.types }
func (s *UnionSchema) String() string {
	parts := make([]string, len(s.types))
	for i, t := range s.types {
		parts[i] = t.String()
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// RefSchema is a use of a named type by name.
type RefSchema struct{ actual NamedSchema }

func (s *RefSchema) Type() Type     { return Ref }
func (s *RefSchema) Schema() Schema { return s.actual }
func (s *RefSchema) String() string { return `"` + s.actual.FullName() + `"` }

// SchemaCache holds the named types parsed so far, by full name.
type SchemaCache struct{ named map[string]NamedSchema }

// ParseWithCache parses an Avro schema document in namespace, defining
// its named types in cache and resolving names against it.
func ParseWithCache(schema, namespace string, cache *SchemaCache) (Schema, error) {
	if cache.named == nil {
		cache.named = map[string]NamedSchema{}
	}
	dec := json.NewDecoder(strings.NewReader(schema))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		// A bare name such as `string` or `com.x.Order` is a schema too.
		doc = strings.TrimSpace(schema)
	}
	p := parser{cache: cache, defined: map[string]NamedSchema{}}
	s, err := p.parse(doc, namespace)
	if err != nil {
		return nil, err
	}
	for k, v := range p.defined {
		cache.named[k] = v
	}
	return s, nil
}

type parser struct {
	cache   *SchemaCache
	defined map[string]NamedSchema // this document's named types
}

func (p *parser) lookup(n string) NamedSchema {
	if s, ok := p.defined[n]; ok {
		return s
	}
	return p.cache.named[n]
}

func (p *parser) parse(doc any, space string) (Schema, error) {
	switch d := doc.(type) {
	case string:
		return p.parseName(d, space)
	case []any:
		u := &UnionSchema{}
		for _, b := range d {
			s, err := p.parse(b, space)
			if err != nil {
				return nil, err
			}
			u.types = append(u.types, s)
		}
		return u, nil
	case map[string]any:
		return p.parseObject(d, space)
	}
	return nil, fmt.Errorf("avro: unexpected schema %v", doc)
}

func (p *parser) parseName(n, space string) (Schema, error) {
	switch t := Type(n); t {
	case Null, Boolean, Int, Long, Float, Double, Bytes, String:
		return &PrimitiveSchema{typ: t}, nil
	}
	full := n
	if !strings.Contains(n, ".") && space != "" {
		full = space + "." + n
	}
	if s := p.lookup(full); s != nil {
		return &RefSchema{actual: s}, nil
	}
	if s := p.lookup(n); s != nil {
		return &RefSchema{actual: s}, nil
	}
	return nil, fmt.Errorf("avro: unknown type: %s", n)
}

func (p *parser) newName(d map[string]any, space string) (name, error) {
	n, _ := d["name"].(string)
	if n == "" {
		return name{}, fmt.Errorf("avro: a %v needs a name", d["type"])
	}
	if ns, ok := d["namespace"].(string); ok {
		space = ns
	}
	nm := name{name: n, space: space, full: n}
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		nm.name, nm.space = n[i+1:], n[:i]
	} else if space != "" {
		nm.full = space + "." + n
	}
	if as, ok := d["aliases"].([]any); ok {
		for _, a := range as {
			s, _ := a.(string)
			if !strings.Contains(s, ".") && nm.space != "" {
				s = nm.space + "." + s
			}
			nm.aliases = append(nm.aliases, s)
		}
	}
	if _, dup := p.defined[nm.full]; dup {
		return name{}, fmt.Errorf("avro: redefined named type: %s", nm.full)
	}
	return nm, nil
}

func (p *parser) parseObject(d map[string]any, space string) (Schema, error) {
	typ, ok := d["type"]
	if !ok {
		return nil, fmt.Errorf("avro: schema object has no type")
	}
	ts, isName := typ.(string)
	if !isName {
		// {"type": {...}} or {"type": [...]} wraps another schema.
		return p.parse(typ, space)
	}
	logical := logicalOf(d)
	switch t := Type(ts); t {
	case Record, Error:
		nm, err := p.newName(d, space)
		if err != nil {
			return nil, err
		}
		rs := &RecordSchema{name: nm, isError: t == Error}
		p.defined[nm.full] = rs // before the fields: they may refer to it
		fields, _ := d["fields"].([]any)
		for _, fd := range fields {
			fm, ok := fd.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("avro: record %s: a field is not an object", nm.full)
			}
			f := &Field{}
			f.name, _ = fm["name"].(string)
			if as, ok := fm["aliases"].([]any); ok {
				for _, a := range as {
					s, _ := a.(string)
					f.aliases = append(f.aliases, s)
				}
			}
			s, err := p.parse(fm["type"], nm.space)
			if err != nil {
				return nil, fmt.Errorf("avro: record %s field %s: %w", nm.full, f.name, err)
			}
			f.typ = s
			if def, ok := fm["default"]; ok {
				f.hasDefault = true
				f.def, err = convertDefault(s, def)
				if err != nil {
					return nil, fmt.Errorf("avro: record %s field %s: default: %w", nm.full, f.name, err)
				}
			}
			rs.fields = append(rs.fields, f)
		}
		return rs, nil
	case Enum:
		nm, err := p.newName(d, space)
		if err != nil {
			return nil, err
		}
		es := &EnumSchema{name: nm}
		syms, _ := d["symbols"].([]any)
		for _, s := range syms {
			str, _ := s.(string)
			es.symbols = append(es.symbols, str)
		}
		es.def, _ = d["default"].(string)
		p.defined[nm.full] = es
		return es, nil
	case Fixed:
		nm, err := p.newName(d, space)
		if err != nil {
			return nil, err
		}
		size, err := intProp(d, "size")
		if err != nil {
			return nil, fmt.Errorf("avro: fixed %s: %w", nm.full, err)
		}
		fs := &FixedSchema{name: nm, size: size}
		if logical == Decimal || logical == Duration {
			fs.logical, err = logicalSchema(logical, d)
			if err != nil {
				return nil, err
			}
		}
		p.defined[nm.full] = fs
		return fs, nil
	case Array:
		items, err := p.parse(d["items"], space)
		if err != nil {
			return nil, err
		}
		return &ArraySchema{items: items}, nil
	case Map:
		values, err := p.parse(d["values"], space)
		if err != nil {
			return nil, err
		}
		return &MapSchema{values: values}, nil
	case Null, Boolean, Int, Long, Float, Double, Bytes, String:
		ps := &PrimitiveSchema{typ: t}
		if logical != "" && logicalFits(logical, t) {
			l, err := logicalSchema(logical, d)
			if err != nil {
				return nil, err
			}
			ps.logical = l
		}
		return ps, nil
	default:
		return p.parseName(ts, space)
	}
}

func logicalOf(d map[string]any) LogicalType {
	s, _ := d["logicalType"].(string)
	return LogicalType(s)
}

// logicalFits reports whether a logical type annotates primitive t; Avro
// ignores an annotation that does not fit.
func logicalFits(l LogicalType, t Type) bool {
	switch l {
	case Decimal:
		return t == Bytes
	case UUID:
		return t == String
	case Date, TimeMillis:
		return t == Int
	case TimeMicros, TimestampMillis, TimestampMicros, LocalTimestampMillis, LocalTimestampMicros:
		return t == Long
	}
	return false
}

func logicalSchema(l LogicalType, d map[string]any) (LogicalSchema, error) {
	if l != Decimal {
		return &PrimitiveLogicalSchema{typ: l}, nil
	}
	prec, err := intProp(d, "precision")
	if err != nil {
		return nil, fmt.Errorf("avro: decimal: %w", err)
	}
	scale := 0
	if _, ok := d["scale"]; ok {
		if scale, err = intProp(d, "scale"); err != nil {
			return nil, fmt.Errorf("avro: decimal: %w", err)
		}
	}
	return &DecimalLogicalSchema{prec: prec, scale: scale}, nil
}

func intProp(d map[string]any, key string) (int, error) {
	n, ok := d[key].(json.Number)
	if !ok {
		return 0, fmt.Errorf("%s is not a number", key)
	}
	i, err := strconv.Atoi(n.String())
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return i, nil
}

func deref(s Schema) Schema {
	for {
		r, ok := s.(*RefSchema)
		if !ok {
			return s
		}
		s = r.actual
	}
}

// convertDefault converts a default as JSON parsed it (numbers as
// json.Number) to the Go value ir/eval's default conversion takes for
// schema s (the kinds hamba/avro produces).
func convertDefault(s Schema, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	s = deref(s)
	switch s.Type() {
	case Union:
		// A union's default is of its first branch.
		return convertDefault(s.(*UnionSchema).types[0], v)
	case Record, Error, Map:
		m, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			var es Schema
			if s.Type() == Map {
				es = s.(*MapSchema).values
			} else {
				for _, f := range s.(*RecordSchema).fields {
					if f.name == k {
						es = f.typ
					}
				}
			}
			var err error
			if es != nil {
				e, err = convertDefault(es, e)
			}
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	case Array:
		items, ok := v.([]any)
		if !ok {
			return v, nil
		}
		out := make([]any, len(items))
		for i, e := range items {
			c, err := convertDefault(s.(*ArraySchema).items, e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case Bytes, Fixed:
		if str, ok := v.(string); ok {
			// JSON encodes bytes as a string of code points 0-255.
			var b bytes.Buffer
			for _, r := range str {
				if r > 255 {
					return nil, fmt.Errorf("bytes default %q has a code point above 255", str)
				}
				b.WriteByte(byte(r))
			}
			return b.Bytes(), nil
		}
	}
	n, ok := v.(json.Number)
	if !ok {
		return v, nil
	}
	switch s.Type() {
	case Int:
		i, err := strconv.ParseInt(n.String(), 10, 32)
		return int(i), err
	case Long:
		return strconv.ParseInt(n.String(), 10, 64)
	case Float:
		f, err := strconv.ParseFloat(n.String(), 32)
		return float32(f), err
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil && !math.IsInf(f, 0) {
		return nil, err
	}
	return f, nil
}
