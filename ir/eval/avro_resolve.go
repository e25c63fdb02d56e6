package eval

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	avro "github.com/pipeline-compiler/pipeline/ir/eval/internal/avroschema"
	"github.com/zclconf/go-cty/cty"
)

// This file resolves a writer's Avro schema against the reader's, following
// the specification's schema resolution rules, into an avroProg: a tree the
// decoder walks. The writer's schema says what is on the wire, the reader's
// how each value is held (its avroRep) and where it goes (Layout slots).
//
// Supported: fields matched by name or by a reader field's alias; writer
// fields the reader lacks are skipped; reader fields the writer lacks take
// their default (an error when there is none); int -> long -> float ->
// double promotions; string <-> bytes; enum symbols by name, an unknown
// symbol taking the reader enum's default; unions on either side (a writer
// branch the reader cannot read fails only the records that use it).
// Records, enums and fixed must have the same unqualified name (or a reader
// alias) and fixed the same size.

// avroProg reads one value written with the writer's schema.
type avroProg struct {
	wire  avro.Type // what the writer wrote: decides the bytes read or skipped
	size  int       // fixed: byte count
	rep   avroRep   // how the reader holds the value
	scale int       // decimal: the reader's scale
	// err, when not empty, says why values here cannot be read (a writer's
	// union branch the reader has no match for); skipping them is fine.
	err      string
	elem     *avroProg   // array items, map values
	fields   []avroField // record: the writer's fields, in order
	defaults []avroDefault
	layout   *Layout     // record: the reader's layout
	branches []*avroProg // union: one per writer branch
	symbols  []string    // enum: the reader's symbol of each writer index
	symOK    []bool
	minSize  int // the fewest bytes a value takes, for bounding counts
}

// avroField is a writer's field: read into slot, or skipped when slot < 0.
type avroField struct {
	name string
	slot int
	prog *avroProg
}

// avroDefault fills a reader field the writer does not have.
type avroDefault struct {
	slot int
	val  Value
}

type resolveKey struct{ w, r avro.Schema }

type resolver struct {
	memo map[resolveKey]*avroProg
}

// resolveAvro resolves writer against reader, whose top-level record is
// laid out by l.
func resolveAvro(writer, reader avro.Schema, l *Layout) (*avroProg, error) {
	rs := &resolver{memo: map[resolveKey]*avroProg{}}
	return rs.resolve(derefAvro(writer), derefAvro(reader), l, "")
}

