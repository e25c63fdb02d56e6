package eval

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/pipeline-compiler/pipeline/internal/suggest"
	"google.golang.org/protobuf/encoding/protowire"
)

func pbEncErr(format string, args ...any) error {
	return &EncodeError{Format: FormatProtobuf, Reason: fmt.Sprintf(format, args...)}
}

// pbEncoder writes records in the wire format, fields in field-number order
// (as protobuf's own serializers do), proto3 defaults of fields without
// presence left out. With strict unset, a value the schema cannot carry is
// left out instead of failing the record.
type pbEncoder struct {
	strict bool
	// bufs is scratch space: at 2*depth+1 for a packed field's or a map
	// entry's bytes, at 2*depth+2 for a nested message's body, so that no
	// two buffers in use at once share one.
	bufs [][]byte
}

func (e *pbEncoder) scratch(depth int) []byte {
	for len(e.bufs) <= depth {
		e.bufs = append(e.bufs, nil)
	}
	return e.bufs[depth][:0]
}

// fieldValue returns r's value of s's field, by slot when r has p's layout.
func fieldValue(p *pbPlan, s *pbSlot, r *Record) Value {
	if r.Layout == p.layout {
		if s.slot < 0 {
			return Null
		}
		return r.Values[s.slot]
	}
	return r.Get(s.f.name)
}

func (e *pbEncoder) message(dst []byte, p *pbPlan, r *Record, depth int) ([]byte, error) {
	if depth > 100 {
		return dst, pbEncErr("nested too deeply")
	}
	if e.strict {
		for i, members := range p.oneofs {
			set := ""
			for _, s := range members {
				if fieldValue(p, s, r).IsNull() {
					continue
				}
				if set != "" {
					return dst, pbEncErr("fields %s and %s are both set, but oneof %s holds at most one", set, s.f.name, p.msg.oneofs[i])
				}
				set = s.f.name
			}
		}
	}
	for _, s := range p.fields {
		v := fieldValue(p, s, r)
		out, err := e.field(dst, s, v, depth)
		if err != nil {
			if e.strict {
				return dst, inEncField(err, s.f.name)
			}
			continue // the field is left out
		}
		dst = out
	}
	return dst, nil
}

// field appends one field of a message.
func (e *pbEncoder) field(dst []byte, s *pbSlot, v Value, depth int) ([]byte, error) {
	f := s.f
	num := protowire.Number(f.number)
	if v.IsNull() {
		switch {
		case f.label == pbLabelRequired:
			return dst, pbEncErr("is null, but the field is required")
		case f.repeated() || f.hasPresence():
			return dst, nil
		}
		return dst, pbEncErr("is null, but %s field %s has no presence (make it optional to carry nulls)", f.typeString(), f.name)
	}
	switch {
	case f.isMap():
		if v.Kind != KindObject {
			return dst, pbEncErr("want a map, got %s", pbKindName(v))
		}
		for i, k := range v.Obj.Layout.Names {
			entry := e.scratch(2*depth + 1)
			var err error
			if entry, err = e.mapKey(entry, s.mapK, k); err != nil {
				return dst, inEncField(err, "["+strconv.Quote(k)+"]")
			}
			if ev := v.Obj.Values[i]; !ev.IsNull() {
				if entry, err = e.value(entry, s, s.mapV, 2, ev, depth); err != nil {
					return dst, inEncField(err, "["+strconv.Quote(k)+"]")
				}
			}
			e.bufs[2*depth+1] = entry
			dst = protowire.AppendTag(dst, num, protowire.BytesType)
			dst = protowire.AppendBytes(dst, entry)
		}
		return dst, nil
	case f.repeated():
		if v.Kind != KindList {
			return dst, pbEncErr("want a list, got %s", pbKindName(v))
		}
		if f.isPacked() && len(v.List) > 0 {
			packed := e.scratch(2*depth + 1)
			for i, x := range v.List {
				var err error
				if packed, err = appendPBScalar(packed, f, x); err != nil {
					return dst, inEncField(err, fmt.Sprintf("[%d]", i))
				}
			}
			e.bufs[2*depth+1] = packed
			dst = protowire.AppendTag(dst, num, protowire.BytesType)
			return protowire.AppendBytes(dst, packed), nil
		}
		for i, x := range v.List {
			if x.IsNull() {
				return dst, pbEncErr("[%d] is null, which a repeated field cannot hold", i)
			}
			var err error
			if dst, err = e.value(dst, s, f, num, x, depth); err != nil {
				return dst, inEncField(err, fmt.Sprintf("[%d]", i))
			}
		}
		return dst, nil
	}
	if !f.hasPresence() && pbIsZero(f, v) {
		return dst, nil
	}
	return e.value(dst, s, f, num, v, depth)
}

