package eval

import (
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

// showNum is a number as a test reads it: "int 5" or "float 2.5".
func showNum(v Value) string {
	if v.Kind != KindNumber {
		return "not a number"
	}
	if i, ok := v.Int64(); ok {
		return "int " + numString(Int(i))
	}
	f := v.Float()
	if f == 0 && math.Signbit(f) {
		return "float -0"
	}
	return "float " + numString(v)
}

// TestNumberCanonical: an integer within int64 is held as one, whatever
// produced it, so equal numbers are held alike.
func TestNumberCanonical(t *testing.T) {
	for _, tt := range []struct {
		v    Value
		want string
	}{
		{Number(3), "int 3"},
		{Number(-1e18), "int -1000000000000000000"},
		{Number(0x1p62), "int 4611686018427387904"},
		{Number(-0x1p63), "int -9223372036854775808"},
		{Number(0x1p63), "float 9223372036854776000"}, // float64's shortest form
		{Number(2.5), "float 2.5"},
		{Number(math.Copysign(0, -1)), "float -0"},
		{Int(math.MaxInt64), "int 9223372036854775807"},
		{FromCty(cty.MustParseNumberVal("1234567890123456789")), "int 1234567890123456789"},
		{FromCty(cty.MustParseNumberVal("1234567890123456789.0")), "int 1234567890123456789"},
		{FromCty(cty.MustParseNumberVal("9223372036854775808")), "float 9223372036854776000"},
		{FromCty(cty.MustParseNumberVal("0.5")), "float 0.5"},
	} {
		if got := showNum(tt.v); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
	if got := ToCty(Int(1234567890123456789), cty.Number); !got.RawEquals(cty.NumberIntVal(1234567890123456789)) {
		t.Errorf("ToCty: %#v", got)
	}
}

// TestNumberArithmetic: exact within int64, the float64 nearest to the
// exact result beyond it or when it is not an integer. Expected values by
// hand.
func TestNumberArithmetic(t *testing.T) {
	const id = 1234567890123456789
	big := Int(id)
	for _, tt := range []struct {
		name string
		got  func() (Value, error)
		want string
	}{
		{"id+1", func() (Value, error) { return numAdd(big, Int(1)) }, "int 1234567890123456790"},
		{"id-(id-1)", func() (Value, error) { return numSub(big, Int(id-1)) }, "int 1"},
		{"id*7", func() (Value, error) { return numMul(big, Int(7)) }, "int 8641975230864197523"},
		{"id/3", func() (Value, error) { return numDiv(big, Int(3)) }, "int 411522630041152263"},
		{"id%1000", func() (Value, error) { return numMod(big, Int(1000)) }, "int 789"},
		{"-id%1000", func() (Value, error) { return numMod(Int(-id), Int(1000)) }, "int -789"},
		{"id%0", func() (Value, error) { return numMod(big, Int(0)) }, "int 1234567890123456789"},
		{"MaxInt64+1", func() (Value, error) { return numAdd(Int(math.MaxInt64), Int(1)) }, "float 9223372036854776000"},
		{"MinInt64-1", func() (Value, error) { return numSub(Int(math.MinInt64), Int(1)) }, "int -9223372036854775808"}, // the nearest float64 is -2^63
		{"id*10", func() (Value, error) { return numMul(big, Int(10)) }, "float 12345678901234567000"},
		{"MinInt64*-1", func() (Value, error) { return numMul(Int(math.MinInt64), Int(-1)) }, "float 9223372036854776000"},
		{"MinInt64/-1", func() (Value, error) { return numDiv(Int(math.MinInt64), Int(-1)) }, "float 9223372036854776000"},
		{"MinInt64%-1", func() (Value, error) { return numMod(Int(math.MinInt64), Int(-1)) }, "int 0"},
		{"3037000500*3037000500", func() (Value, error) { return numMul(Int(3037000500), Int(3037000500)) }, "float 9223372037000250000"},
		{"3037000499*3037000499", func() (Value, error) { return numMul(Int(3037000499), Int(3037000499)) }, "int 9223372030926249001"},
		{"7/2", func() (Value, error) { return numDiv(Int(7), Int(2)) }, "float 3.5"},
		{"0*-5", func() (Value, error) { return numMul(Int(0), Int(-5)) }, "float -0"},
		{"1/0", func() (Value, error) { return numDiv(Int(1), Int(0)) }, "float +Inf"},
		{"-1/0", func() (Value, error) { return numDiv(Int(-1), Int(0)) }, "float -Inf"},
		// An integer and a non-integer: the exact result, an integer here.
		{"(id-1)*0.5", func() (Value, error) { return numMul(Int(id-1), Number(0.5)) }, "int 617283945061728394"},
		{"id+0.5-0.5", func() (Value, error) {
			v, _ := numAdd(big, Number(0.5))
			return numSub(v, Number(0.5))
		}, "int 1234567890123456768"}, // id+0.5 is no integer: rounded to float64 first
		// 2^62 + 100.25 is no integer; doubles there are 1024 apart.
		{"2^62+100.25", func() (Value, error) { return numAdd(Int(1<<62), Number(100.25)) }, "int 4611686018427387904"},
		{"2^62+600", func() (Value, error) { return numAdd(Int(1<<62), Number(600)) }, "int 4611686018427388504"},
		{"2^62+600.5", func() (Value, error) { return numAdd(Int(1<<62), Number(600.5)) }, "int 4611686018427388928"},
		{"-MinInt64", func() (Value, error) { return numNeg(Int(math.MinInt64)), nil }, "float 9223372036854776000"},
		{"-0", func() (Value, error) { return numNeg(Int(0)), nil }, "float -0"},
		{"abs(-id)", func() (Value, error) { return numAbs(Int(-id)), nil }, "int 1234567890123456789"},
	} {
		v, err := tt.got()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := showNum(v); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, got, tt.want)
		}
	}
	if _, err := numDiv(Int(0), Int(0)); err == nil {
		t.Error("0/0: no error")
	}
}