// resolve builds the program reading w as r (nil r: skip only). l is the
// layout for a record reader, nil to derive it from r.
func (rs *resolver) resolve(w, r avro.Schema, l *Layout, path string) (*avroProg, error) {
	w = derefAvro(w)
	if r != nil {
		r = derefAvro(r)
	}
	if len(path) > 4096 {
		return nil, fmt.Errorf("field %s: schema nested too deeply", path)
	}
	if w.Type() == avro.Union {
		u := w.(*avro.UnionSchema)
		p := &avroProg{wire: avro.Union, minSize: 1}
		for _, b := range u.Types() {
			bp, err := rs.resolve(b, r, l, path)
			if err != nil {
				// Only records that pick this branch fail.
				skipOnly, _ := rs.resolve(b, nil, nil, path)
				cp := *skipOnly // skipping the branch still needs its shape
				// The decode error names the field itself.
				cp.err = strings.TrimPrefix(err.Error(), "field "+orRecord(path)+": ")
				bp = &cp
			}
			p.branches = append(p.branches, bp)
		}
		return p, nil
	}
	if r != nil && r.Type() == avro.Union {
		rb, err := pickReaderBranch(w, r.(*avro.UnionSchema))
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", orRecord(path), err)
		}
		return rs.resolve(w, rb, l, path)
	}
	if r != nil {
		if err := avroMatch(w, r); err != nil {
			return nil, fmt.Errorf("field %s: %w", orRecord(path), err)
		}
	}
	p := &avroProg{wire: w.Type()}
	if r != nil {
		p.rep, p.scale = avroRepOf(r)
		if p.rep == repFloat32 && w.Type() != avro.Int && w.Type() != avro.Long {
			p.rep = repPlain // a float read as float is already a float32
		}
	}
	switch w.Type() {
	case avro.Boolean, avro.Int, avro.Long, avro.Bytes, avro.String, avro.Enum:
		p.minSize = 1
	case avro.Float:
		p.minSize = 4
	case avro.Double:
		p.minSize = 8
	case avro.Fixed:
		p.size = w.(*avro.FixedSchema).Size()
		p.minSize = p.size
	case avro.Array, avro.Map:
		p.minSize = 1
		var we, re avro.Schema
		if w.Type() == avro.Array {
			we = w.(*avro.ArraySchema).Items()
			if r != nil {
				re = r.(*avro.ArraySchema).Items()
			}
		} else {
			we = w.(*avro.MapSchema).Values()
			if r != nil {
				re = r.(*avro.MapSchema).Values()
			}
		}
		elem, err := rs.resolve(we, re, nil, path+"[]")
		if err != nil {
			return nil, err
		}
		p.elem = elem
	case avro.Record:
		key := resolveKey{w, r}
		if m, ok := rs.memo[key]; ok && l == nil {
			return m, nil
		}
		if l == nil && r != nil {
			t, err := avroCtyType(r, path)
			if err != nil {
				return nil, err
			}
			l = NewLayout(t)
		}
		if l == nil {
			rs.memo[key] = p
		}
		p.layout = l
		if err := rs.resolveFields(p, w.(*avro.RecordSchema), r, l, path); err != nil {
			return nil, err
		}
	}
	if w.Type() == avro.Enum {
		p.minSize = 1
		ws := w.(*avro.EnumSchema).Symbols()
		p.symbols = make([]string, len(ws))
		p.symOK = make([]bool, len(ws))
		if r != nil {
			re := r.(*avro.EnumSchema)
			for i, s := range ws {
				switch {
				case containsString(re.Symbols(), s):
					p.symbols[i], p.symOK[i] = s, true
				case re.HasDefault():
					p.symbols[i], p.symOK[i] = re.Default(), true
				}
			}
		}
	}
	return p, nil
}

func (rs *resolver) resolveFields(p *avroProg, w *avro.RecordSchema, r avro.Schema, l *Layout, path string) error {
	var rfields []*avro.Field
	if r != nil {
		rfields = r.(*avro.RecordSchema).Fields()
	}
	used := make([]bool, len(rfields))
	for _, wf := range w.Fields() {
		ri := readerField(rfields, wf.Name())
		f := avroField{name: wf.Name(), slot: -1}
		var rt avro.Schema
		var nested *Layout
		if ri >= 0 {
			used[ri] = true
			rt = rfields[ri].Type()
			if s, ok := l.Index(rfields[ri].Name()); ok {
				f.slot = s
				nested = l.Nested[s]
				f.name = rfields[ri].Name()
			} else {
				rt = nil // the layout does not hold it: skip
			}
		}
		prog, err := rs.resolve(wf.Type(), rt, nested, joinPath(path, f.name))
		if err != nil {
			return err
		}
		f.prog = prog
		p.minSize += prog.minSize
		p.fields = append(p.fields, f)
	}
	for i, rf := range rfields {
		if used[i] {
			continue
		}
		slot, ok := l.Index(rf.Name())
		if !ok {
			continue
		}
		if !rf.HasDefault() {
			return fmt.Errorf("field %s: the reader's field has no default and the writer's schema does not have it", joinPath(path, rf.Name()))
		}
		v, err := avroDefaultValue(rf.Type(), rf.Default(), l.Nested[slot])
		if err != nil {
			return fmt.Errorf("field %s: default: %w", joinPath(path, rf.Name()), err)
		}
		p.defaults = append(p.defaults, avroDefault{slot: slot, val: v})
	}
	return nil
}

