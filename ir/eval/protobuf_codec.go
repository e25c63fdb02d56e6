package eval

import (
	"encoding/base64"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/zclconf/go-cty/cty"
	"golang.org/x/text/unicode/norm"
	"google.golang.org/protobuf/encoding/protowire"
)

// This file is the Protobuf record codec: Confluent framing (magic byte, the
// 4-byte schema ID, the message indexes) around the protobuf wire format.
// It decodes the wire format straight into a Record's slots with a field
// walker over protowire, driven by a plan built once per layout: no
// dynamicpb, no maps on the hot path.
//
// Field numbers resolve the writer's schema against the reader's, as
// protobuf itself does: fields the reader does not know are skipped, fields
// the writer did not write get their defaults (see protobuf_type.go). The
// writer's schema (by the record's schema ID) is only consulted to check
// that the message indexes name the message the source reads. A field
// whose wire type does not fit the reader's type (an int32 read as a
// string) is a DecodeError, not a silent skip, so the record is
// dead-lettered with the reason.

// pbCodec is a Codec for one source's or sink's Protobuf schema.
type pbCodec struct {
	spec   CodecSpec
	schema *pbSchema
	msg    *pbMsg
	ty     cty.Type
	layout *Layout // the layout of ty, for callers that pass a dynamic one

	plan     *pbPlan // of the last layout seen
	plans    map[*Layout]*pbPlan
	okFrames map[string]bool
	writers  map[int]*pbSchema
	dec      pbDecoder
	enc      pbEncoder
}

func newProtobufCodec(spec CodecSpec) (Codec, error) {
	s, err := loadProtoSchema(spec.Schema)
	if err != nil {
		return nil, err
	}
	m, err := s.message(spec.Schema.Message)
	if err != nil {
		return nil, err
	}
	ty, err := pbMessageType(m, map[string]bool{})
	if err != nil {
		return nil, err
	}
	return &pbCodec{
		spec: spec, schema: s, msg: m, ty: ty, layout: NewLayout(ty),
		okFrames: map[string]bool{}, writers: map[int]*pbSchema{}, plans: map[*Layout]*pbPlan{},
	}, nil
}

func (*pbCodec) Format() string { return FormatProtobuf }

// planFor returns the decoding plan for records of layout l.
func (c *pbCodec) planFor(l *Layout) (*pbPlan, error) {
	if c.plan != nil && c.plan.layout == l {
		return c.plan, nil
	}
	p := c.plans[l]
	if p == nil {
		var err error
		if p, err = newPBPlan(c.msg, l); err != nil {
			return nil, err
		}
		if len(c.plans) >= 64 { // layouts built per record (a map's values) must not grow it without bound
			clear(c.plans)
		}
		c.plans[l] = p
	}
	c.plan = p
	return p, nil
}

// Decode decodes one framed record into r.
func (c *pbCodec) Decode(l *Layout, needed []bool, data []byte, r *Record) error {
	if l.Type == cty.DynamicPseudoType {
		l = c.layout
	}
	n := l.Len()
	if r.Layout != l || cap(r.Values) < n {
		r.Layout = l
		r.Values = make([]Value, n)
	} else {
		r.Values = r.Values[:n]
		clear(r.Values)
	}
	if needed != nil && len(needed) != n {
		return fmt.Errorf("protobuf: needed mask has %d slots, layout has %d", len(needed), n)
	}
	id, payload, err := splitConfluentHeader(FormatProtobuf, data)
	if err != nil {
		return err
	}
	payload, err = c.checkFrame(id, data, payload)
	if err != nil {
		return err
	}
	p, err := c.planFor(l)
	if err != nil {
		return err
	}
	c.dec.data = data
	err = c.dec.message(p, needed, payload, r.Values, true)
	c.dec.data = nil // the decoder keeps no reference to the input
	return err
}

