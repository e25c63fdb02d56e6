package eval

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"time"

	avro "github.com/pipeline-compiler/pipeline/ir/eval/internal/avroschema"
)

// avroCodec reads and writes Avro records in the Confluent wire format.
// Reading resolves the writer's schema (found by the frame's schema ID)
// against the codec's schema once per ID and layout, and then decodes
// straight into the record's slots. Writing frames records with the
// codec's schema and its ID.
type avroCodec struct {
	spec   CodecSpec
	schema avro.Schema // the reader's schema (a source), the writer's (a sink)
	enc    *avroEnc
	dec    avroDecoder
	// progs caches the resolution of each writer's schema ID against
	// schema, for records laid out by layout (an error is cached too: every
	// record of that ID is dead-lettered with the same reason).
	layout *Layout
	progs  map[int]avroResolved
	last   *avroProg // the program of lastID, the last ID read
	lastID int
}

type avroResolved struct {
	prog *avroProg
	err  error
}

func newAvroCodec(spec CodecSpec) (Codec, error) {
	sch, err := parseAvro(spec.Schema)
	if err != nil {
		return nil, err
	}
	sch = derefAvro(sch)
	if sch.Type() != avro.Record {
		return nil, fmt.Errorf("avro: the schema is a %s; records need a record schema", sch.Type())
	}
	if _, err := avroCtyType(sch, ""); err != nil {
		return nil, err
	}
	return &avroCodec{spec: spec, schema: sch, enc: compileAvroEnc(sch, map[avro.Schema]*avroEnc{})}, nil
}

func (*avroCodec) Format() string { return FormatAvro }

// Decode decodes one framed Avro record into r, laid out by l. With needed,
// fields of the other slots are skipped without being converted.
func (c *avroCodec) Decode(l *Layout, needed []bool, data []byte, r *Record) error {
	n := l.Len()
	if r.Layout != l || cap(r.Values) < n {
		r.Layout = l
		r.Values = make([]Value, n)
	} else {
		r.Values = r.Values[:n]
		clear(r.Values)
	}
	if needed != nil && len(needed) != n {
		return fmt.Errorf("avro: needed mask has %d slots, layout has %d", len(needed), n)
	}
	id, payload, err := splitConfluentHeader(FormatAvro, data)
	if err != nil {
		return err
	}
	prog, err := c.resolved(id, l)
	if err != nil {
		return err
	}
	d := &c.dec
	d.data, d.pos, d.base, d.depth = payload, 0, 5, 0
	err = d.record(prog, needed, r.Values)
	if err == nil && d.pos != len(d.data) {
		err = d.fail("%d bytes after the record", len(d.data)-d.pos)
	}
	d.data = nil // the decoder keeps no reference to the caller's bytes
	return err
}

// resolved returns the program reading records written with schema id into
// layout l.
func (c *avroCodec) resolved(id int, l *Layout) (*avroProg, error) {
	if c.layout != l || c.progs == nil {
		c.layout, c.progs, c.last = l, map[int]avroResolved{}, nil
	}
	if c.last != nil && c.lastID == id {
		return c.last, nil // the common case: every record has the same ID
	}
	if res, ok := c.progs[id]; ok {
		if res.err == nil {
			c.last, c.lastID = res.prog, id
		}
		return res.prog, res.err
	}
	res := avroResolved{}
	if doc, err := c.spec.writerSchema(id); err != nil {
		res.err = err
	} else if w, err := parseAvro(doc); err != nil {
		res.err = &DecodeError{Reason: fmt.Sprintf("avro: the writer's schema ID %d: %v", id, err)}
	} else if res.prog, err = resolveAvro(w, c.schema, l); err != nil {
		res.err = &DecodeError{Reason: fmt.Sprintf("avro: the writer's schema ID %d cannot be read with the reader's: %v", id, err)}
	}
	c.progs[id] = res
	return res.prog, res.err
}

