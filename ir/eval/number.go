package eval

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"

	"github.com/zclconf/go-cty/cty"
)

// Exact numbers (see Value). The operations here keep an integer exact as
// long as the result is an integer within int64: + - * and % of two
// integers, a quotient that divides evenly, negation, abs, min and max. A
// result beyond int64 falls back to the nearest float64 of the exact result
// (as a JSON number beyond int64 does), and arithmetic with a non-integer is
// float64 arithmetic, as before. Comparisons are exact for every pair,
// int64 against float64 included.

// numCompare orders two numbers exactly: -1, 0 or +1, and ok=false when
// either is NaN (unordered).
func numCompare(a, b Value) (int, bool) {
	return cmpNum(a.num, a.isInt, b.num, b.isInt)
}

// cmpNum is numCompare on the numbers' bits (see Value), for the fast
// path, which does not carry whole Values.
func cmpNum(ab uint64, aInt bool, bb uint64, bInt bool) (int, bool) {
	switch {
	case aInt && bInt:
		x, y := int64(ab), int64(bb)
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case aInt:
		return cmpIntFloat(int64(ab), math.Float64frombits(bb))
	case bInt:
		c, ok := cmpIntFloat(int64(bb), math.Float64frombits(ab))
		return -c, ok
	}
	x, y := math.Float64frombits(ab), math.Float64frombits(bb)
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	case x == y:
		return 0, true
	}
	return 0, false
}

// cmpIntFloat orders an int64 and a float64 exactly.
func cmpIntFloat(i int64, f float64) (int, bool) {
	switch {
	case math.IsNaN(f):
		return 0, false
	case f >= 0x1p63:
		return -1, true
	case f < -0x1p63:
		return 1, true
	}
	t := math.Trunc(f) // within int64 now
	ti := int64(t)
	switch {
	case i < ti:
		return -1, true
	case i > ti:
		return 1, true
	case f > t:
		return -1, true
	case f < t:
		return 1, true
	}
	return 0, true
}

// numEqual is == on two numbers: exact, NaN equal to nothing.
func numEqual(a, b Value) bool {
	if a.isInt && b.isInt {
		return a.num == b.num
	}
	c, ok := numCompare(a, b)
	return ok && c == 0
}

// negZero is -0, which cty yields for a zero product or quotient of
// operands of different signs.
var negZero = math.Copysign(0, -1)

// numAdd, numSub, numMul, numDiv and numMod are the arithmetic operators.
// A NaN result is an error (floatResult).
func numAdd(a, b Value) (Value, error) {
	if a.isInt && b.isInt {
		x, y := int64(a.num), int64(b.num)
		s := x + y
		if (s > x) == (y > 0) {
			return Int(s), nil
		}
		return bigNumber(new(big.Int).Add(big.NewInt(x), big.NewInt(y))), nil
	}
	return mixed('+', a, b, a.Float()+b.Float())
}

func numSub(a, b Value) (Value, error) {
	if a.isInt && b.isInt {
		x, y := int64(a.num), int64(b.num)
		s := x - y
		if (s < x) == (y > 0) {
			return Int(s), nil
		}
		return bigNumber(new(big.Int).Sub(big.NewInt(x), big.NewInt(y))), nil
	}
	return mixed('-', a, b, a.Float()-b.Float())
}

func numMul(a, b Value) (Value, error) {
	if a.isInt && b.isInt {
		x, y := int64(a.num), int64(b.num)
		if x == 0 || y == 0 {
			if (x < 0) != (y < 0) {
				return Number(negZero), nil
			}
			return Int(0), nil
		}
		if p, ok := mul64(x, y); ok {
			return Int(p), nil
		}
		return bigNumber(new(big.Int).Mul(big.NewInt(x), big.NewInt(y))), nil
	}
	return mixed('*', a, b, a.Float()*b.Float())
}

// mul64 multiplies without overflow, or reports false.
func mul64(x, y int64) (int64, bool) {
	neg := (x < 0) != (y < 0)
	ux, uy := absU(x), absU(y)
	hi, lo := bits.Mul64(ux, uy)
	if hi != 0 {
		return 0, false
	}
	if neg {
		if lo > 1<<63 {
			return 0, false
		}
		return -int64(lo), true // lo == 1<<63 wraps to MinInt64, as intended
	}
	if lo >= 1<<63 {
		return 0, false
	}
	return int64(lo), true
}

func absU(x int64) uint64 {
	if x < 0 {
		return uint64(-x) // MinInt64 wraps to 1<<63, its magnitude
	}
	return uint64(x)
}

// numDiv is cty's /: x/0 is ±infinity, 0/0 fails. Two integers give their
// exact quotient, correctly rounded when it is not an integer.
func numDiv(a, b Value) (Value, error) {
	if a.isInt && b.isInt {
		x, y := int64(a.num), int64(b.num)
		switch {
		case y == 0 && x == 0:
			return Null, errZeroDiv
		case y == 0:
			return Number(math.Inf(int(x>>63 | 1))), nil
		case x == 0:
			if y < 0 {
				return Number(negZero), nil
			}
			return Int(0), nil
		case x%y == 0 && !(x == math.MinInt64 && y == -1):
			return Int(x / y), nil
		case -1<<53 <= x && x <= 1<<53 && -1<<53 <= y && y <= 1<<53:
			return Number(float64(x) / float64(y)), nil // exact operands: one rounding
		}
		f, _ := new(big.Rat).SetFrac(big.NewInt(x), big.NewInt(y)).Float64()
		return Number(f), nil
	}
	x := a.Float() / b.Float()
	if math.IsNaN(x) {
		return Null, errZeroDiv
	}
	if b.Float() == 0 {
		return Number(x), nil
	}
	return mixed('/', a, b, x)
}