// checkFrame reads the message indexes after the header and checks that
// they name, in the writer's schema (by id), the message the codec reads.
// It returns the payload after them.
func (c *pbCodec) checkFrame(id int, data, rest []byte) ([]byte, error) {
	start := len(data) - len(rest)
	count, n := protowire.ConsumeVarint(rest)
	if n < 0 {
		return nil, &DecodeError{Offset: start, Reason: "protobuf: truncated message indexes after the Confluent header"}
	}
	rest = rest[n:]
	k := protowire.DecodeZigZag(count)
	if k < 0 || k > 100 {
		return nil, &DecodeError{Offset: start, Reason: fmt.Sprintf("protobuf: %d message indexes in the frame", k)}
	}
	indexes := rest
	for range k {
		_, n := protowire.ConsumeVarint(rest)
		if n < 0 {
			return nil, &DecodeError{Offset: len(data) - len(rest), Reason: "protobuf: truncated message indexes after the Confluent header"}
		}
		rest = rest[n:]
	}
	// The frame's schema ID and indexes are checked once: a stream of one
	// writer pays the check on its first record only.
	key := data[1 : len(data)-len(rest)]
	if c.okFrames[string(key)] {
		return rest, nil
	}
	idx := []int{0} // a count of 0 is the common shorthand for [0]
	if k != 0 {
		idx = make([]int, k)
		for i := range idx {
			v, n := protowire.ConsumeVarint(indexes)
			indexes = indexes[n:]
			idx[i] = int(protowire.DecodeZigZag(v))
		}
	}
	w := c.schema
	if id != c.spec.Schema.ID && c.spec.Schema.ID != 0 {
		if w = c.writers[id]; w == nil {
			doc, err := c.spec.writerSchema(id)
			if err != nil {
				return nil, err
			}
			if w, err = loadProtoSchema(doc); err != nil {
				return nil, &DecodeError{Reason: fmt.Sprintf("protobuf: schema ID %d: %v", id, err)}
			}
			c.writers[id] = w
		}
	}
	m, ok := w.byIndexes(idx)
	if !ok {
		return nil, &DecodeError{Offset: start, Reason: fmt.Sprintf("protobuf: message indexes %v name no message of schema ID %d", idx, id)}
	}
	if m.name != c.msg.name {
		return nil, &DecodeError{Offset: start, Reason: fmt.Sprintf("protobuf: the record is a %s (schema ID %d, message indexes %v); the source reads %s", m.name, id, idx, c.msg.name)}
	}
	if len(c.okFrames) < 1024 {
		c.okFrames[string(key)] = true
	}
	return rest, nil
}

// appendMessageIndexes appends the Confluent message indexes of m: a single
// 0 for the first message of the file, else their zigzag-varint count and
// each index.
func appendMessageIndexes(dst []byte, m *pbMsg) []byte {
	if len(m.index) == 1 && m.index[0] == 0 {
		return append(dst, 0)
	}
	dst = protowire.AppendVarint(dst, protowire.EncodeZigZag(int64(len(m.index))))
	for _, i := range m.index {
		dst = protowire.AppendVarint(dst, protowire.EncodeZigZag(int64(i)))
	}
	return dst
}

// Append appends the framed encoding of r. A value the schema cannot carry
// is left out (as a default); sinks use AppendChecked, which rejects it.
func (c *pbCodec) Append(dst []byte, r *Record) []byte {
	out, err := c.appendRecord(dst, r, false)
	if err != nil {
		return dst
	}
	return out
}

// AppendChecked appends the framed encoding of r, or reports why r does
// not conform to the schema.
func (c *pbCodec) AppendChecked(dst []byte, r *Record) ([]byte, error) {
	return c.appendRecord(dst, r, true)
}