// TestNumberCompare: exact for every pair, beyond 2^53 included, where a
// float64 comparison would call neighbours equal.
func TestNumberCompare(t *testing.T) {
	const id = 1234567890123456789
	for _, tt := range []struct {
		a, b Value
		want int
	}{
		{Int(id), Int(id - 1), 1},
		{Int(id), Number(1234567890123456768), 1}, // the float64 nearest id
		{Int(id - 21), Number(1234567890123456768), 0},
		{Number(1.2345678901234568e18), Int(id), -1},
		{Int(math.MaxInt64), Number(0x1p63), -1},
		{Int(math.MinInt64), Number(-0x1p63), 0},
		{Int(math.MinInt64), Number(-0x1p64), 1},
		{Int(2), Number(2.5), -1},
		{Int(-2), Number(-2.5), 1},
		{Int(0), Number(math.Copysign(0, -1)), 0},
		{Int(5), Number(math.Inf(1)), -1},
	} {
		c, ok := numCompare(tt.a, tt.b)
		if !ok || c != tt.want {
			t.Errorf("compare(%s, %s) = %d, %v; want %d", showNum(tt.a), showNum(tt.b), c, ok, tt.want)
		}
		if c2, _ := numCompare(tt.b, tt.a); c2 != -tt.want {
			t.Errorf("compare(%s, %s) = %d, want %d", showNum(tt.b), showNum(tt.a), c2, -tt.want)
		}
		if eq := numEqual(tt.a, tt.b); eq != (tt.want == 0) {
			t.Errorf("equal(%s, %s) = %v", showNum(tt.a), showNum(tt.b), eq)
		}
	}
	if _, ok := numCompare(Int(1), Number(math.NaN())); ok {
		t.Error("NaN compared as ordered")
	}
}