// Append appends r framed with the codec's schema. A record that does not
// conform is not written (dst is returned as it was); sinks use
// AppendRecord, which reports it.
func (c *avroCodec) Append(dst []byte, r *Record) []byte {
	out, err := c.AppendChecked(dst, r)
	if err != nil {
		return dst
	}
	return out
}

// AppendChecked appends r framed with the codec's schema, or reports why r
// does not conform to it.
func (c *avroCodec) AppendChecked(dst []byte, r *Record) ([]byte, error) {
	n := len(dst)
	dst = appendConfluentHeader(dst, c.spec.Schema.ID)
	dst, err := c.enc.record(dst, r)
	if err != nil {
		return dst[:n], err
	}
	return dst, nil
}

func encErr(format string, args ...any) error {
	return &EncodeError{Format: FormatAvro, Reason: fmt.Sprintf(format, args...)}
}

// avroEnc writes values of one writer's schema.
type avroEnc struct {
	typ      avro.Type
	rep      avroRep
	scale    int
	size     int
	elem     *avroEnc
	names    []string   // record: field names, in order
	fields   []*avroEnc // record: field encoders
	branches []*avroEnc // union
	nullAt   int        // union: index of the null branch, -1 if none
	symbols  map[string]int
	// slots caches, for the last layout seen, the slot of each field (-1:
	// the layout has none).
	slotsFor *Layout
	slots    []int
}

func compileAvroEnc(s avro.Schema, memo map[avro.Schema]*avroEnc) *avroEnc {
	s = derefAvro(s)
	if e, ok := memo[s]; ok {
		return e
	}
	e := &avroEnc{typ: s.Type(), nullAt: -1}
	memo[s] = e
	e.rep, e.scale = avroRepOf(s)
	switch s.Type() {
	case avro.Fixed:
		e.size = s.(*avro.FixedSchema).Size()
	case avro.Enum:
		e.symbols = map[string]int{}
		for i, sym := range s.(*avro.EnumSchema).Symbols() {
			e.symbols[sym] = i
		}
	case avro.Array:
		e.elem = compileAvroEnc(s.(*avro.ArraySchema).Items(), memo)
	case avro.Map:
		e.elem = compileAvroEnc(s.(*avro.MapSchema).Values(), memo)
	case avro.Record:
		for _, f := range s.(*avro.RecordSchema).Fields() {
			e.names = append(e.names, f.Name())
			e.fields = append(e.fields, compileAvroEnc(f.Type(), memo))
		}
	case avro.Union:
		for i, b := range s.(*avro.UnionSchema).Types() {
			if b.Type() == avro.Null && e.nullAt < 0 {
				e.nullAt = i
			}
			e.branches = append(e.branches, compileAvroEnc(b, memo))
		}
	}
	return e
}

func (e *avroEnc) record(dst []byte, r *Record) ([]byte, error) {
	if e.slotsFor != r.Layout {
		e.slotsFor = r.Layout
		e.slots = make([]int, len(e.names))
		for i, n := range e.names {
			if s, ok := r.Layout.Index(n); ok {
				e.slots[i] = s
			} else {
				e.slots[i] = -1
			}
		}
	}
	// A nested encoder shared by recursion may see another layout on the
	// way down: take the slots now.
	slots := e.slots
	var err error
	for i, f := range e.fields {
		v := Null
		if s := slots[i]; s >= 0 {
			v = r.Values[s]
		}
		if dst, err = f.value(dst, v); err != nil {
			return dst, inEncField(err, e.names[i])
		}
	}
	return dst, nil
}