func (c *pbCodec) appendRecord(dst []byte, r *Record, strict bool) ([]byte, error) {
	p, err := c.planFor(r.Layout)
	if err != nil {
		return dst, err
	}
	out := appendConfluentHeader(dst, c.spec.Schema.ID)
	out = appendMessageIndexes(out, c.msg)
	c.enc.strict = strict
	out, err = c.enc.message(out, p, r, 0)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// pbPlan maps a message's fields to the slots of a layout.
type pbPlan struct {
	msg    *pbMsg
	layout *Layout
	fields []*pbSlot         // every field, by field number
	small  []*pbSlot         // fields by number, for numbers below len(small)
	large  map[int32]*pbSlot // the others
	oneofs [][]*pbSlot       // the members of each oneof
}

// pbSlot is one field of a plan.
type pbSlot struct {
	f     *pbField
	slot  int     // the layout's slot, -1 when the layout lacks the field
	def   Value   // the value of an absent field
	nest  *pbPlan // a message field's (or a map's, or a list's element) plan
	ts    bool    // google.protobuf.Timestamp
	wrap  *pbField
	mapV  *pbField // a map's value field (the key is mapK)
	mapK  *pbField
	mapVT cty.Type
}

// pbEmptyMap is the value of an absent map field.
func pbEmptyMap(et cty.Type) Value {
	return Object(&Record{Layout: newLayoutOf(cty.Object(map[string]cty.Type{}), []string{}, []cty.Type{}, []*Layout{}), Values: []Value{}})
}

func newPBPlan(m *pbMsg, l *Layout) (*pbPlan, error) {
	p := &pbPlan{msg: m, layout: l, oneofs: make([][]*pbSlot, len(m.oneofs))}
	maxSmall := int32(0)
	for _, f := range m.fields {
		if f.number < 64 && f.number >= maxSmall {
			maxSmall = f.number + 1
		}
	}
	p.small = make([]*pbSlot, maxSmall)
	for _, f := range m.fields {
		s := &pbSlot{f: f, slot: -1}
		ft, err := pbFieldType(f, map[string]bool{})
		if err != nil {
			return nil, fmt.Errorf("protobuf: field %s.%s: %w", m.name, f.name, err)
		}
		if i, ok := l.Index(f.name); ok {
			if !l.Types[i].Equals(ft) {
				return nil, fmt.Errorf("protobuf: field %s.%s is %s, the record type says %s", m.name, f.name, ft.FriendlyName(), l.Types[i].FriendlyName())
			}
			s.slot = i
		}
		switch {
		case f.isMap():
			s.mapK, s.mapV = f.msg.byNumber[1], f.msg.byNumber[2]
			if s.mapK == nil || s.mapV == nil {
				return nil, fmt.Errorf("protobuf: map field %s.%s has no key or value", m.name, f.name)
			}
			s.mapVT = ft.ElementType()
			s.def = pbEmptyMap(s.mapVT)
			if err := s.nestFor(s.mapV, s.mapVT, nil); err != nil {
				return nil, err
			}
		case f.repeated():
			s.def = List([]Value{})
			if err := s.nestFor(f, ft.ElementType(), nil); err != nil {
				return nil, err
			}
		default:
			if !f.hasPresence() {
				s.def = pbZero(f)
			}
			var nested *Layout
			if s.slot >= 0 {
				nested = l.Nested[s.slot]
			}
			if err := s.nestFor(f, ft, nested); err != nil {
				return nil, err
			}
		}
		p.fields = append(p.fields, s)
		if f.number < maxSmall {
			p.small[f.number] = s
		} else {
			if p.large == nil {
				p.large = map[int32]*pbSlot{}
			}
			p.large[f.number] = s
		}
		if f.oneof >= 0 && int(f.oneof) < len(p.oneofs) {
			p.oneofs[f.oneof] = append(p.oneofs[f.oneof], s)
		}
	}
	sort.Slice(p.fields, func(i, j int) bool { return p.fields[i].f.number < p.fields[j].f.number })
	return p, nil
}

// nestFor sets up the plan of a value of field f (of cty type t) when it is
// a message.
// nested is the layout the record's own layout has for the field (a
// singular message), so decoded objects share it; nil builds one.
func (s *pbSlot) nestFor(f *pbField, t cty.Type, nested *Layout) error {
	if f.typ != pbMessage {
		return nil
	}
	ts, wrap := pbWellKnown(f.msg)
	switch {
	case ts:
		s.ts = true
		return nil
	case wrap:
		s.wrap = f.msg.byNumber[1]
		return nil
	}
	if nested == nil {
		nested = NewLayout(t)
	}
	var err error
	s.nest, err = newPBPlan(f.msg, nested)
	return err
}

// pbZero is the proto3 default of a scalar without presence.
func pbZero(f *pbField) Value {
	switch f.typ {
	case pbBool:
		return Bool(false)
	case pbString, pbBytes:
		return String("")
	case pbEnum:
		if name, ok := f.enum.byNumber[0]; ok {
			return String(name)
		}
		if len(f.enum.values) > 0 { // a proto2 enum's default is its first value
			return String(f.enum.values[0].name)
		}
		return String("0")
	}
	return Int(0)
}

func (p *pbPlan) lookup(num protowire.Number) *pbSlot {
	if int(num) < len(p.small) {
		return p.small[num]
	}
	return p.large[int32(num)]
}

// pbDecoder decodes wire-format messages into record slots. It keeps a
// string arena across records, as the JSON decoder does: strings of a
// decoded record share chunks that are never modified afterwards.
type pbDecoder struct {
	data  []byte // the whole record, for error offsets
	arena []byte
}

const pbChunk = 4096

func (d *pbDecoder) offset(b []byte) int {
	if len(b) == 0 || len(d.data) == 0 {
		return len(d.data)
	}
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(unsafe.SliceData(d.data))))
	if off < 0 || off > len(d.data) {
		return 0
	}
	return off
}