// readerField finds the reader's field for a writer's field name: by name,
// else by one of its aliases.
func readerField(fields []*avro.Field, name string) int {
	for i, f := range fields {
		if f.Name() == name {
			return i
		}
	}
	for i, f := range fields {
		if containsString(f.Aliases(), name) {
			return i
		}
	}
	return -1
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// pickReaderBranch returns the first branch of the reader's union that
// matches w exactly, else the first that w is promotable to.
func pickReaderBranch(w avro.Schema, u *avro.UnionSchema) (avro.Schema, error) {
	for _, b := range u.Types() {
		if b := derefAvro(b); b.Type() == w.Type() && avroMatch(w, b) == nil {
			return b, nil
		}
	}
	for _, b := range u.Types() {
		if avroMatch(w, derefAvro(b)) == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("the writer's %s is not in the reader's union %s", avroTypeName(w), u)
}

// avroPromotions lists the types each writer's primitive type may be read as.
var avroPromotions = map[avro.Type][]avro.Type{
	avro.Int:    {avro.Long, avro.Float, avro.Double},
	avro.Long:   {avro.Float, avro.Double},
	avro.Float:  {avro.Double},
	avro.String: {avro.Bytes},
	avro.Bytes:  {avro.String},
}

// avroMatch reports why w (not a union) cannot be read as r (not a union).
func avroMatch(w, r avro.Schema) error {
	w, r = derefAvro(w), derefAvro(r)
	if w.Type() != r.Type() {
		for _, t := range avroPromotions[w.Type()] {
			if t == r.Type() {
				return nil
			}
		}
		return fmt.Errorf("the writer's %s cannot be read as %s", avroTypeName(w), avroTypeName(r))
	}
	switch w.Type() {
	case avro.Record, avro.Enum, avro.Fixed:
		wn, rn := w.(avro.NamedSchema), r.(avro.NamedSchema)
		if wn.Name() != rn.Name() && !containsString(rn.Aliases(), wn.FullName()) && !containsString(rn.Aliases(), wn.Name()) {
			return fmt.Errorf("the writer's %s %s has another name than the reader's %s", w.Type(), wn.FullName(), rn.FullName())
		}
		if w.Type() == avro.Fixed && w.(*avro.FixedSchema).Size() != r.(*avro.FixedSchema).Size() {
			return fmt.Errorf("fixed %s changed size from %d to %d", wn.FullName(), w.(*avro.FixedSchema).Size(), r.(*avro.FixedSchema).Size())
		}
	}
	return nil
}

// avroTypeName names a schema in messages: its full name for named types,
// else its type with any logical type ("long (timestamp-millis)").
func avroTypeName(s avro.Schema) string {
	s = derefAvro(s)
	if n, ok := s.(avro.NamedSchema); ok {
		return fmt.Sprintf("%s %s", s.Type(), n.FullName())
	}
	if lt := avroLogical(s); lt != "" {
		return fmt.Sprintf("%s (%s)", s.Type(), lt)
	}
	return string(s.Type())
}

// avroDefaultValue converts a field's default (as hamba/avro parsed it) to
// the Value the reader holds. nested lays out a record default.
func avroDefaultValue(s avro.Schema, def any, nested *Layout) (Value, error) {
	s = derefAvro(s)
	if def == nil {
		return Null, nil
	}
	switch s.Type() {
	case avro.Union:
		// A union's default is of its first branch.
		return avroDefaultValue(s.(*avro.UnionSchema).Types()[0], def, nested)
	case avro.Record:
		m, ok := def.(map[string]any)
		if !ok {
			return Null, fmt.Errorf("%v is not a record", def)
		}
		if nested == nil {
			t, err := avroCtyType(s, "")
			if err != nil {
				return Null, err
			}
			nested = NewLayout(t)
		}
		rec := NewRecord(nested)
		for _, f := range s.(*avro.RecordSchema).Fields() {
			slot, ok := nested.Index(f.Name())
			if !ok {
				continue
			}
			fd, ok := m[f.Name()]
			if !ok {
				fd = f.Default()
			}
			v, err := avroDefaultValue(f.Type(), fd, nested.Nested[slot])
			if err != nil {
				return Null, err
			}
			rec.Values[slot] = v
		}
		return Object(rec), nil
	case avro.Array:
		items, ok := def.([]any)
		if !ok {
			return Null, fmt.Errorf("%v is not an array", def)
		}
		out := make([]Value, len(items))
		for i, it := range items {
			v, err := avroDefaultValue(s.(*avro.ArraySchema).Items(), it, nil)
			if err != nil {
				return Null, err
			}
			out[i] = v
		}
		return List(out), nil
	case avro.Map:
		m, ok := def.(map[string]any)
		if !ok {
			return Null, fmt.Errorf("%v is not a map", def)
		}
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		vals := make([]Value, len(names))
		for i, k := range names {
			v, err := avroDefaultValue(s.(*avro.MapSchema).Values(), m[k], nil)
			if err != nil {
				return Null, err
			}
			vals[i] = v
		}
		return avroMapValue(s.(*avro.MapSchema).Values(), names, vals), nil
	}
	// Scalars: encode the default and read it back, so a default means
	// exactly what the same value on the wire would.
	raw, err := avroScalarBytes(s, def)
	if err != nil {
		return Null, err
	}
	p, err := resolveAvro(s, s, nil)
	if err != nil {
		return Null, err
	}
	var d avroDecoder
	d.data = raw
	return d.read(p)
}

// avroScalarBytes encodes a scalar default as hamba/avro parsed it.
func avroScalarBytes(s avro.Schema, def any) ([]byte, error) {
	switch v := def.(type) {
	case bool:
		if v {
			return []byte{1}, nil
		}
		return []byte{0}, nil
	case int:
		return appendVarint(nil, int64(v)), nil
	case int32:
		return appendVarint(nil, int64(v)), nil
	case int64:
		return appendVarint(nil, v), nil
	case float32:
		return appendFloat32(nil, v), nil
	case float64:
		switch s.Type() {
		case avro.Int, avro.Long:
			return appendVarint(nil, int64(v)), nil
		case avro.Float:
			return appendFloat32(nil, float32(v)), nil
		}
		return appendFloat64(nil, v), nil
	case string:
		if s.Type() == avro.Enum {
			for i, sym := range s.(*avro.EnumSchema).Symbols() {
				if sym == v {
					return appendVarint(nil, int64(i)), nil
				}
			}
			return nil, fmt.Errorf("%q is not a symbol", v)
		}
		return appendAvroBytes(nil, []byte(v)), nil
	case []byte:
		if s.Type() == avro.Fixed {
			return v, nil
		}
		return appendAvroBytes(nil, v), nil
	}
	// A fixed default is a byte array of the fixed's size.
	if rv := reflect.ValueOf(def); rv.Kind() == reflect.Array && rv.Type().Elem().Kind() == reflect.Uint8 {
		b := make([]byte, rv.Len())
		reflect.Copy(reflect.ValueOf(b), rv)
		return b, nil
	}
	return nil, fmt.Errorf("unsupported default %v (%T)", def, def)
}

// avroMapValue builds a map Value from sorted keys, as the JSON codec does:
// an object laid out by the keys.
func avroMapValue(elem avro.Schema, names []string, vals []Value) Value {
	ety, err := avroCtyType(elem, "")
	if err != nil {
		ety = cty.DynamicPseudoType
	}
	return Object(&Record{Layout: mapLayout(ety, nil, names), Values: vals})
}

// mapLayout lays out a map value with the given sorted keys.
func mapLayout(ety cty.Type, enested *Layout, names []string) *Layout {
	types := make([]cty.Type, len(names))
	nested := make([]*Layout, len(names))
	attrs := make(map[string]cty.Type, len(names))
	for i, n := range names {
		types[i], nested[i] = ety, enested
		attrs[n] = ety
	}
	return newLayoutOf(cty.Object(attrs), names, types, nested)
}

func appendVarint(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

func appendFloat32(dst []byte, f float32) []byte {
	b := math.Float32bits(f)
	return append(dst, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
}

func appendFloat64(dst []byte, f float64) []byte {
	b := math.Float64bits(f)
	return append(dst, byte(b), byte(b>>8), byte(b>>16), byte(b>>24), byte(b>>32), byte(b>>40), byte(b>>48), byte(b>>56))
}

func appendAvroBytes(dst, b []byte) []byte {
	dst = appendVarint(dst, int64(len(b)))
	return append(dst, b...)
}
