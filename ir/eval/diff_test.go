package eval

import (
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// diffSchema is the record schema of the differential test: every kind of
// attribute, including `any` slots that hold a different kind per record.
var diffSchema = cty.Object(map[string]cty.Type{
	"amount":  cty.Number,
	"qty":     cty.Number,
	"ms":      cty.Number,
	"name":    cty.String,
	"country": cty.String,
	"code":    cty.String,
	"ts":      cty.String,
	"flag":    cty.Bool,
	"tags":    cty.List(cty.String),
	"nums":    cty.List(cty.Number),
	"set":     cty.Set(cty.String),
	"m":       cty.Map(cty.String),
	"nested":  cty.Object(map[string]cty.Type{"x": cty.Number, "s": cty.String}),
	"any":     cty.DynamicPseudoType,
	"any2":    cty.DynamicPseudoType,
	// id and id2 hold 64-bit integers (diffInts): snowflake IDs, int64's
	// bounds. The any slots hold them among their numbers too.
	"id":  cty.Number,
	"id2": cty.Number,
})

var diffConsts = Consts{
	Vars: map[string]cty.Value{
		"min_amount": cty.NumberIntVal(100),
		"country":    cty.StringVal("us"),
		"pattern":    cty.StringVal("^([A-Z]+)-?([0-9]*)$"),
		"group":      cty.NumberIntVal(2),
		"list":       cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}),
		// Lookup tables, as a map(...) variable gives them. "K" and "é"
		// are hit by un-normalized keys ("\u212a", "e\u0301").
		"levels": cty.MapVal(map[string]cty.Value{
			"us": cty.StringVal("US-LEVEL"), "a": cty.StringVal("A"), "K": cty.StringVal("kelvin"),
			"\u00e9": cty.StringVal("eacute"), "12": cty.StringVal("twelve"), "true": cty.StringVal("T"),
			"100": cty.StringVal("hundred"), "": cty.StringVal("empty"),
		}),
		"weights": cty.MapVal(map[string]cty.Value{
			"us": cty.NumberIntVal(1), "a": cty.NumberFloatVal(2.5), "12": cty.NumberIntVal(12),
		}),
		"flags": cty.MapVal(map[string]cty.Value{"us": cty.True, "x": cty.False}),
		"maybe": cty.MapVal(map[string]cty.Value{"us": cty.StringVal("x"), "a": cty.NullVal(cty.String)}),
		"none":  cty.MapValEmpty(cty.String),
	},
	Locals: map[string]cty.Value{
		"factor": cty.NumberIntVal(2),
		"prefix": cty.StringVal("x-"),
		// An object-typed table of mixed attribute types, as a local gives.
		"mixed": cty.ObjectVal(map[string]cty.Value{
			"us": cty.StringVal("s"), "a": cty.NumberIntVal(1), "x": cty.True, "k": cty.NullVal(cty.String),
		}),
		"deep": cty.ObjectVal(map[string]cty.Value{"us": cty.TupleVal([]cty.Value{cty.StringVal("t")})}),
	},
}