func (d *pbDecoder) errAt(b []byte, format string, args ...any) error {
	return &DecodeError{Offset: d.offset(b), Reason: "protobuf: " + fmt.Sprintf(format, args...)}
}

// message decodes the fields in b into vals (laid out by p.layout). With
// reset, absent fields get their defaults first; a repeated occurrence of a
// singular message field merges into the values already there.
func (d *pbDecoder) message(p *pbPlan, needed []bool, b []byte, vals []Value, reset bool) error {
	if reset {
		for _, s := range p.fields {
			if s.slot >= 0 && (needed == nil || needed[s.slot]) {
				vals[s.slot] = s.def
			}
		}
	}
	var maps map[int][][2]Value // map entries by slot, in wire order
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return d.errAt(b, "malformed field tag: %v", protowire.ParseError(n))
		}
		at := b
		b = b[n:]
		s := p.lookup(num)
		if s == nil || s.slot < 0 || needed != nil && !needed[s.slot] {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return d.errAt(at, "malformed field %d: %v", num, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		f := s.f
		if want := elemWireOrBytes(f); typ != want && !(typ == protowire.BytesType && f.repeated() && f.isPackedType()) {
			return inField(d.wireMismatch(at, f, typ), f.name) // at the tag, which holds the wire type
		}
		var err error
		switch {
		case s.mapK != nil:
			if typ != protowire.BytesType {
				return inField(d.wireMismatch(at, f, typ), f.name)
			}
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return inField(d.errAt(at, "truncated map entry"), f.name)
			}
			b = b[n:]
			var kv [2]Value
			if kv, err = d.mapEntry(s, v); err != nil {
				return inField(err, f.name)
			}
			if maps == nil {
				maps = map[int][][2]Value{}
			}
			maps[s.slot] = append(maps[s.slot], kv)
		case f.repeated():
			var l []Value
			if vals[s.slot].Kind == KindList {
				l = vals[s.slot].List
			}
			if typ == protowire.BytesType && f.isPackedType() {
				v, n := protowire.ConsumeBytes(b)
				if n < 0 {
					return inField(d.errAt(at, "truncated packed field"), f.name)
				}
				b = b[n:]
				for len(v) > 0 {
					var x Value
					x, n, err = d.scalar(s, f, elemWire(f), v)
					if err != nil {
						return inField(err, fmt.Sprintf("%s[%d]", f.name, len(l)))
					}
					v = v[n:]
					l = append(l, x)
				}
			} else {
				var x Value
				x, n, err = d.value(s, f, typ, b, Null)
				if err != nil {
					return inField(err, fmt.Sprintf("%s[%d]", f.name, len(l)))
				}
				b = b[n:]
				l = append(l, x)
			}
			vals[s.slot] = List(l)
		default:
			var x Value
			if f.typ == pbMessage {
				x, n, err = d.value(s, f, typ, b, vals[s.slot])
			} else {
				x, n, err = d.scalar(s, f, typ, b)
			}
			if err != nil {
				return inField(err, f.name)
			}
			b = b[n:]
			if f.oneof >= 0 && int(f.oneof) < len(p.oneofs) {
				for _, o := range p.oneofs[f.oneof] { // the last member set wins
					if o.slot >= 0 {
						vals[o.slot] = Null
					}
				}
			}
			vals[s.slot] = x
		}
	}
	for slot, entries := range maps {
		vals[slot] = buildMap(p.fieldAt(slot).mapVT, p.layout.Nested[slot], entries)
	}
	for _, s := range p.fields {
		if s.f.label == pbLabelRequired && s.slot >= 0 && (needed == nil || needed[s.slot]) && vals[s.slot].IsNull() {
			return &DecodeError{Field: s.f.name, Offset: d.offset(b), Reason: "protobuf: required field is missing"}
		}
	}
	return nil
}