// TestCodecIntegers: JSON integers decode digit for digit and encode back
// unchanged; integers written with a fraction or exponent decode to the
// same value; integers beyond int64 are float64s.
func TestCodecIntegers(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{"n": cty.Number, "a": cty.DynamicPseudoType, "s": cty.String}))
	for _, tt := range []struct {
		in, want string
	}{
		{`{"n":1234567890123456789}`, `{"a":null,"n":1234567890123456789,"s":null}`},
		{`{"n":-9223372036854775808,"a":9223372036854775807}`, `{"a":9223372036854775807,"n":-9223372036854775808,"s":null}`},
		{`{"n":1234567890123456789.0}`, `{"a":null,"n":1234567890123456789,"s":null}`},
		{`{"n":1.234567890123456789e18}`, `{"a":null,"n":1234567890123456789,"s":null}`},
		{`{"n":"1234567890123456789"}`, `{"a":null,"n":1234567890123456789,"s":null}`},
		// Beyond int64: a float64, written in its shortest form as
		// encoding/json writes it.
		{`{"n":9223372036854775808}`, `{"a":null,"n":9223372036854776000,"s":null}`},
		{`{"n":12345678901234567890}`, `{"a":null,"n":12345678901234567000,"s":null}`},
		{`{"n":1.5,"a":[9007199254740993]}`, `{"a":[9007199254740993],"n":1.5,"s":null}`},
		{`{"n":-0}`, `{"a":null,"n":-0,"s":null}`},
		{`{"s":1234567890123456789}`, `{"a":null,"n":null,"s":"1234567890123456789"}`},
	} {
		r, err := DecodeJSON(l, []byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, string(r.AppendJSON(nil))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestIntegerExpressions: what the issue reported, through compiled
// programs, with the expected text by hand.
func TestIntegerExpressions(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{"id": cty.Number, "ref": cty.Number}))
	r := NewRecord(l)
	r.Values[0], r.Values[1] = Int(1234567890123456789), Int(1234567890123456788)
	roots := []Root{{Name: "record", Layout: l}}
	for src, want := range map[string]string{
		`tostring(record.id)`:                     `"1234567890123456789"`,
		`format("%d", record.id)`:                 `"1234567890123456789"`,
		`"id ${record.id}"`:                       `"id 1234567890123456789"`,
		`jsonencode(record.id)`:                   `"1234567890123456789"`,
		`record.id == record.ref`:                 `false`,
		`record.id > record.ref`:                  `true`,
		`record.id == 1234567890123456789`:        `true`,
		`record.id > 1234567890123456780`:         `true`,
		`record.id - record.ref`:                  `1`,
		`max(record.id, record.ref)`:              `1234567890123456789`,
		`min(record.id, record.ref, 1e300)`:       `1234567890123456788`,
		`var.big + 1`:                             `1234567890123456790`,
		`record.id == var.big`:                    `true`,
		`{ id = record.id, n = [record.ref] }`:    `{"id":1234567890123456789,"n":[1234567890123456788]}`,
		`tonumber("1234567890123456789") - 1`:     `1234567890123456788`,
		`floor(record.id) + ceil(record.ref)`:     `2469135780246913577`,
		`parseint("1234567890123456789", 10) + 0`: `1234567890123456789`,
	} {
		c := Consts{Vars: map[string]cty.Value{"big": cty.MustParseNumberVal("1234567890123456789")}}
		p, diags := Compile(exprAt(src), roots, c)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", src, diags)
		}
		v, err := p.Eval(Frame{r})
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := string(AppendValueJSON(nil, v)); got != want {
			t.Errorf("%s = %s, want %s", src, got, want)
		}
	}
}

// TestIntegerFilterAllocs: filters on 64-bit integers take the full
// evaluator (a float64 cannot hold them) and still allocate nothing.
func TestIntegerFilterAllocs(t *testing.T) {
	l := NewLayout(cty.Object(map[string]cty.Type{"id": cty.Number, "ref": cty.Number}))
	r := NewRecord(l)
	r.Values[0], r.Values[1] = Int(1234567890123456789), Int(1234567890123456788)
	for _, src := range []string{
		`record.id > 1234567890123456780`,
		`record.id != record.ref && record.id + 1 > record.ref`,
		`record.id % 1000 == 789`,
	} {
		p, diags := Compile(exprAt(src), []Root{{Name: "record", Layout: l}}, Consts{})
		if diags.HasErrors() {
			t.Fatalf("%s: %s", src, diags)
		}
		var ok bool
		allocs := testing.AllocsPerRun(100, func() { ok, _ = p.EvalBool(Frame{r}) })
		if allocs != 0 || !ok {
			t.Errorf("%s: %v allocs, result %v; want 0 allocs, true", src, allocs, ok)
		}
	}
}