func (e *avroEnc) value(dst []byte, v Value) ([]byte, error) {
	if v.Kind == KindNull && e.typ != avro.Null && e.typ != avro.Union {
		return dst, encErr("null for a non-nullable %s", e.typ)
	}
	switch e.typ {
	case avro.Null:
		if v.Kind != KindNull {
			return dst, encErr("%s value for null", kindName(v.Kind))
		}
		return dst, nil
	case avro.Boolean:
		if v.Kind != KindBool {
			return dst, encErr("%s value for boolean", kindName(v.Kind))
		}
		if v.Bool {
			return append(dst, 1), nil
		}
		return append(dst, 0), nil
	case avro.Int, avro.Long:
		i, err := e.integer(v)
		if err != nil {
			return dst, err
		}
		if e.typ == avro.Int && (i < math.MinInt32 || i > math.MaxInt32) {
			return dst, encErr("%d is out of int's 32-bit range", i)
		}
		return appendVarint(dst, i), nil
	case avro.Float, avro.Double:
		if v.Kind != KindNumber {
			return dst, encErr("%s value for %s", kindName(v.Kind), e.typ)
		}
		f := v.Float()
		if e.typ == avro.Float {
			if !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
				return dst, encErr("%v is out of float's range", f)
			}
			return appendFloat32(dst, float32(f)), nil
		}
		return appendFloat64(dst, f), nil
	case avro.String:
		if v.Kind != KindString {
			return dst, encErr("%s value for string", kindName(v.Kind))
		}
		return appendAvroBytes(dst, []byte(v.Str)), nil
	case avro.Bytes, avro.Fixed:
		b, err := e.rawBytes(v)
		if err != nil {
			return dst, err
		}
		if e.typ == avro.Fixed {
			if len(b) != e.size {
				return dst, encErr("%d bytes for fixed of %d", len(b), e.size)
			}
			return append(dst, b...), nil
		}
		return appendAvroBytes(dst, b), nil
	case avro.Enum:
		if v.Kind != KindString {
			return dst, encErr("%s value for enum", kindName(v.Kind))
		}
		i, ok := e.symbols[v.Str]
		if !ok {
			return dst, encErr("%q is not a symbol of the enum", v.Str)
		}
		return appendVarint(dst, int64(i)), nil
	case avro.Array:
		if v.Kind != KindList {
			return dst, encErr("%s value for array", kindName(v.Kind))
		}
		if len(v.List) > 0 {
			dst = appendVarint(dst, int64(len(v.List)))
			var err error
			for i, x := range v.List {
				if dst, err = e.elem.value(dst, x); err != nil {
					return dst, inEncField(err, "["+strconv.Itoa(i)+"]")
				}
			}
		}
		return append(dst, 0), nil
	case avro.Map:
		if v.Kind != KindObject || v.Obj == nil {
			return dst, encErr("%s value for map", kindName(v.Kind))
		}
		if n := len(v.Obj.Values); n > 0 {
			dst = appendVarint(dst, int64(n))
			var err error
			for i, x := range v.Obj.Values {
				k := v.Obj.Layout.Names[i]
				dst = appendAvroBytes(dst, []byte(k))
				if dst, err = e.elem.value(dst, x); err != nil {
					return dst, inEncField(err, strconv.Quote(k))
				}
			}
		}
		return append(dst, 0), nil
	case avro.Record:
		if v.Kind != KindObject || v.Obj == nil {
			return dst, encErr("%s value for record", kindName(v.Kind))
		}
		return e.record(dst, v.Obj)
	case avro.Union:
		if v.Kind == KindNull {
			if e.nullAt < 0 {
				return dst, encErr("null for a union without null")
			}
			return appendVarint(dst, int64(e.nullAt)), nil
		}
		// The first branch that takes the value.
		n := len(dst)
		var last error
		for i, b := range e.branches {
			if b.typ == avro.Null {
				continue
			}
			out, err := b.value(appendVarint(dst, int64(i)), v)
			if err == nil {
				return out, nil
			}
			last, dst = err, dst[:n]
		}
		if last == nil {
			last = encErr("%s value for a union of nulls", kindName(v.Kind))
		}
		return dst, last
	}
	return dst, encErr("unsupported type %s", e.typ)
}