func (p *pbPlan) fieldAt(slot int) *pbSlot {
	for _, s := range p.fields {
		if s.slot == slot {
			return s
		}
	}
	return nil
}

// buildMap makes a map value from entries, sorted by key; the last of
// duplicate keys wins, as protobuf specifies.
func buildMap(et cty.Type, _ *Layout, entries [][2]Value) Value {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i][0].Str < entries[j][0].Str })
	names := make([]string, 0, len(entries))
	vals := make([]Value, 0, len(entries))
	for i, e := range entries {
		if i+1 < len(entries) && entries[i+1][0].Str == e[0].Str {
			continue
		}
		names = append(names, e[0].Str)
		vals = append(vals, e[1])
	}
	types := make([]cty.Type, len(names))
	nested := make([]*Layout, len(names))
	attrs := make(map[string]cty.Type, len(names))
	var enested *Layout
	if et.IsObjectType() {
		enested = NewLayout(et)
	}
	for i, n := range names {
		types[i], nested[i] = et, enested
		attrs[n] = et
	}
	return Object(&Record{Layout: newLayoutOf(cty.Object(attrs), names, types, nested), Values: vals})
}

// mapEntry decodes one map entry: its key as a string, and its value.
func (d *pbDecoder) mapEntry(s *pbSlot, b []byte) ([2]Value, error) {
	key, val := pbZero(s.mapK), Null
	if s.mapV.typ != pbMessage {
		val = pbZero(s.mapV)
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return [2]Value{}, d.errAt(b, "malformed map entry")
		}
		at := b
		b = b[n:]
		var err error
		switch num {
		case 1:
			key, n, err = d.scalar(s, s.mapK, typ, b)
			if err != nil {
				return [2]Value{}, err
			}
		case 2:
			val, n, err = d.value(s, s.mapV, typ, b, Null)
			if err != nil {
				return [2]Value{}, err
			}
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return [2]Value{}, d.errAt(at, "malformed map entry")
			}
		}
		b = b[n:]
	}
	switch key.Kind {
	case KindBool:
		key = String(strconv.FormatBool(key.Bool))
	case KindNumber:
		i, _ := key.Int64()
		if key.isInt {
			key = String(strconv.FormatInt(i, 10))
		} else {
			key = String(strconv.FormatUint(uint64(key.Float()), 10))
		}
	}
	if val.IsNull() && s.mapV.typ == pbMessage && s.nest != nil { // an entry without its value: an empty message
		r := NewRecord(s.nest.layout)
		if err := d.message(s.nest, nil, nil, r.Values, true); err != nil {
			return [2]Value{}, err
		}
		val = Object(r)
	}
	return [2]Value{key, val}, nil
}