// diffExprs are the expressions held to hcl's semantics: every supported
// form, and every function of Functions() at least once.
var diffExprs = []string{
	// literals and templates
	`42`, `"hello"`, `true`, `null`, `-1.5`, `[]`, `{}`,
	`"${record.name}-x"`, `"n=${record.amount}"`, `"${record.flag}"`, `"x${record.any}y"`,
	`"${record.name}"`, `"${record.code} and ${record.nested.s}"`,
	`"a%{if record.flag}yes%{else}no%{endif}b"`, `"%{for t in record.tags}${t},%{endfor}"`,
	`"${record.amount / 4}"`, `"${local.prefix}${record.name}"`, `"${-record.qty}"`,
	// traversals and indexes
	`record.amount`, `record.name`, `record.nested`, `record.nested.x`, `record.nested.s`,
	`record.tags`, `record.tags[0]`, `record.tags[1]`, `record.m["k"]`, `record.m.k`, `record.m`,
	`record.any`, `record.any.x`, `record.any[0]`, `record.nums[0]`, `record.set`,
	`var.min_amount`, `local.factor`, `var.list[1]`, `var.country`,
	`record.tags[record.qty]`, `record.m[record.code]`, `record.any[record.code]`,
	`record.nums[record.any]`, `(record.nested).x`, `[record.amount, record.name][1]`,
	`{a = record.name}.a`, `record.tags[*]`, `record.nested[*].x`, `record.any[*]`,
	`[for t in record.tags : upper(t)]`, `{for k, v in record.m : k => upper(v)}`,
	`[for t in record.tags : t if t != ""]`, `record.tags["0"]`, `record.m[0]`,
	// unary
	`!record.flag`, `-record.amount`, `!record.any`, `-record.any`, `-record.code`, `!record.code`,
	// arithmetic
	`record.amount + record.qty`, `record.amount - 1`, `record.amount * 2`,
	`record.amount / record.qty`, `record.amount % record.qty`, `record.code + 1`,
	`record.any + 1`, `record.amount * local.factor`, `record.amount / 0`, `record.qty % 0.5`,
	`-record.qty % 3`, `record.nested.x * record.qty - record.amount`, `0 / record.qty`,
	// comparison and equality
	`record.amount >= 100`, `record.amount < var.min_amount`, `record.code > 5`,
	`record.any <= 3`, `record.amount == record.qty`, `record.name == "us"`,
	`record.code == 12`, `record.any == "x"`, `record.any == null`, `record.amount != null`,
	`record.tags == ["a"]`, `record.nested == {x = 1, s = "a"}`, `record.any == record.any2`,
	`record.m == {k = "a"}`, `record.flag == true`, `record.code == "12"`, `null == null`,
	`record.any != record.code`, `record.tags == record.tags`, `record.name == record.country`,
	// logic, with hcl's short-circuit rules
	`record.flag && record.amount > 5`, `record.flag || record.any`, `record.any && true`,
	`record.flag && record.code`, `(record.amount + record.code > 0) && false`,
	`false && record.tags[5] == "x"`, `record.tags[5] == "x" || true`,
	`!record.flag || record.amount > 1`, `record.any || record.flag`, `record.flag && null`,
	`null || record.flag`, `tonumber(record.code) > 1 && record.flag`,
	// the benchmark filter and its case-folding peephole
	`record.amount >= 100 && lower(record.country) == "us"`, `upper(record.name) != "US"`,
	`lower(record.any) == "us"`, `"us" == lower(record.country)`, `lower(record.country) == "US"`,
	`upper(record.country) == "İ"`, `lower(record.name) == "k"`, `lower(record.amount) == "100"`,
	// conditionals
	`record.flag ? record.amount : 0`, `record.flag ? record.name : record.amount`,
	`record.flag ? null : record.name`, `record.any ? 1 : 2`, `record.code ? "y" : "n"`,
	`record.flag ? record.any : record.name`, `record.flag ? record.tags : []`,
	`record.amount > 0 ? record.tags[0] : "none"`, `record.flag ? record.any : 1`,
	`record.flag ? 1 : record.code + 1`, `record.flag ? record.nested : null`,
	// constructors
	`[record.amount, record.name]`, `{a = record.amount, b = upper(record.name)}`,
	`{(record.name) = 1}`, `{a = record.any, b = [record.flag, record.nested]}`,
	// string functions
	`upper(record.name)`, `lower(record.name)`, `lower(record.amount)`, `title(record.name)`,
	`trimspace(record.name)`, `trim(record.name, " x")`, `trimprefix(record.name, "u")`,
	`trimsuffix(record.name, "s")`, `replace(record.name, "u", "U")`, `replace(record.name, "", "-")`,
	`regex_replace(record.name, "[aeiou]", "_")`, `regex("[a-z]+", record.name)`,
	`regex_extract(record.name, "([a-z])([a-z]*)", 2)`, `regex_extract(record.name, "(x)?[a-z]", 1)`,
	`regex_extract(record.any, "[0-9]+", 0)`, `regex_extract(record.code, var.pattern, var.group)`,
	`split_index(record.name, "a", 1)`, `split_index(record.ts, "-", record.qty)`, `split_index(record.any, "1", 0)`,
	`substr(record.name, 1, 2)`, `substr(record.name, -2, -1)`, `substr(record.name, record.qty, 2)`,
	`substr(record.name, -1, 0)`, `substr(record.name, 0, 0)`, `substr(record.name, 10, 1)`,
	`strlen(record.name)`, `strlen(record.any)`, `strlen(record.code)`, `split(",", record.name)`, `length(split("c", record.name))`, `length(split(",", record.any))`, `length(split("c", record.code)) - 1`,
	`join("-", record.tags)`, `format("%s=%d", record.name, record.qty)`, `chomp(record.name)`,
	`trimspace(record.any)`, `upper(record.code)`,
	// number functions
	`abs(record.amount)`, `ceil(record.amount)`, `floor(record.amount)`,
	`min(record.amount, record.qty, 3)`, `max(record.amount, record.qty)`, `max(record.code, 1)`,
	`pow(record.qty, 2)`, `signum(record.amount)`, `log(record.qty, 2)`,
	`parseint(record.code, 10)`, `abs(record.any)`,
	// collection functions
	`length(record.tags)`, `length(record.m)`, `length(record.any)`, `length(record.set)`,
	`contains(record.tags, "a")`, `contains(record.nums, record.amount)`,
	`contains(record.any, "x")`, `contains(record.set, record.name)`, `contains(record.tags, record.any)`,
	`element(record.tags, 0)`, `concat(record.tags, ["z"])`, `distinct(record.tags)`,
	`flatten([record.tags, ["q"]])`, `keys(record.m)`, `values(record.m)`,
	`lookup(record.m, "k", "def")`, `merge(record.m, {z = "1"})`, `reverse(record.tags)`,
	// lookup on a constant table (native) and on computed ones (cty)
	`lookup(var.levels, record.name, "def")`, `lookup(var.levels, record.code, record.name)`,
	`lookup(var.levels, record.amount, "n")`, `lookup(var.levels, record.flag, "b")`,
	`lookup(var.levels, record.any, "x")`, `lookup(var.levels, record.tags[0], "d")`,
	`lookup(var.levels, record.name, record.amount)`, `lookup(var.levels, record.name, record.flag)`,
	`lookup(var.levels, record.name, "d") == "A"`, `lookup(var.weights, record.name, 0)`,
	`lookup(var.weights, record.name, record.code)`, `lookup(var.weights, record.code, record.amount) + 1`,
	`try(lookup(var.weights, record.name, "x"), "caught")`, `lookup(var.flags, record.name, record.code)`,
	`lookup(var.flags, record.name, false) || record.flag`, `lookup(var.maybe, record.name, "d")`,
	`lookup(var.none, record.name, record.name)`, `lookup(local.mixed, record.name, "d")`,
	`lookup(local.mixed, record.name, record.amount)`, `lookup(local.mixed, record.name, "d") == 1`,
	`lookup(local.deep, record.name, ["d"])`, `lookup(record.m, record.name, record.code)`,
	`lookup(var.levels, lower(trimspace(coalesce(record.name, "info"))), upper(trimspace(coalesce(record.name, "info"))))`,
	`lookup({a = record.name}, record.code, "d")`, `try(lookup(var.levels, record.name, null), "caught")`,
	`compact(record.tags)`,
	// json
	`jsonencode(record.name)`, `jsonencode(record.nested)`, `jsonencode(record.tags)`,
	`jsonencode(record.any)`, `jsonencode(record.m)`, `jsonencode({a = record.amount, b = [record.flag]})`,
	`jsonencode(record.set)`, `jsonencode(record.amount)`, `jsondecode(record.code)`,
	`jsondecode(jsonencode(record.any))`,
	// conversion and general
	`tostring(record.amount)`, `tostring(record.any)`, `tonumber(record.code)`,
	`tonumber(record.any)`, `tobool(record.code)`, `tobool(record.any)`, `tostring(null)`,
	`coalesce(record.name, "def")`, `coalesce(record.any, "x")`, `coalesce(record.amount, record.qty)`,
	`coalesce(record.name, record.amount)`, `coalesce(record.code, record.tags[9])`,
	`try(record.code + 1, 0)`, `try(record.tags[0], "none")`, `try(record.any.x, record.any, 7)`,
	`can(tonumber(record.code))`, `can(record.any.x)`, `try(record.nope, 1)`,
	// time
	`formatdate("YYYY-MM-DD", record.ts)`, `formatdate("EEE DD MMM YY HH:mm:ss aa 'at' h", record.ts)`, `formatdate("ZZZZZ", record.ts)`, `formatdate("hh:mm", record.code)`,
	`timeadd(record.ts, "1h")`, `parse_time(record.ts)`,
	`format_time(record.ms)`, `format_time(parse_time(record.ts))`, `format_time(record.amount)`,
	// mixed forms and error propagation
	`record.flag ? 1 : tostring(record.tags[9])`, `record.flag ? 1 : record.tags[9]`,
	`record.flag ? 1 : "${record.tags[9]}"`, `record.flag ? record.amount : record.code`,
	`record.flag ? record.any : record.any2`, `record.amount / 0 > 5`, `-record.amount / 0`,
	`(record.flag ? null : record.amount) + 1`, `record.tags[0] == record.any`,
	`[record.amount] == [record.qty]`, `{a = record.name} == {a = "us"}`, `upper(record.code) == "ABC"`,
	`!(record.amount < 10) || record.country == "FR"`, `record.nested.x > 0 && record.nested.s == "a"`,
	`contains(var.list, record.name)`, `contains(["us", "de"], lower(record.country))`,
	`record.amount >= var.min_amount && lower(record.country) == var.country`,
	`"%{if record.amount > 100}big%{endif}"`, `"${record.nested}"`, `record.amount ? 1 : 2`,
	`coalesce(record.any, record.any2)`, `max(record.nums...)`, `try(record.any + 1, record.any, "x")`,
	`record.code * 2`, `record.code >= "5"`, `record.any.x > 0 || record.flag`, `record.nested.x`,
	`!record.flag && record.any`, `record.flag == record.any`, `record.any ? record.any : record.any2`,
	`record.amount > 0 == record.flag`, `record.m[record.any]`, `record.nums[1] * record.nums[0]`,
	`record.amount < 100 || lower(record.name) != "us"`, `upper(record.country) == "US" && !record.flag`,
	`record.country == "us" || record.country == "US"`, `record.amount + 0.5 >= 100.5`,
	// 64-bit integers (issue 16.5): digit for digit through conversions,
	// templates, format, jsonencode and comparisons; exact arithmetic
	// within int64, float64 beyond it.
	`record.id`, `tostring(record.id)`, `format("%d", record.id)`, `format("%s", record.id)`,
	`format("%v/%d", record.id, record.id2)`, `"id=${record.id}"`, `jsonencode(record.id)`,
	`jsonencode({id = record.id, n = [record.id2]})`, `record.id == record.id2`, `record.id != record.id2`,
	`record.id < record.id2`, `record.id >= record.id2`, `record.id == 1234567890123456789`,
	`record.id > 1234567890123456788`, `record.id == record.amount`, `record.id < record.amount`,
	`record.id >= record.amount`, `record.id == 1234567890123456789.0`, `record.id > 1.2345678901234568e18`,
	`record.id + record.id2`, `record.id - record.id2`, `record.id * record.id2`, `record.id + 1`,
	`record.id - 1`, `record.id * 2`, `record.id * -1`, `record.id / record.id2`, `record.id / 3`,
	`record.id % record.id2`, `record.id % 1000`, `record.id % 0.5`, `-record.id`,
	`abs(record.id)`, `floor(record.id)`, `ceil(record.id)`, `min(record.id, record.id2)`,
	`max(record.id, record.id2, 3)`, `signum(record.id)`,
	`[record.id, record.id2]`,
	`{id = record.id}`, `contains([1234567890123456789], record.id)`, `lookup({"1234567890123456789" = "hit"}, record.id, "miss")`,
	`tonumber(tostring(record.id)) == record.id`, `parseint(tostring(record.id), 10)`,
	`record.any == record.id`, `record.any + 1`, `tostring(record.any)`, `record.id == record.any2`,
	`coalesce(record.id, 0)`, `record.flag ? record.id : record.id2`, `strlen(tostring(record.id))`,
}