// value appends one tagged value of f (a field, a list element or a map
// value).
func (e *pbEncoder) value(dst []byte, s *pbSlot, f *pbField, num protowire.Number, v Value, depth int) ([]byte, error) {
	if f.typ != pbMessage {
		dst = protowire.AppendTag(dst, num, elemWireOrBytes(f))
		return appendPBScalar(dst, f, v)
	}
	body := e.scratch(2*depth + 2)
	var err error
	switch {
	case s.ts:
		if body, err = appendPBTimestamp(body, v); err != nil {
			return dst, err
		}
	case s.wrap != nil:
		if !pbIsZero(s.wrap, v) {
			body = protowire.AppendTag(body, 1, elemWireOrBytes(s.wrap))
			if body, err = appendPBScalar(body, s.wrap, v); err != nil {
				return dst, err
			}
		}
	default:
		if v.Kind != KindObject {
			return dst, pbEncErr("want an object, got %s", pbKindName(v))
		}
		if body, err = e.message(body, s.nest, v.Obj, depth+1); err != nil {
			return dst, err
		}
	}
	e.bufs[2*depth+2] = body
	dst = protowire.AppendTag(dst, num, protowire.BytesType)
	return protowire.AppendBytes(dst, body), nil
}

func elemWireOrBytes(f *pbField) protowire.Type {
	if f.typ == pbString || f.typ == pbBytes || f.typ == pbMessage {
		return protowire.BytesType
	}
	return elemWire(f)
}

// mapKey appends a map entry's key (field 1) from its string form.
func (e *pbEncoder) mapKey(dst []byte, f *pbField, k string) ([]byte, error) {
	var v Value
	switch f.typ {
	case pbString:
		v = String(k)
	case pbBool:
		b, err := strconv.ParseBool(k)
		if err != nil {
			return dst, pbEncErr("map key %q is not a bool", k)
		}
		v = Bool(b)
	default:
		if i, err := strconv.ParseInt(k, 10, 64); err == nil {
			v = Int(i)
		} else if u, err := strconv.ParseUint(k, 10, 64); err == nil {
			v = Number(float64(u))
		} else {
			return dst, pbEncErr("map key %q is not an integer", k)
		}
	}
	dst = protowire.AppendTag(dst, 1, elemWireOrBytes(f))
	return appendPBScalar(dst, f, v)
}

func pbKindName(v Value) string {
	switch v.Kind {
	case KindBool:
		return "a bool"
	case KindNumber:
		return "a number"
	case KindString:
		return "a string"
	case KindList:
		return "a list"
	case KindObject:
		return "an object"
	}
	return "null"
}

// pbIsZero reports a proto3 default, which a field without presence leaves
// out.
func pbIsZero(f *pbField, v Value) bool {
	switch v.Kind {
	case KindBool:
		return !v.Bool
	case KindString:
		if f.typ == pbEnum {
			n, ok := f.enum.byName[v.Str]
			return ok && n == 0 || v.Str == "0"
		}
		return v.Str == ""
	case KindNumber:
		if i, ok := v.Int64(); ok {
			return i == 0
		}
		f := v.Float()
		return f == 0 && !math.Signbit(f)
	}
	return false
}