// value decodes one value of f with wire type typ at b, returning it and the
// bytes consumed. prev is the field's current value, which a repeated
// occurrence of a message merges into.
func (d *pbDecoder) value(s *pbSlot, f *pbField, typ protowire.Type, b []byte, prev Value) (Value, int, error) {
	if f.typ != pbMessage {
		return d.scalar(s, f, typ, b)
	}
	if typ != protowire.BytesType {
		return Null, 0, d.wireMismatch(b, f, typ)
	}
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return Null, 0, d.errAt(b, "truncated message")
	}
	switch {
	case s.ts:
		x, err := d.timestamp(v)
		return x, n, err
	case s.wrap != nil:
		x := pbZero(s.wrap)
		for len(v) > 0 {
			num, wt, m := protowire.ConsumeTag(v)
			if m < 0 {
				return Null, 0, d.errAt(v, "malformed wrapper")
			}
			v = v[m:]
			if num == 1 {
				var err error
				if x, m, err = d.scalar(s, s.wrap, wt, v); err != nil {
					return Null, 0, err
				}
			} else if m = protowire.ConsumeFieldValue(num, wt, v); m < 0 {
				return Null, 0, d.errAt(v, "malformed wrapper")
			}
			v = v[m:]
		}
		return x, n, nil
	}
	if prev.Kind == KindObject && prev.Obj.Layout == s.nest.layout {
		return prev, n, d.message(s.nest, nil, v, prev.Obj.Values, false)
	}
	r := NewRecord(s.nest.layout)
	if err := d.message(s.nest, nil, v, r.Values, true); err != nil {
		return Null, 0, err
	}
	return Object(r), n, nil
}

// timestamp decodes a google.protobuf.Timestamp as RFC 3339 text.
func (d *pbDecoder) timestamp(b []byte) (Value, error) {
	var sec int64
	var nanos int64
	err := walkFields(b, func(num protowire.Number, typ protowire.Type, _ []byte, u uint64) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			sec = int64(u)
		case num == 2 && typ == protowire.VarintType:
			nanos = int64(int32(u))
		}
		return nil
	})
	if err != nil {
		return Null, d.errAt(b, "malformed Timestamp: %v", err)
	}
	if sec < MinEventTimeMs/1000 || sec > MaxEventTimeMs/1000 || nanos < 0 || nanos > 999_999_999 {
		return Null, d.errAt(b, "Timestamp %ds %dns is outside 0001-01-01 .. 9999-12-31", sec, nanos)
	}
	if nanos%1_000_000 == 0 {
		return String(d.arenaBytes(AppendTimestamp(d.scratch(), sec*1000+nanos/1_000_000))), nil
	}
	return String(d.arenaBytes(time.Unix(sec, nanos).UTC().AppendFormat(d.scratch(), time.RFC3339Nano))), nil
}

func (d *pbDecoder) scratch() []byte {
	var b [40]byte
	return b[:0]
}

// arenaBytes returns b as a string in the arena.
func (d *pbDecoder) arenaBytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > pbChunk/8 {
		return string(b)
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		d.arena = make([]byte, 0, pbChunk)
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	return unsafe.String(&d.arena[start], len(b))
}

// elemWire is the wire type of one element of a packed field.
func elemWire(f *pbField) protowire.Type {
	switch f.typ {
	case pbFixed32, pbSfixed32, pbFloat:
		return protowire.Fixed32Type
	case pbFixed64, pbSfixed64, pbDouble:
		return protowire.Fixed64Type
	}
	return protowire.VarintType
}