// numbersInTextApprox compares the numbers of 16 or more digits inside
// strings to 12 significant digits: cty prints the shortest decimal its
// (64-bit or wider) result needs, which rounds once more on the way to a
// float64.
var numbersInTextApprox = cmp.Transformer("approxNumbersInText", func(s string) string {
	return anyDecimalRE.ReplaceAllStringFunc(s, func(m string) string {
		f, err := strconv.ParseFloat(m, 64)
		if err != nil || len(m) < 13 {
			return m
		}
		return strconv.FormatFloat(f, 'g', 12, 64)
	})
})

var anyDecimalRE = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)

// diffOverflowExprs print the result of integer arithmetic that may leave
// int64. Beyond int64 the result is the nearest float64 (README,
// "Numbers"), printed in float64's shortest form where cty prints every
// digit of its exact result: the numbers inside the text are compared after
// rounding to float64 (numbersInText). Within int64 the numeric
// expressions of diffExprs hold the same arithmetic to every digit.
var diffOverflowExprs = []string{
	`tostring(record.id + 1)`, `tostring(record.id * record.id2)`, `"${record.id - record.id2}"`,
	`tostring(record.id / 3)`, `"${-record.id}"`, `jsonencode(record.id * 2)`,
}

var (
	diffStrings = []string{
		"", "us", "US", "Us", " us ", "u", "x", "a", "k", "K", "\u212a", "İ", "ß", "ǅ",
		"ünïcödé", "e\u0301", "\u00e9", "a\r\nb", "12", "-3.5", "1e3", "true", "false", "1", "0",
		"abc", "a,b,c", "2026-01-01T00:00:05Z", "2026-03-04T05:06:07.089Z", "not a time",
		"<tag>&", "\"q\"", "日本語", "line\n", "hello world", "  ", "x-u",
	}
	diffNumbers = []float64{
		0, 1, -1, 2, 3, 7, 100, 99.5, 100.25, -2.5, 0.5, 1e15, -1e15, 1767225605000,
		12345.125, 1e300, -0.25, 4, 0.1, 1.5,
	}
	// diffInts are 64-bit integers, mostly beyond 2^53 where a float64
	// loses digits (snowflake IDs, int64's bounds, neighbours that only
	// differ in the last digit, products near overflow), drawn as often
	// as diffNumbers.
	diffInts = []int64{
		1234567890123456789, 1234567890123456788, -1234567890123456789,
		math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, 1<<53 + 1, -(1<<53 + 1),
		1 << 62, 3037000499, 3037000500, 4611686018427387903, 1 << 53,
		1767225605000123, 9007199254740993, 987654321987654321, 0, 1, -1, 7, 100,
	}
)