// appendPBScalar appends the untagged value of a scalar field.
func appendPBScalar(dst []byte, f *pbField, v Value) ([]byte, error) {
	switch f.typ {
	case pbString:
		if v.Kind != KindString {
			return dst, pbEncErr("want a string, got %s", pbKindName(v))
		}
		return protowire.AppendString(dst, v.Str), nil
	case pbBytes:
		if v.Kind != KindString {
			return dst, pbEncErr("want base64 text, got %s", pbKindName(v))
		}
		b, err := base64.StdEncoding.DecodeString(v.Str)
		if err != nil {
			return dst, pbEncErr("bytes field holds %q, which is not standard base64", v.Str)
		}
		return protowire.AppendBytes(dst, b), nil
	case pbBool:
		if v.Kind != KindBool {
			return dst, pbEncErr("want a bool, got %s", pbKindName(v))
		}
		return protowire.AppendVarint(dst, protowire.EncodeBool(v.Bool)), nil
	case pbEnum:
		if v.Kind != KindString {
			return dst, pbEncErr("want an enum name, got %s", pbKindName(v))
		}
		n, ok := f.enum.byName[v.Str]
		if !ok {
			i, err := strconv.ParseInt(v.Str, 10, 32)
			if err != nil {
				names := make([]string, len(f.enum.values))
				for j, ev := range f.enum.values {
					names[j] = ev.name
				}
				if s := suggest.Closest(v.Str, names); s != "" {
					return dst, pbEncErr("%q is not a value of enum %s; did you mean %q?", v.Str, f.enum.name, s)
				}
				return dst, pbEncErr("%q is not a value of enum %s", v.Str, f.enum.name)
			}
			n = int32(i)
		}
		return protowire.AppendVarint(dst, uint64(int64(n))), nil
	case pbDouble:
		if v.Kind != KindNumber {
			return dst, pbEncErr("want a number, got %s", pbKindName(v))
		}
		x, exact := v.exactFloat()
		if !exact {
			return dst, pbEncErr("%s is an integer a double cannot hold exactly (beyond 2^53)", numText(v))
		}
		return protowire.AppendFixed64(dst, math.Float64bits(x)), nil
	case pbFloat:
		if v.Kind != KindNumber {
			return dst, pbEncErr("want a number, got %s", pbKindName(v))
		}
		x := float32(v.Float())
		if math.IsInf(float64(x), 0) && !math.IsInf(v.Float(), 0) {
			return dst, pbEncErr("%v is beyond a float's range", v.Float())
		}
		return protowire.AppendFixed32(dst, math.Float32bits(x)), nil
	}
	if v.Kind != KindNumber {
		return dst, pbEncErr("want a number, got %s", pbKindName(v))
	}
	i, isInt := v.Int64()
	var u uint64 // for the unsigned types
	switch f.typ {
	case pbUint64, pbFixed64:
		switch fl := v.Float(); {
		case isInt && i >= 0:
			u = uint64(i)
		case !isInt && fl >= 0x1p63 && fl < 0x1p64 && fl == math.Trunc(fl):
			u = uint64(fl)
		default:
			return dst, pbEncErr("%s is not a %s", numText(v), f.typeString())
		}
	case pbUint32, pbFixed32:
		if !isInt || i < 0 || i > math.MaxUint32 {
			return dst, pbEncErr("%s is not a %s", numText(v), f.typeString())
		}
		u = uint64(i)
	case pbInt32, pbSint32, pbSfixed32:
		if !isInt || i < math.MinInt32 || i > math.MaxInt32 {
			return dst, pbEncErr("%s is not an %s", numText(v), f.typeString())
		}
	default:
		if !isInt {
			return dst, pbEncErr("%s is not an %s", numText(v), f.typeString())
		}
	}
	switch f.typ {
	case pbInt32, pbInt64:
		return protowire.AppendVarint(dst, uint64(i)), nil
	case pbUint32, pbUint64:
		return protowire.AppendVarint(dst, u), nil
	case pbSint32, pbSint64:
		return protowire.AppendVarint(dst, protowire.EncodeZigZag(i)), nil
	case pbFixed32:
		return protowire.AppendFixed32(dst, uint32(u)), nil
	case pbSfixed32:
		return protowire.AppendFixed32(dst, uint32(int32(i))), nil
	case pbFixed64:
		return protowire.AppendFixed64(dst, u), nil
	case pbSfixed64:
		return protowire.AppendFixed64(dst, uint64(i)), nil
	}
	return dst, pbEncErr("unsupported field type %s", f.typeString())
}

func numText(v Value) string {
	if i, ok := v.Int64(); ok {
		return strconv.FormatInt(i, 10)
	}
	return strconv.FormatFloat(v.Float(), 'g', -1, 64)
}

// appendPBTimestamp appends a google.protobuf.Timestamp's fields from RFC
// 3339 text (nanoseconds kept) or epoch milliseconds.
func appendPBTimestamp(dst []byte, v Value) ([]byte, error) {
	var sec, nanos int64
	switch v.Kind {
	case KindString:
		if t, err := time.Parse(time.RFC3339Nano, v.Str); err == nil {
			sec, nanos = t.Unix(), int64(t.Nanosecond())
		} else {
			ms, err := ParseTimestamp(v.Str)
			if err != nil {
				return dst, pbEncErr("%v", err)
			}
			sec, nanos = floorDiv(ms, 1000), (ms-floorDiv(ms, 1000)*1000)*1_000_000
		}
	case KindNumber:
		ms := int64(math.Floor(v.Float()))
		if i, ok := v.Int64(); ok {
			ms = i
		}
		sec, nanos = floorDiv(ms, 1000), (ms-floorDiv(ms, 1000)*1000)*1_000_000
	default:
		return dst, pbEncErr("want an RFC 3339 timestamp or epoch milliseconds, got %s", pbKindName(v))
	}
	if sec < MinEventTimeMs/1000 || sec > MaxEventTimeMs/1000 {
		return dst, pbEncErr("timestamp %s is outside 0001-01-01 .. 9999-12-31", numText(Int(sec)))
	}
	if sec != 0 {
		dst = protowire.AppendTag(dst, 1, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(sec))
	}
	if nanos != 0 {
		dst = protowire.AppendTag(dst, 2, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(nanos))
	}
	return dst, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) != (b < 0) {
		q--
	}
	return q
}