// mixed finishes an operation that is not on two integers, given r, its
// float64 result. That is the nearest float64 to the exact result except
// where an integer operand or the result is beyond 2^53: there the
// operation is redone exactly (a quotient to 256 bits), so that a result
// that is an integer within int64 keeps every digit (an ID times 0.5) and
// any other is the float64 nearest to it.
func mixed(op byte, a, b Value, r float64) (Value, error) {
	_, aok := a.exactFloat()
	_, bok := b.exactFloat()
	if aok && bok && !(math.Abs(r) >= 0x1p53 && (a.isInt || b.isInt)) ||
		math.IsInf(a.Float(), 0) || math.IsInf(b.Float(), 0) || math.IsNaN(r) {
		return floatResult(r)
	}
	x, y := numBig(a), numBig(b)
	z := new(big.Float).SetPrec(256)
	switch op {
	case '+':
		z.Add(x, y)
	case '-':
		z.Sub(x, y)
	case '*':
		z.Mul(x, y)
	default:
		z.Quo(x, y)
	}
	return numberFromBig(z), nil
}

// numMod is cty's %: x%0 is x; an infinite operand fails (cty panics on an
// infinite dividend; this returns an error instead). Otherwise cty computes
// a - b*trunc(a/b): for integers that is Go's %, and for other operands each
// step rounded to their 53-bit precision, which float64 arithmetic
// reproduces exactly (math.Mod, exact, would differ from it).
func numMod(a, b Value) (Value, error) {
	if a.isInt && b.isInt {
		x, y := int64(a.num), int64(b.num)
		if y == 0 {
			return a, nil
		}
		return Int(x % y), nil // MinInt64 % -1 is 0 in Go
	}
	x, y := a.Float(), b.Float()
	switch {
	case y == 0:
		return a, nil
	case math.IsInf(x, 0) || math.IsInf(y, 0):
		return Null, errModInf
	case !a.isInt && !b.isInt:
		return Number(x - y*math.Trunc(x/y)), nil
	}
	// An integer and a float64: cty's steps at cty's precisions (64 bits
	// for an integer, 53 for a float64, the larger for a result).
	ba, bb := numBig(a), numBig(b)
	t, _ := new(big.Float).Quo(ba, bb).Int(nil)
	w := new(big.Float).Copy(ba).SetInt(t) // at the dividend's precision, as cty does
	w.Mul(bb, w)
	w.Sub(ba, w)
	return numberFromBig(w), nil
}

// numBig is a finite number as cty holds it: an int64 with 64 bits of
// precision, a float64 with 53.
func numBig(v Value) *big.Float {
	if v.isInt {
		return new(big.Float).SetInt64(int64(v.num))
	}
	return new(big.Float).SetFloat64(v.Float())
}

// numNeg is unary minus. cty negates 0 to -0.
func numNeg(a Value) Value {
	if a.isInt {
		switch x := int64(a.num); x {
		case 0:
			return Number(negZero)
		case math.MinInt64:
			return Number(0x1p63)
		default:
			return Int(-x)
		}
	}
	return Number(-a.Float())
}

// numAbs is abs().
func numAbs(a Value) Value {
	if a.isInt {
		if x := int64(a.num); x < 0 {
			return numNeg(a)
		}
		return a
	}
	return Number(math.Abs(a.Float()))
}

func floatResult(x float64) (Value, error) {
	if math.IsNaN(x) {
		return Null, errNaN
	}
	return Number(x), nil
}

// bigNumber is the number nearest to the integer z.
func bigNumber(z *big.Int) Value {
	if z.IsInt64() {
		return Int(z.Int64())
	}
	f, _ := new(big.Float).SetInt(z).Float64()
	return Number(f)
}

// numberFromBig converts a cty number: exactly when it is an integer within
// int64, else to the nearest float64 (±Inf beyond float64's range).
func numberFromBig(bf *big.Float) Value {
	if bf.IsInt() {
		if i, acc := bf.Int64(); acc == big.Exact && (i != 0 || !bf.Signbit()) {
			return Int(i)
		}
	}
	f, _ := bf.Float64()
	return Number(f)
}

// numberCtyVal converts a number to cty: an int64 exactly, a float64 as
// cty.NumberFloatVal. NaN, which no cty number holds, is reported false.
func numberCtyVal(v Value) (cty.Value, bool) {
	if v.isInt {
		return cty.NumberIntVal(int64(v.num)), true
	}
	f := v.Float()
	if math.IsNaN(f) {
		return cty.NilVal, false
	}
	return cty.NumberFloatVal(f), true
}

// appendNumString appends a number as cty converts it to a string
// (big.Float.Text('f', -1)): an integer's digits, a float64's shortest
// decimal form.
func appendNumString(dst []byte, v Value) []byte {
	if v.isInt {
		return strconv.AppendInt(dst, int64(v.num), 10)
	}
	return strconv.AppendFloat(dst, v.Float(), 'f', -1, 64)
}

// numString is appendNumString as a string.
func numString(v Value) string {
	if v.isInt {
		return strconv.FormatInt(int64(v.num), 10)
	}
	return strconv.FormatFloat(v.Float(), 'f', -1, 64)
}

// parseIntLiteral reads a JSON integer literal (an optional '-' and
// digits, no fraction or exponent) that fits int64, without allocating.
func parseIntLiteral(lit []byte) (int64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	digits := lit
	if neg {
		digits = lit[1:]
	}
	if len(digits) == 0 || len(digits) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0') // 19 digits cannot overflow uint64
	}
	if neg {
		if u > 1<<63 || u == 0 {
			return 0, false // -0 is a float: cty keeps its sign
		}
		return -int64(u), true // 1<<63 wraps to MinInt64
	}
	if u >= 1<<63 {
		return 0, false
	}
	return int64(u), true
}