// recGen generates random records.
type recGen struct {
	rnd     *rand.Rand
	numbers []float64
	// ints are drawn with irnd, so that adding them left the other
	// attributes' draws as they were.
	ints []int64
	irnd *rand.Rand
}

func newRecGen(seed int64) recGen {
	return recGen{rnd: rand.New(rand.NewSource(seed)), numbers: diffNumbers, ints: diffInts, irnd: rand.New(rand.NewSource(seed + 1))}
}

// value returns a random value of type t, as hcl sees it (cty) and as a
// compiled program sees it (Value: strings deliberately not normalized).
func (g recGen) value(t cty.Type) (cty.Value, Value) {
	rnd := g.rnd
	if rnd.Intn(8) == 0 {
		return cty.NullVal(t), Null
	}
	switch {
	case t == cty.String:
		s := diffStrings[rnd.Intn(len(diffStrings))]
		return cty.StringVal(s), String(s)
	case t == cty.Number:
		n := g.numbers[rnd.Intn(len(g.numbers))]
		if v := Number(n); v.isInt {
			// An integer, as JSON and HCL literals give it to cty (with
			// at least 64 bits), and as the codec reads it.
			return cty.NumberIntVal(int64(v.num)), v
		}
		return cty.NumberFloatVal(n), Number(n)
	case t == cty.Bool:
		b := rnd.Intn(2) == 0
		return cty.BoolVal(b), Bool(b)
	case t.IsListType():
		n := rnd.Intn(4)
		if n == 0 {
			return cty.ListValEmpty(t.ElementType()), List([]Value{})
		}
		cs, vs := make([]cty.Value, n), make([]Value, n)
		for i := range cs {
			cs[i], vs[i] = g.nonNull(t.ElementType())
		}
		return cty.ListVal(cs), List(vs)
	case t.IsSetType():
		n := rnd.Intn(4)
		if n == 0 {
			return cty.SetValEmpty(t.ElementType()), List([]Value{})
		}
		cs := make([]cty.Value, n)
		for i := range cs {
			cs[i], _ = g.nonNull(t.ElementType())
		}
		cv := cty.SetVal(cs)
		v, err := compileFromCty(cv)
		if err != nil {
			panic(err)
		}
		return cv, v
	case t.IsMapType():
		keys := []string{"k", "a", "b"}
		cm := map[string]cty.Value{}
		attrs := map[string]cty.Type{}
		vm := map[string]Value{}
		for _, k := range keys {
			if rnd.Intn(2) == 0 {
				cm[k], vm[k] = g.nonNull(t.ElementType())
				attrs[k] = t.ElementType()
			}
		}
		if len(cm) == 0 {
			return cty.MapValEmpty(t.ElementType()), Object(NewRecord(NewLayout(cty.EmptyObject)))
		}
		r := NewRecord(NewLayout(cty.Object(attrs)))
		for i, k := range r.Layout.Names {
			r.Values[i] = vm[k]
		}
		return cty.MapVal(cm), Object(r)
	case t.IsObjectType():
		l := NewLayout(t)
		r := NewRecord(l)
		cm := map[string]cty.Value{}
		for i, k := range l.Names {
			cm[k], r.Values[i] = g.value(l.Types[i])
		}
		return cty.ObjectVal(cm), Object(r)
	case t == cty.DynamicPseudoType:
		if rnd.Intn(8) == 0 {
			return cty.NullVal(cty.DynamicPseudoType), Null
		}
		switch rnd.Intn(6) {
		case 0, 1:
			return g.nonNull(cty.String)
		case 2:
			if len(g.ints) > 0 && g.irnd.Intn(2) == 0 {
				return g.int()
			}
			return g.nonNull(cty.Number)
		case 3:
			return g.nonNull(cty.Bool)
		case 4:
			n := rnd.Intn(3)
			if n == 0 {
				return cty.EmptyTupleVal, List([]Value{})
			}
			cs, vs := make([]cty.Value, n), make([]Value, n)
			for i := range cs {
				cs[i], vs[i] = g.nonNull(cty.String)
			}
			return cty.TupleVal(cs), List(vs)
		default:
			// JSON null in an any slot is a dynamic null, never a typed
			// one, at any depth: an object read from JSON into an any slot
			// has null members of dynamic type.
			if rnd.Intn(4) == 0 {
				t := cty.Object(map[string]cty.Type{"x": cty.DynamicPseudoType})
				return cty.ObjectVal(map[string]cty.Value{"x": cty.NullVal(cty.DynamicPseudoType)}), Object(NewRecord(NewLayout(t)))
			}
			c, v := g.nonNull(cty.Number)
			t := cty.Object(map[string]cty.Type{"x": cty.Number})
			r := NewRecord(NewLayout(t))
			r.Values[0] = v
			return cty.ObjectVal(map[string]cty.Value{"x": c}), Object(r)
		}
	}
	panic("recGen: unsupported type " + t.FriendlyName())
}

