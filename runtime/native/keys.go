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

// keyBigInt marks a number key that is an integer beyond 2^53, which a
// float64 cannot hold: its int64 follows. Every other number is encoded
// as its float64 bits after byte(KindNumber), as before exact integers
// existed, so state keyed by them stays readable.
const keyBigInt = 0x80 | byte(eval.KindNumber)

// appendKey appends a canonical binary encoding of v, used to group records
// by key (dedupe, join and aggregate keys) and inside state keys. Two values
// encode equally exactly when they are equal as eval values: numbers
// compare exactly (1 and 1.0 are one key, 1234567890123456789 and
// 1234567890123456788 are two), -0 equals 0.
func appendKey(b []byte, v eval.Value) []byte {
	if i, ok := v.Int64(); ok && (i > 1<<53 || i < -1<<53) {
		b = append(b, keyBigInt)
		return binary.BigEndian.AppendUint64(b, uint64(i))
	}
	b = append(b, byte(v.Kind))
	switch v.Kind {
	case eval.KindBool:
		if v.Bool {
			return append(b, 1)
		}
		return append(b, 0)
	case eval.KindNumber:
		f := v.Float()
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
