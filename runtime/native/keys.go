package native

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// errNullKey rejects a record whose key (or a part of it) is null: a null
// key identifies nothing, and grouping all null-key records together would
// let a dedupe drop every one but the first, so such records go to the
// dead-letter topic with reason null_key in every keyed operator.
var errNullKey = errors.New("key is null")

// appendKey appends a canonical binary encoding of v, used to group records
// by key (dedupe, join and aggregate keys) and inside state keys. Two values
// encode equally exactly when they are equal as eval values: numbers compare
// as float64 (so 1 and 1.0 are one key), -0 equals 0.
func appendKey(b []byte, v eval.Value) []byte {
	b = append(b, byte(v.Kind))
	switch v.Kind {
	case eval.KindBool:
		if v.Bool {
			return append(b, 1)
		}
		return append(b, 0)
	case eval.KindNumber:
		f := v.Num
		if f == 0 {
			f = 0 // fold -0
		}
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
	case eval.KindString:
		b = binary.AppendUvarint(b, uint64(len(v.Str)))
		return append(b, v.Str...)
	case eval.KindList:
		b = binary.AppendUvarint(b, uint64(len(v.List)))
		for _, e := range v.List {
			b = appendKey(b, e)
		}
		return b
	case eval.KindObject:
		if v.Obj == nil {
			return append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(len(v.Obj.Values)))
		for i, e := range v.Obj.Values {
			name := v.Obj.Layout.Names[i]
			b = binary.AppendUvarint(b, uint64(len(name)))
			b = append(b, name...)
			b = appendKey(b, e)
		}
		return b
	}
	return b
}