// int returns one of g.ints, as cty and the codec hold it.
func (g recGen) int() (cty.Value, Value) {
	i := g.ints[g.irnd.Intn(len(g.ints))]
	return cty.NumberIntVal(i), Int(i)
}

func (g recGen) nonNull(t cty.Type) (cty.Value, Value) {
	for {
		c, v := g.value(t)
		if !c.IsNull() {
			return c, v
		}
	}
}

// record returns one random record of diffSchema in both forms.
func (g recGen) record(l *Layout) (cty.Value, *Record) {
	r := NewRecord(l)
	attrs := map[string]cty.Value{}
	for i, name := range l.Names {
		if (name == "id" || name == "id2") && len(g.ints) > 0 {
			if g.irnd.Intn(8) == 0 {
				attrs[name], r.Values[i] = cty.NullVal(cty.Number), Null
			} else {
				attrs[name], r.Values[i] = g.int()
			}
			continue
		}
		attrs[name], r.Values[i] = g.value(l.Types[i])
	}
	return cty.ObjectVal(attrs), r
}

// bigInt is a plain number that is an integer beyond 2^53 within int64:
// compared exactly, never rounded, so a lost digit is a difference.
type bigInt int64

// plainNumber is the plain form of a number given exactly as an integer
// (ok) or else as its float64.
func plainNumber(i int64, ok bool, f float64) any {
	if ok && (i > 1<<53 || i < -1<<53) {
		return bigInt(i)
	}
	return f
}