// TestAggregateIntegers: sums of integers keep their digits, min and max
// compare exactly, count_distinct tells neighbours apart.
func TestAggregateIntegers(t *testing.T) {
	agg := mustFakeAggregator(t)
	add := func(acc *Acc, ns ...int64) {
		for _, n := range ns {
			if err := agg.Add(acc, aggRow{"c1", Int(n), Null, 0}.frame(), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	show := func(r *Record) string {
		var sb strings.Builder
		for _, name := range []string{"total", "largest", "smallest", "amounts"} {
			sb.WriteString(name + " " + showNum(r.Get(name)) + "; ")
		}
		return sb.String()
	}
	acc := agg.NewAcc()
	add(acc, 1000000000000000001, 2000000000000000002, 9007199254740993, 9007199254740992)
	// 1000000000000000001 + 2000000000000000002 + 9007199254740993 +
	// 9007199254740992 = 3018014398509481988.
	want := "total int 3018014398509481988; largest int 2000000000000000002; smallest int 9007199254740992; amounts int 4; "
	if got := show(agg.Result(nil, acc, Interval{0, 1})); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	// Through the checkpoint encoding too.
	b, err := acc.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalAcc(agg, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := show(agg.Result(nil, back, Interval{0, 1})); got != want {
		t.Errorf("after a checkpoint: got %s\nwant %s", got, want)
	}
	// A sum past int64 is the float64 nearest to it: 2^64 - 2.
	acc = agg.NewAcc()
	add(acc, math.MaxInt64, math.MaxInt64)
	if got := showNum(agg.Result(nil, acc, Interval{0, 1}).Get("total")); got != "float 18446744073709552000" {
		t.Errorf("sum past int64 = %s", got)
	}
	// Back within int64, the sum is exact again.
	add(acc, math.MinInt64, math.MinInt64, 5)
	if got := showNum(agg.Result(nil, acc, Interval{0, 1}).Get("total")); got != "int 3" {
		t.Errorf("sum back within int64 = %s, want int 3", got)
	}
}

// TestCountDistinctIntegers: neighbouring 64-bit integers are two values.
func TestCountDistinctIntegers(t *testing.T) {
	agg := mustFakeAggregator(t)
	acc := agg.NewAcc()
	for _, n := range []int64{9007199254740993, 9007199254740992, 9007199254740993} {
		r := aggRow{"c1", Null, Null, 0}.frame()
		i, _ := r[0].Layout.Index("item")
		r[0].Values[i] = Int(n) // a dynamically typed argument may hold numbers
		if err := agg.Add(acc, r, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := showNum(agg.Result(nil, acc, Interval{0, 1}).Get("items")); got != "int 2" {
		t.Errorf("count_distinct = %s, want int 2", got)
	}
}

// TestValueSize: exact integers share the number's 8 bytes with float64s,
// so a Value stays the 64 bytes the fast path was designed around.
func TestValueSize(t *testing.T) {
	if n := unsafe.Sizeof(Value{}); n != 64 {
		t.Errorf("Value is %d bytes, want 64", n)
	}
}

// TestStringToNumber: converting a string to a number (tonumber, or a
// string operand of arithmetic) gives what cty.ParseNumberVal gives, on the
// decimal-integer fast path and off it: the same number, held the same way
// (an exact integer, or a float; -0 stays a float).
func TestStringToNumber(t *testing.T) {
	for _, s := range []string{
		"0", "7", "08", "0000000000000000000000012", "18", "-5", "-0", "-00", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "12345678901234567890",
		"1e3", "1.5", "+5", " 5", "5 ", "", "-", "0x10", "١٢",
	} {
		want, werr := cty.ParseNumberVal(s)
		got, gerr := convertPrim(String(s), cty.String, cty.Number)
		if (werr != nil) != (gerr != nil) {
			t.Errorf("%q: error %v, cty's %v", s, gerr, werr)
			continue
		}
		if werr != nil {
			continue
		}
		w := numberFromBig(want.AsBigFloat())
		if showNum(got) != showNum(w) || math.Signbit(got.Float()) != math.Signbit(w.Float()) {
			t.Errorf("%q: got %s, want %s", s, showNum(got), showNum(w))
		}
	}
}