// integer is the int or long that v, held as the schema's representation,
// is written as.
func (e *avroEnc) integer(v Value) (int64, error) {
	switch e.rep {
	case repDate:
		if v.Kind != KindString {
			return 0, encErr("%s value for a date, want \"YYYY-MM-DD\"", kindName(v.Kind))
		}
		t, err := time.Parse(time.DateOnly, v.Str)
		if err != nil {
			return 0, encErr("%q is not a date \"YYYY-MM-DD\"", v.Str)
		}
		return t.Unix() / 86400, nil
	case repTsMillis, repTsMicros:
		if v.Kind == KindString {
			ms, err := ParseTimestamp(v.Str)
			if err != nil {
				return 0, encErr("%v", err)
			}
			v = Int(ms)
		}
		if v.Kind != KindNumber {
			return 0, encErr("%s value for a timestamp, want epoch milliseconds", kindName(v.Kind))
		}
		if e.rep == repTsMillis {
			if i, ok := v.Int64(); ok {
				return i, nil
			}
			return 0, encErr("%v is not a whole number of milliseconds", v.Float())
		}
		if i, ok := v.Int64(); ok && i >= math.MinInt64/1000 && i <= math.MaxInt64/1000 {
			return i * 1000, nil
		}
		f := math.Round(v.Float() * 1000)
		if !(f >= -0x1p63 && f < 0x1p63) {
			return 0, encErr("%v milliseconds is out of timestamp-micros' range", v.Float())
		}
		return int64(f), nil
	}
	if v.Kind != KindNumber {
		return 0, encErr("%s value for %s", kindName(v.Kind), e.typ)
	}
	i, ok := v.Int64()
	if !ok {
		return 0, encErr("%v is not an integer in long's range", v.Float())
	}
	return i, nil
}

// rawBytes returns the bytes a bytes or fixed value stands for.
func (e *avroEnc) rawBytes(v Value) ([]byte, error) {
	if e.rep == repDecimal {
		return e.decimalBytes(v)
	}
	if v.Kind != KindString {
		return nil, encErr("%s value for %s, want base64 text", kindName(v.Kind), e.typ)
	}
	b, err := base64.StdEncoding.DecodeString(v.Str)
	if err != nil {
		return nil, encErr("not base64: %v", err)
	}
	return b, nil
}

// decimalBytes is the two's-complement big-endian unscaled integer of a
// decimal: v × 10^scale, which must be whole (a value with more fraction
// digits than the scale is an error, not silently rounded).
func (e *avroEnc) decimalBytes(v Value) ([]byte, error) {
	if v.Kind != KindNumber {
		return nil, encErr("%s value for a decimal", kindName(v.Kind))
	}
	var r big.Rat
	if i, ok := v.Int64(); ok {
		r.SetInt64(i)
	} else {
		f := v.Float()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, encErr("%v is not a decimal", f)
		}
		// The shortest decimal that reads back as f: what the number says.
		r.SetString(strconv.FormatFloat(f, 'g', -1, 64))
	}
	r.Mul(&r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(e.scale)), nil)))
	if !r.IsInt() {
		return nil, encErr("%s has more fraction digits than the decimal's scale %d", r.FloatString(e.scale+6), e.scale)
	}
	b := twosComplement(r.Num())
	if e.typ == avro.Fixed {
		if len(b) > e.size {
			return nil, encErr("decimal does not fit fixed of %d bytes", e.size)
		}
		pad := byte(0)
		if r.Num().Sign() < 0 {
			pad = 0xff
		}
		out := make([]byte, e.size)
		for i := range out[:e.size-len(b)] {
			out[i] = pad
		}
		copy(out[e.size-len(b):], b)
		return out, nil
	}
	return b, nil
}

// twosComplement is the shortest big-endian two's-complement form of i.
func twosComplement(i *big.Int) []byte {
	if i.Sign() >= 0 {
		b := i.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// 2^(8n) + i for the fewest bytes n that hold it.
	n := (i.BitLen() + 8) / 8
	m := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	b := m.Add(m, i).Bytes()
	for len(b) < n {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func kindName(k Kind) string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "bool"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindList:
		return "list"
	case KindObject:
		return "object"
	}
	return "unknown"
}