// plainCty turns a cty result into plain Go values for comparison: integers
// beyond 2^53 within int64 exactly (bigInt), other numbers rounded to
// float64.
func plainCty(v cty.Value) any {
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() {
		return "<unknown>"
	}
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		bf := v.AsBigFloat()
		f, _ := bf.Float64()
		i, acc := bf.Int64()
		return plainNumber(i, bf.IsInt() && acc == big.Exact, f)
	case t == cty.String:
		return v.AsString()
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, plainCty(e))
		}
		return out
	case t.IsObjectType() || t.IsMapType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = plainCty(e)
		}
		return out
	}
	return fmt.Sprintf("<%s>", t.FriendlyName())
}

// plainValue turns a compiled result into the same plain form.
func plainValue(v Value) any {
	switch v.Kind {
	case KindNull:
		return nil
	case KindBool:
		return v.Bool
	case KindNumber:
		i, ok := v.Int64()
		return plainNumber(i, ok, v.Float())
	case KindString:
		return v.Str
	case KindList:
		out := []any{}
		for _, e := range v.List {
			out = append(out, plainValue(e))
		}
		return out
	case KindObject:
		out := map[string]any{}
		if v.Obj != nil {
			for i, name := range v.Obj.Layout.Names {
				out[name] = plainValue(v.Obj.Values[i])
			}
		}
		return out
	}
	return fmt.Sprintf("<kind %d>", v.Kind)
}

// outcome is one evaluation's result: a value or an error.
type outcome struct {
	Err   bool
	Value any
}

// hclOutcome evaluates src with hclsyntax, the reference semantics.
func hclOutcome(t *testing.T, src string, roots map[string]cty.Value, c Consts) outcome {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "diff.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("%s: parse: %s", src, diags)
	}
	vars := map[string]cty.Value{"var": objectOrEmpty(c.Vars), "local": objectOrEmpty(c.Locals)}
	for k, v := range roots {
		vars[k] = v
	}
	v, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: Functions()})
	if diags.HasErrors() || !v.IsWhollyKnown() {
		// hcl returns an unknown result for a dynamically typed null
		// passed to a function that does not accept dynamic types; a
		// record-level evaluation reports it as an error.
		return outcome{Err: true}
	}
	return outcome{Value: plainCty(v)}
}

func compiledOutcome(p *Program, f Frame) outcome {
	v, err := p.Eval(f)
	if err != nil {
		return outcome{Err: true}
	}
	return outcome{Value: plainValue(v)}
}

// diffOne compares a compiled program with hcl on one frame and returns the
// difference, or "" when they agree.
func diffOne(t *testing.T, src string, p *Program, hclRoots map[string]cty.Value, f Frame, c Consts, opts ...cmp.Option) string {
	want := hclOutcome(t, src, hclRoots, c)
	got := compiledOutcome(p, f)
	if d := cmp.Diff(want, got, floatApprox, cmp.Options(opts)); d != "" {
		return d
	}
	// The full evaluator alone, without the program's fast path.
	full := compiledOutcome(&Program{typ: p.typ, eval: p.eval}, f)
	if d := cmp.Diff(want, full, floatApprox, cmp.Options(opts)); d != "" {
		return "full evaluator: " + d
	}
	if p.typ == cty.Bool {
		b, err := p.EvalBool(f)
		pred := outcome{Err: err != nil}
		if err == nil {
			pred.Value = b
		}
		if _, isBool := want.Value.(bool); !isBool {
			// EvalBool rejects null and, where hcl's static type was
			// not exact, any other non-bool result.
			want = outcome{Err: true}
		}
		if d := cmp.Diff(want, pred, floatApprox, cmp.Options(opts)); d != "" {
			return "EvalBool: " + d
		}
	}
	return ""
}

const diffRecordsPerExpr = 400