// isPackedType reports a scalar type that may be packed.
func (f *pbField) isPackedType() bool {
	switch f.typ {
	case pbString, pbBytes, pbMessage, pbGroup:
		return false
	}
	return true
}

func (d *pbDecoder) wireMismatch(b []byte, f *pbField, typ protowire.Type) error {
	return d.errAt(b, "wire type %d does not fit the schema's %s (the writer's schema gives this field number another type)", typ, f.typeString())
}

// scalar decodes one scalar of f.
func (d *pbDecoder) scalar(s *pbSlot, f *pbField, typ protowire.Type, b []byte) (Value, int, error) {
	switch f.typ {
	case pbString, pbBytes:
		if typ != protowire.BytesType {
			return Null, 0, d.wireMismatch(b, f, typ)
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return Null, 0, d.errAt(b, "truncated string")
		}
		if f.typ == pbBytes {
			return String(base64.StdEncoding.EncodeToString(v)), n, nil
		}
		str, err := d.text(f, v)
		return String(str), n, err
	}
	if typ != elemWire(f) {
		return Null, 0, d.wireMismatch(b, f, typ)
	}
	var u uint64
	var n int
	switch typ {
	case protowire.VarintType:
		u, n = protowire.ConsumeVarint(b)
	case protowire.Fixed32Type:
		var u32 uint32
		u32, n = protowire.ConsumeFixed32(b)
		u = uint64(u32)
	default:
		u, n = protowire.ConsumeFixed64(b)
	}
	if n < 0 {
		return Null, 0, d.errAt(b, "truncated %s", f.typeString())
	}
	switch f.typ {
	case pbBool:
		return Bool(u != 0), n, nil
	case pbInt32, pbSfixed32:
		return Int(int64(int32(u))), n, nil
	case pbInt64, pbSfixed64:
		return Int(int64(u)), n, nil
	case pbUint32, pbFixed32:
		return Int(int64(uint32(u))), n, nil
	case pbUint64, pbFixed64:
		if u > math.MaxInt64 {
			return Number(float64(u)), n, nil
		}
		return Int(int64(u)), n, nil
	case pbSint32:
		return Int(int64(int32(protowire.DecodeZigZag(u & math.MaxUint32)))), n, nil
	case pbSint64:
		return Int(protowire.DecodeZigZag(u)), n, nil
	case pbDouble:
		return Number(math.Float64frombits(u)), n, nil
	case pbFloat:
		return float32Value(math.Float32frombits(uint32(u))), n, nil
	case pbEnum:
		if name, ok := f.enum.byNumber[int32(u)]; ok {
			return String(name), n, nil
		}
		return String(strconv.FormatInt(int64(int32(u)), 10)), n, nil
	}
	return Null, 0, d.errAt(b, "unsupported field type %s", f.typeString())
}

// float32Value is the number a float field holds, as its shortest decimal
// (0.1, not 0.10000000149011612), which is what a producer wrote.
func float32Value(f float32) Value {
	if math.IsInf(float64(f), 0) || math.IsNaN(float64(f)) {
		return Number(float64(f))
	}
	x, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'g', -1, 32), 64)
	return Number(x)
}

// text returns a string field's value: valid UTF-8 (proto3 requires it;
// proto2's invalid bytes become U+FFFD, as the JSON codec does), in NFC as
// cty strings are.
func (d *pbDecoder) text(f *pbField, v []byte) (string, error) {
	ascii := true
	for _, c := range v {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return d.arenaBytes(v), nil
	}
	if !utf8.Valid(v) {
		if f.parentFile.syntax == "proto3" {
			return "", d.errAt(v, "string is not valid UTF-8")
		}
		v = []byte(string([]rune(string(v))))
	}
	return norm.NFC.String(string(v)), nil
}
