package eval

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"sort"
	"time"

	avro "github.com/pipeline-compiler/pipeline/ir/eval/internal/avroschema"
	"github.com/zclconf/go-cty/cty"
)

// avroMaxDepth bounds nesting, so hostile input to a recursive schema cannot
// exhaust the stack.
const avroMaxDepth = 10000

// avroDecoder reads Avro's binary encoding. It embeds the JSON Decoder for
// its string arena: strings of a decoded record share arena chunks, as
// the JSON codec's do.
type avroDecoder struct {
	Decoder
	base  int // bytes before data in the framed record, for offsets
	depth int
}

func (d *avroDecoder) fail(format string, args ...any) error {
	return &DecodeError{Offset: d.base + d.pos, Reason: "avro: " + fmt.Sprintf(format, args...)}
}

func (d *avroDecoder) varint() (int64, error) {
	var u uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if d.pos >= len(d.data) {
			return 0, d.fail("unexpected end of data")
		}
		c := d.data[d.pos]
		d.pos++
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, d.fail("varint longer than 10 bytes")
}

// bytes reads a length-prefixed byte string; the result aliases the input.
func (d *avroDecoder) bytes() ([]byte, error) {
	n, err := d.varint()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > int64(len(d.data)-d.pos) {
		return nil, d.fail("length %d is beyond the data", n)
	}
	b := d.data[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

func (d *avroDecoder) fixed(n int) ([]byte, error) {
	if n > len(d.data)-d.pos {
		return nil, d.fail("unexpected end of data")
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

// text stores b as a string: valid UTF-8 in NFC, as the JSON codec keeps
// strings.
func (d *avroDecoder) text(b []byte) string {
	if asciiBytes(b) {
		d.reserve(len(b))
		s := len(d.arena)
		d.arena = append(d.arena, b...)
		return d.arenaString(s)
	}
	return d.normalized(b)
}

// blockCount reads an array or map block's count; a negative count is
// followed by the block's byte size, which is not needed.
func (d *avroDecoder) blockCount(p *avroProg) (int, error) {
	n, err := d.varint()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		if n == math.MinInt64 {
			return 0, d.fail("invalid block count")
		}
		n = -n
		if _, err := d.varint(); err != nil {
			return 0, err
		}
	}
	// Each item takes at least minSize bytes: a count beyond what the data
	// holds is corrupt (items of no bytes, as nulls, are allowed a margin).
	if rest := int64(len(d.data) - d.pos); n > rest/int64(max(p.elem.minSize, 1))+1024 {
		return 0, d.fail("block count %d is beyond the data", n)
	}
	return int(n), nil
}

// read reads one value of p.
func (d *avroDecoder) read(p *avroProg) (Value, error) {
	if p.err != "" {
		return Null, d.fail("%s", p.err)
	}
	switch p.wire {
	case avro.Null:
		return Null, nil
	case avro.Boolean:
		if d.pos >= len(d.data) {
			return Null, d.fail("unexpected end of data")
		}
		c := d.data[d.pos]
		d.pos++
		if c > 1 {
			return Null, d.fail("boolean byte is %d, not 0 or 1", c)
		}
		return Bool(c == 1), nil
	case avro.Int, avro.Long:
		at := d.pos
		i, err := d.varint()
		if err != nil {
			return Null, err
		}
		if p.wire == avro.Int && (i < math.MinInt32 || i > math.MaxInt32) {
			d.pos = at
			return Null, d.fail("int %d is beyond 32 bits", i)
		}
		return avroIntValue(p.rep, i), nil
	case avro.Float:
		b, err := d.fixed(4)
		if err != nil {
			return Null, err
		}
		return Number(float64(math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24))), nil
	case avro.Double:
		b, err := d.fixed(8)
		if err != nil {
			return Null, err
		}
		u := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		return Number(math.Float64frombits(u)), nil
	case avro.String, avro.Bytes, avro.Fixed:
		var b []byte
		var err error
		if p.wire == avro.Fixed {
			b, err = d.fixed(p.size)
		} else {
			b, err = d.bytes()
		}
		if err != nil {
			return Null, err
		}
		switch p.rep {
		case repBase64:
			return String(d.base64(b)), nil
		case repDecimal:
			return decimalValue(b, p.scale), nil
		}
		return String(d.text(b)), nil
	case avro.Enum:
		i, err := d.varint()
		if err != nil {
			return Null, err
		}
		if i < 0 || i >= int64(len(p.symbols)) {
			return Null, d.fail("enum index %d is out of range (%d symbols)", i, len(p.symbols))
		}
		if !p.symOK[i] {
			return Null, d.fail("the writer's enum index %d is a symbol the reader does not have, and the reader's enum has no default", i)
		}
		return String(p.symbols[i]), nil
	case avro.Union:
		i, err := d.varint()
		if err != nil {
			return Null, err
		}
		if i < 0 || i >= int64(len(p.branches)) {
			return Null, d.fail("union index %d is out of range (%d branches)", i, len(p.branches))
		}
		return d.read(p.branches[i])
	case avro.Array:
		return d.array(p)
	case avro.Map:
		return d.mapValue(p)
	case avro.Record:
		if d.depth++; d.depth > avroMaxDepth {
			return Null, d.fail("exceeded max nesting depth")
		}
		defer func() { d.depth-- }()
		vals := make([]Value, p.layout.Len())
		if err := d.record(p, nil, vals); err != nil {
			return Null, err
		}
		return Object(&Record{Layout: p.layout, Values: vals}), nil
	}
	return Null, d.fail("unsupported type %s", p.wire)
}

// avroIntValue holds an int or long as the reader represents it.
func avroIntValue(rep avroRep, i int64) Value {
	switch rep {
	case repFloat32:
		return Number(float64(float32(i)))
	case repDate:
		return String(time.Unix(i*86400, 0).UTC().Format(time.DateOnly))
	case repTsMicros:
		if i%1000 == 0 {
			return Int(i / 1000)
		}
		return Number(float64(i) / 1000)
	}
	return Int(i)
}

func (d *avroDecoder) base64(b []byte) string {
	n := base64.StdEncoding.EncodedLen(len(b))
	d.reserve(n)
	s := len(d.arena)
	d.arena = base64.StdEncoding.AppendEncode(d.arena, b)
	return d.arenaString(s)
}

// decimalValue is the number a decimal's two's-complement big-endian
// unscaled integer stands for.
func decimalValue(b []byte, scale int) Value {
	if len(b) <= 8 && scale == 0 {
		var u uint64
		for _, c := range b {
			u = u<<8 | uint64(c)
		}
		if len(b) > 0 && len(b) < 8 && b[0]&0x80 != 0 {
			u |= ^uint64(0) << (8 * len(b))
		}
		return Int(int64(u))
	}
	i := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		i.Sub(i, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	r := new(big.Rat).SetFrac(i, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	if r.IsInt() && r.Num().IsInt64() {
		return Int(r.Num().Int64())
	}
	f, _ := r.Float64()
	return Number(f)
}

func (d *avroDecoder) array(p *avroProg) (Value, error) {
	var out []Value
	for {
		n, err := d.blockCount(p)
		if err != nil {
			return Null, err
		}
		if n == 0 {
			return List(out), nil
		}
		for ; n > 0; n-- {
			v, err := d.read(p.elem)
			if err != nil {
				return Null, inField(err, fmt.Sprintf("[%d]", len(out)))
			}
			out = append(out, v)
		}
	}
}

func (d *avroDecoder) mapValue(p *avroProg) (Value, error) {
	type member struct {
		key string
		val Value
	}
	var ms []member
	for {
		n, err := d.blockCount(p)
		if err != nil {
			return Null, err
		}
		if n == 0 {
			break
		}
		for ; n > 0; n-- {
			kb, err := d.bytes()
			if err != nil {
				return Null, err
			}
			key := d.text(kb)
			v, err := d.read(p.elem)
			if err != nil {
				return Null, inField(err, fmt.Sprintf("[%q]", key))
			}
			ms = append(ms, member{key, v})
		}
	}
	// Sorted keys; the last of duplicates wins, as in the JSON codec.
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].key < ms[j].key })
	names := make([]string, 0, len(ms))
	vals := make([]Value, 0, len(ms))
	for i, m := range ms {
		if i+1 < len(ms) && ms[i+1].key == m.key {
			continue
		}
		names = append(names, m.key)
		vals = append(vals, m.val)
	}
	ety, enested := cty.DynamicPseudoType, (*Layout)(nil)
	if p.elem != nil {
		ety, enested = p.elemType()
	}
	return Object(&Record{Layout: mapLayout(ety, enested, names), Values: vals}), nil
}

// elemType is the cty type (and layout) of a map's values, for the map
// value's layout.
func (p *avroProg) elemType() (cty.Type, *Layout) {
	e := p.elem
	for e.wire == avro.Union {
		var next *avroProg
		for _, b := range e.branches {
			if b.wire != avro.Null && b.err == "" {
				next = b
				break
			}
		}
		if next == nil {
			return cty.DynamicPseudoType, nil
		}
		e = next
	}
	switch e.wire {
	case avro.Record:
		return e.layout.Type, e.layout
	case avro.Boolean:
		return cty.Bool, nil
	case avro.Int, avro.Long, avro.Float, avro.Double:
		if e.rep == repDate {
			return cty.String, nil
		}
		return cty.Number, nil
	case avro.String, avro.Bytes, avro.Fixed, avro.Enum:
		if e.rep == repDecimal {
			return cty.Number, nil
		}
		return cty.String, nil
	case avro.Array:
		t, _ := e.elemType()
		return cty.List(t), nil
	case avro.Map:
		t, _ := e.elemType()
		return cty.Map(t), nil
	}
	return cty.DynamicPseudoType, nil
}

// record reads a record's fields into vals by the reader's slots; with
// needed, only those slots are decoded and the rest skipped.
func (d *avroDecoder) record(p *avroProg, needed []bool, vals []Value) error {
	for i := range p.fields {
		f := &p.fields[i]
		if f.slot < 0 || (needed != nil && !needed[f.slot]) {
			if err := d.skip(f.prog); err != nil {
				return inField(err, f.name)
			}
			continue
		}
		v, err := d.read(f.prog)
		if err != nil {
			return inField(err, f.name)
		}
		vals[f.slot] = v
	}
	for _, def := range p.defaults {
		if needed == nil || needed[def.slot] {
			vals[def.slot] = def.val
		}
	}
	return nil
}

// skip passes over one value of p, checking only what it must to find its
// end.
func (d *avroDecoder) skip(p *avroProg) error {
	switch p.wire {
	case avro.Null:
		return nil
	case avro.Boolean:
		_, err := d.fixed(1)
		return err
	case avro.Int, avro.Long, avro.Enum:
		_, err := d.varint()
		return err
	case avro.Float:
		_, err := d.fixed(4)
		return err
	case avro.Double:
		_, err := d.fixed(8)
		return err
	case avro.Fixed:
		_, err := d.fixed(p.size)
		return err
	case avro.String, avro.Bytes:
		_, err := d.bytes()
		return err
	case avro.Union:
		i, err := d.varint()
		if err != nil {
			return err
		}
		if i < 0 || i >= int64(len(p.branches)) {
			return d.fail("union index %d is out of range (%d branches)", i, len(p.branches))
		}
		return d.skip(p.branches[i])
	case avro.Array, avro.Map:
		for {
			n, err := d.varint()
			if err != nil {
				return err
			}
			if n == 0 {
				return nil
			}
			if n < 0 {
				// The block's size lets it be skipped whole.
				size, err := d.varint()
				if err != nil {
					return err
				}
				if size < 0 || size > int64(len(d.data)-d.pos) {
					return d.fail("block size %d is beyond the data", size)
				}
				d.pos += int(size)
				continue
			}
			if rest := int64(len(d.data) - d.pos); n > rest/int64(max(p.elem.minSize, 1))+1024 {
				return d.fail("block count %d is beyond the data", n)
			}
			for ; n > 0; n-- {
				if p.wire == avro.Map {
					if _, err := d.bytes(); err != nil {
						return err
					}
				}
				if err := d.skip(p.elem); err != nil {
					return err
				}
			}
		}
	case avro.Record:
		if d.depth++; d.depth > avroMaxDepth {
			return d.fail("exceeded max nesting depth")
		}
		defer func() { d.depth-- }()
		for i := range p.fields {
			if err := d.skip(p.fields[i].prog); err != nil {
				return inField(err, p.fields[i].name)
			}
		}
		return nil
	}
	return d.fail("unsupported type %s", p.wire)
}