// floatApprox compares numbers to 1e-13 relative: cty computes with 512-bit
// floats and rounds once, the compiled program rounds after every
// operation, so chains of inexact operations may differ in the last bits.
// Integers beyond 2^53 compare exactly when both sides have one (an exact
// result must keep every digit); against a float64 (a float product the
// compiled program rounded to an integer, or an inexact cty result), they
// compare approximately too.
var floatApprox = cmp.Options{
	cmpopts.EquateApprox(1e-13, 0),
	cmp.FilterValues(func(a, b any) bool {
		_, ai := a.(bigInt)
		_, bi := b.(bigInt)
		_, af := a.(float64)
		_, bf := b.(float64)
		return ai && bf || af && bi
	}, cmp.Comparer(func(a, b any) bool {
		return cmp.Equal(plainFloat(a), plainFloat(b), cmpopts.EquateApprox(1e-13, 0))
	})),
}

func plainFloat(x any) float64 {
	if i, ok := x.(bigInt); ok {
		return float64(i)
	}
	return x.(float64)
}

// TestDifferential holds every compiled expression to hcl.Expression.Value
// on random records: same value (after float64 rounding) and same
// error/no-error.
func TestDifferential(t *testing.T) {
	l := NewLayout(diffSchema)
	roots := []Root{{Name: "record", Layout: l}}
	g := newRecGen(20260101)
	type rec struct {
		c cty.Value
		r *Record
	}
	recs := make([]rec, diffRecordsPerExpr)
	for i := range recs {
		recs[i].c, recs[i].r = g.record(l)
	}
	cases := 0
	exprs := append(append([]string(nil), diffExprs...), diffOverflowExprs...)
	for n, src := range exprs {
		var opts []cmp.Option
		if n >= len(diffExprs) {
			opts = append(opts, numbersInTextApprox)
		}
		t.Run(src, func(t *testing.T) {
			p, diags := Compile(ir.Expr{Source: src, Range: ir.Range{Filename: "diff.hcl"}}, roots, diffConsts)
			if diags.HasErrors() {
				t.Fatalf("compile: %s", diags)
			}
			fails := 0
			for _, r := range recs {
				cases++
				d := diffOne(t, src, p, map[string]cty.Value{"record": r.c}, Frame{r.r}, diffConsts, opts...)
				if d != "" {
					fails++
					if fails <= 3 {
						t.Errorf("record %s: hcl vs compiled (-want +got):\n%s", showCty(r.c), d)
					}
				}
			}
			if fails > 3 {
				t.Errorf("... %d mismatches in all", fails)
			}
		})
	}
	t.Logf("differential cases: %d expressions x %d records = %d", len(exprs), len(recs), cases)
}

// TestDifferentialJoin covers two roots, including a missing right side.
func TestDifferentialJoin(t *testing.T) {
	lt := cty.Object(map[string]cty.Type{"id": cty.String, "amount": cty.Number})
	rt := cty.Object(map[string]cty.Type{"id": cty.String, "tier": cty.String})
	ll, rl := NewLayout(lt), NewLayout(rt)
	roots := []Root{{Name: "left", Layout: ll}, {Name: "right", Layout: rl}}
	exprs := []string{
		`left.id == right.id`, `lower(left.id) == lower(right.id)`, `right.tier`,
		`"${left.id}/${right.tier}"`, `left.amount * 2`, `try(right.tier, "none")`,
		`right == null ? "none" : right.tier`, `left.amount > 10 || right.tier == "gold"`,
	}
	g := newRecGen(7)
	for _, src := range exprs {
		t.Run(src, func(t *testing.T) {
			p, diags := Compile(ir.Expr{Source: src}, roots, Consts{})
			if diags.HasErrors() {
				t.Fatalf("compile: %s", diags)
			}
			for i := 0; i < 200; i++ {
				lc, lr := g.record(ll)
				rc, rr := g.record(rl)
				if i%5 == 0 {
					rc, rr = cty.NullVal(rt), nil
				}
				if d := diffOne(t, src, p, map[string]cty.Value{"left": lc, "right": rc}, Frame{lr, rr}, Consts{}); d != "" {
					t.Fatalf("left %s right %s (-want +got):\n%s", showCty(lc), showCty(rc), d)
				}
			}
		})
	}
}

// TestDifferentialDynamicRoot covers a source without a schema.
func TestDifferentialDynamicRoot(t *testing.T) {
	roots := []Root{{Name: "record", Layout: NewLayout(cty.DynamicPseudoType)}}
	exprs := []string{`record.name`, `upper(record.name) == "US"`, `record.amount + 1`, `record.missing`}
	g := newRecGen(9)
	l := NewLayout(cty.Object(map[string]cty.Type{"name": cty.String, "amount": cty.Number}))
	for _, src := range exprs {
		p, diags := Compile(ir.Expr{Source: src}, roots, Consts{})
		if diags.HasErrors() {
			t.Fatalf("%s: compile: %s", src, diags)
		}
		for i := 0; i < 100; i++ {
			c, r := g.record(l)
			if d := diffOne(t, src, p, map[string]cty.Value{"record": c}, Frame{r}, Consts{}); d != "" {
				t.Fatalf("%s: record %s (-want +got):\n%s", src, showCty(c), d)
			}
		}
	}
}

// TestDifferentialCoversFunctions fails when a function of Functions() has
// no expression in diffExprs.
func TestDifferentialCoversFunctions(t *testing.T) {
	used := map[string]bool{}
	for _, src := range diffExprs {
		expr, diags := hclsyntax.ParseExpression([]byte(src), "", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", src, diags)
		}
		hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
			if c, ok := n.(*hclsyntax.FunctionCallExpr); ok {
				used[c.Name] = true
			}
			return nil
		})
	}
	var missing []string
	for name := range Functions() {
		if !used[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if diff := cmp.Diff([]string(nil), missing); diff != "" {
		t.Errorf("functions without a differential case (-want +got):\n%s", diff)
	}
}

// TestDifferentialDetectsMismatch shows the harness can fail: a program
// that differs from hcl on purpose must be reported.
func TestDifferentialDetectsMismatch(t *testing.T) {
	wrong := []struct {
		src string
		p   *Program
	}{
		{`record.amount + 1`, &Program{eval: func(f Frame) (Value, error) { return Number(f[0].Values[0].Float() + 2), nil }}},
		{`1 / 0`, &Program{eval: func(Frame) (Value, error) { return Null, fmt.Errorf("boom") }}},
	}
	l := NewLayout(cty.Object(map[string]cty.Type{"amount": cty.Number}))
	r := &Record{Layout: l, Values: []Value{Number(5)}}
	c := cty.ObjectVal(map[string]cty.Value{"amount": cty.NumberIntVal(5)})
	for _, w := range wrong {
		if d := diffOne(t, w.src, w.p, map[string]cty.Value{"record": c}, Frame{r}, Consts{}); d == "" {
			t.Errorf("%s: mismatch not detected", w.src)
		}
	}
	// A 64-bit integer that went through a float64 has lost its last
	// digits: as a number, as text and compared.
	const id = 1234567890123456789
	viaFloat := func(f Frame) float64 { return f[0].Values[0].Float() }
	wrong = []struct {
		src string
		p   *Program
	}{
		{`record.amount`, &Program{eval: func(f Frame) (Value, error) { return Number(viaFloat(f)), nil }}},
		{`record.amount + 1`, &Program{eval: func(f Frame) (Value, error) { return Number(viaFloat(f) + 1), nil }}},
		{`tostring(record.amount)`, &Program{eval: func(f Frame) (Value, error) {
			return String(strconv.FormatFloat(viaFloat(f), 'f', -1, 64)), nil
		}}},
		{`record.amount == 1234567890123456768`, &Program{eval: func(f Frame) (Value, error) {
			return Bool(viaFloat(f) == 1234567890123456768), nil
		}}},
	}
	r = &Record{Layout: l, Values: []Value{Int(id)}}
	c = cty.ObjectVal(map[string]cty.Value{"amount": cty.NumberIntVal(id)})
	for _, w := range wrong {
		if d := diffOne(t, w.src, w.p, map[string]cty.Value{"record": c}, Frame{r}, Consts{}); d == "" {
			t.Errorf("%s on %d: mismatch not detected", w.src, id)
		}
	}
}

func showCty(v cty.Value) string {
	var sb strings.Builder
	writeCty(&sb, v)
	return sb.String()
}

func writeCty(sb *strings.Builder, v cty.Value) {
	switch {
	case v.IsNull():
		sb.WriteString("null")
	case v.Type() == cty.String:
		fmt.Fprintf(sb, "%q", v.AsString())
	case v.Type() == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		if math.IsInf(f, 0) {
			sb.WriteString(v.AsBigFloat().String())
			return
		}
		fmt.Fprint(sb, f)
	case v.Type() == cty.Bool:
		fmt.Fprint(sb, v.True())
	case v.CanIterateElements():
		sb.WriteString("{")
		first := true
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if !first {
				sb.WriteString(", ")
			}
			first = false
			if k.Type() == cty.String {
				sb.WriteString(k.AsString() + "=")
			}
			writeCty(sb, e)
		}
		sb.WriteString("}")
	default:
		sb.WriteString(v.GoString())
	}
}

// ctyjsonUnmarshal decodes a JSON record as hcl would see it: the value's
// implied type converted to the schema, `any` attributes as implied (cty's
// own JSON form of a dynamic value needs a type annotation).
func ctyjsonUnmarshal(doc string, t cty.Type) (cty.Value, error) {
	it, err := ctyjson.ImpliedType([]byte(doc))
	if err != nil {
		return cty.NilVal, err
	}
	v, err := ctyjson.Unmarshal([]byte(doc), it)
	if err != nil {
		return cty.NilVal, err
	}
	attrs := map[string]cty.Value{}
	for name, at := range t.AttributeTypes() {
		av := v.GetAttr(name)
		if at != cty.DynamicPseudoType {
			if av, err = convert.Convert(av, at); err != nil {
				return cty.NilVal, err
			}
		} else if av.IsNull() {
			av = cty.NullVal(cty.DynamicPseudoType)
		}
		attrs[name] = av
	}
	return cty.ObjectVal(attrs), nil
}
