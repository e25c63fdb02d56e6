package eval

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"golang.org/x/text/unicode/norm"
)

// This file is the JSON record codec: the hot path of every backend, so it
// uses neither reflection nor encoding/json.
//
// Decoding follows go-cty's JSON-to-type conversion (cty/json.Unmarshal with
// the attribute's type), with these deliberate differences:
//
//   - Unknown attributes are skipped, not rejected, so producers can add
//     fields without breaking consumers.
//   - cty.DynamicPseudoType means "any JSON value", decoded with its implied
//     type as jsondecode() does (objects become objects, arrays tuples), not
//     go-cty's {"value":…,"type":…} wrapper form.
//   - Numbers are int64 when their value is an integer within int64 (read
//     digit for digit), else float64 (see Value). A number beyond float64's
//     range is an error rather than a 512-bit float.
//   - A duplicate attribute takes the last value, as encoding/json does.
//   - A record is exactly one JSON object: data after it is an error.
//
// Everything else matches: a JSON number into a string attribute keeps its
// literal text, a bool becomes "true"/"false"; a JSON string into a number
// attribute is parsed as cty.ParseNumberVal does; "true"/"1" and
// "false"/"0" strings convert to bools; strings are unescaped, invalid UTF-8
// becomes U+FFFD (as encoding/json does) and non-ASCII text is NFC-normalized
// as cty.StringVal does; sets are deduplicated and ordered as cty orders them.
//
// Decoded values of map type are KindObject values whose Layout is that of
// the object type with the map's keys as attributes, each of the element
// type (the convention the compiler uses too). Objects decoded dynamically
// get the Layout of their implied object type.

// jsonMaxDepth bounds nesting, as encoding/json does, so hostile input cannot
// exhaust the stack.
const jsonMaxDepth = 10000

// DecodeError is a record that cannot be decoded: malformed JSON or a value
// that does not conform to its attribute's type. Such records go to the
// dead-letter topic with Error() as the reason.
type DecodeError struct {
	// Field is the path of the offending value, as in "amount",
	// "customer.name" or "items[2]"; empty for the document itself.
	Field string
	// Offset is the byte offset in the input where the problem was found.
	Offset int
	// Reason says what is wrong.
	Reason string
}

func (e *DecodeError) Error() string {
	// A schema format's errors name it at the start of Reason
	// ("protobuf: ..."), which then leads in place of "json".
	format, reason := "json", e.Reason
	for _, f := range SchemaFormats {
		if rest, ok := strings.CutPrefix(reason, f+": "); ok {
			format, reason = f, rest
			break
		}
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s (at byte %d)", format, reason, e.Offset)
	}
	return fmt.Sprintf("%s: field %s: %s (at byte %d)", format, e.Field, reason, e.Offset)
}

// inField prefixes err's path with an attribute name or an index step.
func inField(err error, step string) error {
	e, ok := err.(*DecodeError)
	if !ok {
		return err
	}
	switch {
	case e.Field == "":
		e.Field = step
	case e.Field[0] == '[':
		e.Field = step + e.Field
	default:
		e.Field = step + "." + e.Field
	}
	return e
}

// DecodeJSON decodes one JSON object into a new record of the layout.
// Unknown attributes are skipped and missing ones are null.
func DecodeJSON(l *Layout, data []byte) (*Record, error) {
	var d Decoder
	d.chunk = len(data)
	r := NewRecord(l)
	if err := d.Decode(l, data, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Decoder decodes JSON records reusing memory across calls: the record's
// Values slice, and a string arena. Strings of a decoded record share the
// arena's current chunk (one allocation per few kilobytes of text instead of
// one per string), so a string the caller keeps pins its chunk; decoded
// strings are never modified afterwards. A Decoder is not safe for
// concurrent use; use one per goroutine.
type Decoder struct {
	data   []byte
	pos    int
	depth  int
	arena  []byte
	chunk  int       // arena chunk size; 0 means jsonChunk
	keyBuf []byte    // scratch for keys with escapes
	elems  []Value   // scratch for arrays
	lays   []*Layout // layouts of object types met inside collections
}

const jsonChunk = 4096

// Decode decodes one JSON object into r, which gets layout l. r.Values is
// reused when it has the capacity; nested objects and collections are
// always freshly allocated, so values taken from a previous record stay
// valid. With a layout of cty.DynamicPseudoType (a source without a schema)
// the record is decoded with its implied type and gets a layout of its own.
func (d *Decoder) Decode(l *Layout, data []byte, r *Record) error {
	return d.DecodeNeeded(l, nil, data, r)
}

// Mask returns the needed mask for DecodeNeeded that decodes only the named
// attributes (the ones the compiled programs of a stage read). Names the
// layout does not have are ignored.
func (l *Layout) Mask(names []string) []bool {
	m := make([]bool, l.Len())
	for _, n := range names {
		if i, ok := l.Index(n); ok {
			m[i] = true
		}
	}
	return m
}

// DecodeNeeded is Decode with projection pruning: when needed is not nil,
// only slots i with needed[i] are decoded and the others are left null. Slots
// keep their positions, so programs compiled against l run unchanged.
// Pruned attributes are still checked to be well-formed JSON but not checked
// against their type: a record whose only type error is in an attribute no
// program reads is not sent to the dead-letter topic.
func (d *Decoder) DecodeNeeded(l *Layout, needed []bool, data []byte, r *Record) error {
	n := l.Len()
	if r.Layout != l || cap(r.Values) < n {
		r.Layout = l
		r.Values = make([]Value, n)
	} else {
		r.Values = r.Values[:n]
		clear(r.Values)
	}
	if needed != nil && len(needed) != n {
		return fmt.Errorf("json: needed mask has %d slots, layout has %d", len(needed), n)
	}
	d.data, d.pos, d.depth = data, 0, 0
	defer func() { d.data = nil }()
	d.skipWS()
	if l.Type == cty.DynamicPseudoType {
		return d.dynamicRecord(r)
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		if d.pos < len(d.data) && d.data[d.pos] == 'n' && d.literal("null") == nil {
			return d.errAt(0, "record is null, want an object")
		}
		return d.errAt(d.pos, "record is not a JSON object")
	}
	if err := d.object(l, needed, r.Values); err != nil {
		return err
	}
	d.skipWS()
	if d.pos != len(d.data) {
		return d.errAt(d.pos, "unexpected data after the record")
	}
	return nil
}

// dynamicRecord decodes a record of a source without a schema: r gets the
// layout of the object's implied type.
func (d *Decoder) dynamicRecord(r *Record) error {
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return d.errAt(d.pos, "record is not a JSON object")
	}
	v, err := d.dynamic()
	if err != nil {
		return err
	}
	d.skipWS()
	if d.pos != len(d.data) {
		return d.errAt(d.pos, "unexpected data after the record")
	}
	*r = *v.Obj
	return nil
}

func (d *Decoder) errAt(off int, format string, args ...any) error {
	if len(args) > 0 {
		format = fmt.Sprintf(format, args...)
	}
	return &DecodeError{Offset: off, Reason: format}
}

func (d *Decoder) eof() error { return d.errAt(len(d.data), "unexpected end of JSON input") }

func (d *Decoder) skipWS() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// literal consumes lit (true, false, null) at d.pos.
func (d *Decoder) literal(lit string) error {
	if len(d.data)-d.pos < len(lit) || string(d.data[d.pos:d.pos+len(lit)]) != lit {
		return d.errAt(d.pos, "invalid character %q looking for a value", d.data[d.pos])
	}
	d.pos += len(lit)
	return nil
}

// object decodes a JSON object at d.pos into vals by l's slots.
func (d *Decoder) object(l *Layout, needed []bool, vals []Value) error {
	if d.depth++; d.depth > jsonMaxDepth {
		return d.errAt(d.pos, "exceeded max nesting depth")
	}
	defer func() { d.depth-- }()
	d.pos++ // '{'
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return nil
	}
	for {
		if d.pos >= len(d.data) {
			return d.eof()
		}
		if d.data[d.pos] != '"' {
			return d.errAt(d.pos, "invalid character %q looking for an object key", d.data[d.pos])
		}
		key, err := d.key()
		if err != nil {
			return err
		}
		slot := slotOf(l, key)
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.eof()
		}
		if d.data[d.pos] != ':' {
			return d.errAt(d.pos, "invalid character %q after object key", d.data[d.pos])
		}
		d.pos++
		d.skipWS()
		if slot < 0 || (needed != nil && !needed[slot]) {
			if err := d.skip(); err != nil {
				return err
			}
		} else {
			var v Value
			var err error
			if slot < len(l.strSlot) && l.strSlot[slot] && d.pos < len(d.data) && d.data[d.pos] == '"' {
				v, err = d.strValue() // what value does for a string
			} else {
				v, err = d.value(l.Types[slot], l.Nested[slot])
			}
			if err != nil {
				return inField(err, l.Names[slot])
			}
			vals[slot] = v
		}
		d.skipWS()
		if d.pos >= len(d.data) {
			return d.eof()
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.skipWS()
		case '}':
			d.pos++
			return nil
		default:
			return d.errAt(d.pos, "invalid character %q after object value", d.data[d.pos])
		}
	}
}

// slotOf finds key's slot without allocating: a linear scan for small
// layouts, the index map (with the allocation-free string(bytes) lookup)
// otherwise.
func slotOf(l *Layout, key []byte) int {
	if len(l.Names) <= 8 || l.index == nil {
		for i, n := range l.Names {
			if n == string(key) {
				return i
			}
		}
		return -1
	}
	if i, ok := l.index[string(key)]; ok {
		return i
	}
	return -1
}

// key reads an object key. The result aliases the input or d.keyBuf and is
// valid until the next call.
func (d *Decoder) key() ([]byte, error) {
	start := d.pos + 1
	for i := start; i < len(d.data); i++ {
		c := d.data[i]
		if jsonStrPlain[c] {
			continue
		}
		switch {
		case c == '"':
			d.pos = i + 1
			b := d.data[start:i]
			if !asciiBytes(b) && !utf8.Valid(b) {
				d.keyBuf = appendValidUTF8(d.keyBuf[:0], b)
				return d.keyBuf, nil
			}
			return b, nil
		case c == '\\':
			var err error
			d.keyBuf, err = d.unescape(d.keyBuf[:0], start)
			return d.keyBuf, err
		case c < 0x20:
			return nil, d.errAt(i, "invalid control character in string")
		}
	}
	return nil, d.eof()
}

// jsonStrPlain marks the bytes a string scan passes over: printable ASCII
// other than the quote and the backslash.
var jsonStrPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func asciiBytes(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendValidUTF8 appends b replacing each invalid byte with U+FFFD, as
// encoding/json does.
func appendValidUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[:size]...)
		}
		b = b[size:]
	}
	return dst
}

// unescape appends the string starting at start (just after the opening
// quote) to dst, resolving escapes and invalid UTF-8, and leaves d.pos after
// the closing quote.
func (d *Decoder) unescape(dst []byte, start int) ([]byte, error) {
	i := start
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return dst, nil
		case c == '\\':
			if i+1 >= len(d.data) {
				return dst, d.eof()
			}
			switch e := d.data[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
				i += 2
			case 'b':
				dst = append(dst, '\b')
				i += 2
			case 'f':
				dst = append(dst, '\f')
				i += 2
			case 'n':
				dst = append(dst, '\n')
				i += 2
			case 'r':
				dst = append(dst, '\r')
				i += 2
			case 't':
				dst = append(dst, '\t')
				i += 2
			case 'u':
				r, ok := jsonHex4(d.data[i+2:])
				if !ok {
					return dst, d.errAt(i, "invalid \\u escape in string")
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(-1), false
					if i+1 < len(d.data) && d.data[i] == '\\' && d.data[i+1] == 'u' {
						r2, ok2 = jsonHex4(d.data[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst, d.errAt(i, "invalid escape %q in string", e)
			}
		case c < 0x20:
			return dst, d.errAt(i, "invalid control character in string")
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(d.data[i:])
			if r == utf8.RuneError && size == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, d.data[i:i+size]...)
			}
			i += size
		}
	}
	return dst, d.eof()
}

// rawStringEnd returns the offset of the quote that closes the string
// containing offset i, or len(data).
func rawStringEnd(data []byte, i int) int {
	for ; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(data)
}

func jsonHex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// reserve makes room for n more bytes in the arena without moving bytes
// that strings already point to: a chunk that is too small is abandoned
// (strings keep it alive), never grown in place.
func (d *Decoder) reserve(n int) {
	if cap(d.arena)-len(d.arena) >= n {
		return
	}
	size := d.chunk
	if size <= 0 {
		size = jsonChunk
	}
	d.arena = make([]byte, 0, max(size, n))
}

// arenaString returns the arena bytes from start as a string. They are never
// written again.
func (d *Decoder) arenaString(start int) string {
	if len(d.arena) == start {
		return ""
	}
	return unsafe.String(&d.arena[start], len(d.arena)-start)
}

// str reads a JSON string at d.pos as an NFC-normalized Go string.
func (d *Decoder) str() (string, error) {
	v, err := d.strValue()
	return v.Str, err
}

// jsonStrClass classifies the bytes of a string for strValue's scan: 0 for
// printable ASCII that jsonAppendString writes as it is, strHTML for <, >
// and & (printable, but escaped on output), strStop for the rest (the
// quote, the backslash, control characters, non-ASCII), which end the
// plain run.
var jsonStrClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case !jsonStrPlain[c]:
			t[c] = strStop
		case !jsonSafe[c]:
			t[c] = strHTML
		}
	}
	return t
}()

const (
	strHTML = 1
	strStop = 2
)

// Scanning strings eight bytes at a time (SWAR): each test below is exact
// for the word as a whole (a borrow can only mark bytes above a byte that
// matches), which is all a scan that then goes byte by byte needs.
const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// swarZero reports whether a byte of x is zero.
func swarZero(x uint64) bool { return (x-swarOnes)&^x&swarHigh != 0 }

// swarStop reports whether the eight bytes of string text in x hold a
// byte that ends a plain run (jsonStrPlain): a quote, a backslash, a
// control character (below 0x20) or a non-ASCII byte.
func swarStop(x uint64) bool {
	return (x-swarOnes*0x20)&^x&swarHigh != 0 || x&swarHigh != 0 ||
		swarZero(x^(swarOnes*'"')) || swarZero(x^(swarOnes*'\\'))
}

// swarHTML reports whether x holds <, > or &, which the encoder escapes.
func swarHTML(x uint64) bool {
	return swarZero(x^(swarOnes*'<')) || swarZero(x^(swarOnes*'>')) || swarZero(x^(swarOnes*'&'))
}

// strValue reads a JSON string at d.pos as a string Value. A string of
// printable ASCII without escapes is marked safe (see Value), so that
// reading it skips NFC and encoding it copies it: the common case of
// pass-through fields.
func (d *Decoder) strValue() (Value, error) {
	start := d.pos + 1
	ascii := true
	var html uint8
	i := start
	for ; i+8 <= len(d.data); i += 8 {
		x := binary.LittleEndian.Uint64(d.data[i:])
		if swarStop(x) {
			break
		}
		if swarHTML(x) {
			html = strHTML
		}
	}
	for ; i < len(d.data); i++ {
		c := d.data[i]
		if k := jsonStrClass[c]; k != strStop {
			html |= k
			continue
		}
		switch {
		case c == '"':
			d.pos = i + 1
			b := d.data[start:i]
			if ascii {
				d.reserve(len(b))
				s := len(d.arena)
				d.arena = append(d.arena, b...)
				return Value{Kind: KindString, Str: d.arenaString(s), safe: html == 0}, nil
			}
			return String(d.normalized(b)), nil
		case c == '\\':
			// Escapes only shrink the text; U+FFFD may grow an invalid byte
			// to three.
			d.reserve(3 * (rawStringEnd(d.data, i) - start))
			s := len(d.arena)
			var err error
			d.arena, err = d.unescape(d.arena, start)
			if err != nil {
				d.arena = d.arena[:s]
				return Null, err
			}
			if asciiBytes(d.arena[s:]) {
				return String(d.arenaString(s)), nil
			}
			b := d.arena[s:]
			d.arena = d.arena[:s]
			return String(d.normalized(b)), nil
		case c < 0x20:
			return Null, d.errAt(i, "invalid control character in string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return Null, d.eof()
}

// normalized stores non-ASCII text as valid UTF-8 in NFC, as cty.StringVal
// does. b may alias the arena beyond its length; it is consumed before the
// arena is written.
func (d *Decoder) normalized(b []byte) string {
	if !utf8.Valid(b) {
		b = appendValidUTF8(nil, b)
	}
	if !norm.NFC.IsNormal(b) {
		b = norm.NFC.Bytes(b)
	}
	d.reserve(len(b))
	s := len(d.arena)
	d.arena = append(d.arena, b...)
	return d.arenaString(s)
}

// number reads and validates a JSON number literal at d.pos.
func (d *Decoder) number() ([]byte, error) {
	start, i := d.pos, d.pos
	n := len(d.data)
	if i < n && d.data[i] == '-' {
		i++
	}
	switch {
	case i < n && d.data[i] == '0':
		i++
	case i < n && '1' <= d.data[i] && d.data[i] <= '9':
		for i < n && jsonDigit(d.data[i]) {
			i++
		}
	default:
		return nil, d.errAt(i, "invalid number")
	}
	if i < n && d.data[i] == '.' {
		i++
		if i >= n || !jsonDigit(d.data[i]) {
			return nil, d.errAt(i, "invalid number")
		}
		for i < n && jsonDigit(d.data[i]) {
			i++
		}
	}
	if i < n && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < n && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if i >= n || !jsonDigit(d.data[i]) {
			return nil, d.errAt(i, "invalid number")
		}
		for i < n && jsonDigit(d.data[i]) {
			i++
		}
	}
	d.pos = i
	return d.data[start:i], nil
}

func jsonDigit(c byte) bool { return '0' <= c && c <= '9' }

// jsonParseNumber converts a validated JSON number literal without
// allocating: an integer literal within int64 exactly (a 64-bit ID keeps
// its digits), the rest with strconv.ParseFloat (correctly rounded) over
// the bytes. A literal with a fraction or an exponent whose value is an
// integer beyond 2^53 (1234567890123456789.0, 1.5e18) is read exactly
// too, so that its value does not depend on how it is written.
func jsonParseNumber(lit []byte) (Value, bool) {
	if i, ok := parseIntLiteral(lit); ok {
		return Int(i), true
	}
	f, err := strconv.ParseFloat(unsafe.String(&lit[0], len(lit)), 64)
	if err != nil || math.IsInf(f, 0) {
		return Null, false
	}
	if math.Abs(f) >= 0x1p53 && math.Abs(f) <= 0x1p63 {
		// Rare: parse exactly (512 bits, as cty.ParseNumberVal does).
		if bf, _, err := big.ParseFloat(string(lit), 10, 512, big.ToNearestEven); err == nil {
			return numberFromBig(bf), true
		}
	}
	return Number(f), true
}

// jsonParseNumberString converts a JSON string into a number as
// cty.ParseNumberVal does (base 10, 512 bits): exactly when it is an
// integer within int64, else rounded to float64.
func jsonParseNumberString(s string) (Value, error) {
	f, _, err := big.ParseFloat(s, 10, 512, big.ToNearestEven)
	if err != nil {
		return Null, fmt.Errorf("a number is required")
	}
	v := numberFromBig(f)
	if math.IsInf(v.Float(), 0) {
		return Null, fmt.Errorf("number %s is out of range", s)
	}
	return v, nil
}

// value decodes the JSON value at d.pos (after whitespace) as type t; nested
// is the layout when t is an object type, or nil.
func (d *Decoder) value(t cty.Type, nested *Layout) (Value, error) {
	if d.pos >= len(d.data) {
		return Null, d.eof()
	}
	c := d.data[d.pos]
	if c == 'n' {
		return Null, d.literal("null")
	}
	at := d.pos
	switch {
	case t == cty.String:
		switch {
		case c == '"':
			return d.strValue()
		case c == 't':
			return String("true"), d.literal("true")
		case c == 'f':
			return String("false"), d.literal("false")
		case c == '-' || jsonDigit(c):
			lit, err := d.number()
			if err != nil {
				return Null, err
			}
			d.reserve(len(lit))
			s := len(d.arena)
			d.arena = append(d.arena, lit...)
			return String(d.arenaString(s)), nil
		}
		return Null, d.mismatch(at, "string")
	case t == cty.Number:
		switch {
		case c == '-' || jsonDigit(c):
			lit, err := d.number()
			if err != nil {
				return Null, err
			}
			v, ok := jsonParseNumber(lit)
			if !ok {
				return Null, d.errAt(at, "number %s is out of range", lit)
			}
			return v, nil
		case c == '"':
			s, err := d.str()
			if err != nil {
				return Null, err
			}
			v, err := jsonParseNumberString(s)
			if err != nil {
				return Null, d.errAt(at, "%s", err.Error())
			}
			return v, nil
		}
		return Null, d.mismatch(at, "number")
	case t == cty.Bool:
		switch c {
		case 't':
			return Bool(true), d.literal("true")
		case 'f':
			return Bool(false), d.literal("false")
		case '"':
			s, err := d.str()
			if err != nil {
				return Null, err
			}
			switch s {
			case "true", "1":
				return Bool(true), nil
			case "false", "0":
				return Bool(false), nil
			}
			return Null, d.errAt(at, "a bool is required")
		}
		return Null, d.mismatch(at, "bool")
	case t == cty.DynamicPseudoType:
		return d.dynamic()
	case t.IsObjectType():
		if c != '{' {
			return Null, d.mismatch(at, "object")
		}
		if nested == nil {
			nested = d.layoutOf(t)
		}
		r := NewRecord(nested)
		if err := d.object(nested, nil, r.Values); err != nil {
			return Null, err
		}
		return Object(r), nil
	case t.IsMapType():
		if c != '{' {
			return Null, d.mismatch(at, "map")
		}
		return d.mapValue(t)
	case t.IsListType(), t.IsSetType(), t.IsTupleType():
		if c != '[' {
			return Null, d.mismatch(at, jsonKindName(t))
		}
		return d.array(t)
	}
	return Null, d.errAt(at, "type %s cannot be decoded from JSON", t.FriendlyName())
}

func jsonKindName(t cty.Type) string {
	switch {
	case t.IsListType():
		return "list"
	case t.IsSetType():
		return "set"
	case t.IsTupleType():
		return "tuple"
	}
	return t.FriendlyName()
}

// mismatch reports a JSON value of the wrong kind, in go-cty's words.
func (d *Decoder) mismatch(at int, want string) error {
	got := "a value"
	switch c := d.data[at]; {
	case c == '"':
		got = "a string"
	case c == 't' || c == 'f':
		got = "a bool"
	case c == '-' || jsonDigit(c):
		got = "a number"
	case c == '{':
		got = "an object"
	case c == '[':
		got = "an array"
	}
	return d.errAt(at, "%s is required, got %s", want, got)
}

// layoutOf returns a layout for an object type met inside a collection,
// cached on the decoder.
func (d *Decoder) layoutOf(t cty.Type) *Layout {
	for _, l := range d.lays {
		if l.Type.Equals(t) {
			return l
		}
	}
	l := NewLayout(t)
	if len(d.lays) < 64 {
		d.lays = append(d.lays, l)
	}
	return l
}

// array decodes a JSON array as a list, set or tuple type.
func (d *Decoder) array(t cty.Type) (Value, error) {
	if d.depth++; d.depth > jsonMaxDepth {
		return Null, d.errAt(d.pos, "exceeded max nesting depth")
	}
	defer func() { d.depth-- }()
	var elems []cty.Type
	if t.IsTupleType() {
		elems = t.TupleElementTypes()
	}
	var ety cty.Type
	var enested *Layout
	if !t.IsTupleType() {
		ety = t.ElementType()
		if ety.IsObjectType() {
			enested = d.layoutOf(ety)
		}
	}
	// Elements go to the shared scratch first; nested arrays use the part
	// past this array's mark.
	mark := len(d.elems)
	defer func() { d.elems = d.elems[:mark] }()
	d.pos++ // '['
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
	} else {
		for {
			i := len(d.elems) - mark
			et, en := ety, enested
			if elems != nil {
				if i >= len(elems) {
					return Null, d.errAt(d.pos, "tuple has more than %d elements", len(elems))
				}
				et, en = elems[i], nil
			}
			v, err := d.value(et, en)
			if err != nil {
				return Null, inField(err, "["+strconv.Itoa(i)+"]")
			}
			d.elems = append(d.elems, v)
			d.skipWS()
			if d.pos >= len(d.data) {
				return Null, d.eof()
			}
			if d.data[d.pos] == ']' {
				d.pos++
				break
			}
			if d.data[d.pos] != ',' {
				return Null, d.errAt(d.pos, "invalid character %q after array element", d.data[d.pos])
			}
			d.pos++
			d.skipWS()
		}
	}
	n := len(d.elems) - mark
	if elems != nil && n != len(elems) {
		return Null, d.errAt(d.pos, "tuple has %d elements, want %d", n, len(elems))
	}
	vs := make([]Value, n)
	copy(vs, d.elems[mark:])
	if t.IsSetType() && n > 0 {
		return canonicalSet(vs, t)
	}
	return List(vs), nil
}

// canonicalSet deduplicates and orders set elements exactly as cty does, by
// going through cty. Sets are rare in record schemas.
func canonicalSet(vs []Value, t cty.Type) (Value, error) {
	cv := make([]cty.Value, len(vs))
	for i, v := range vs {
		cv[i] = ToCty(v, t.ElementType())
	}
	s, err := convert.Convert(cty.TupleVal(cv), t)
	if err != nil {
		return Null, &DecodeError{Reason: fmt.Sprintf("not a valid %s: %s", t.FriendlyName(), err)}
	}
	return FromCty(s), nil
}

// mapValue decodes a JSON object as a map type.
func (d *Decoder) mapValue(t cty.Type) (Value, error) {
	ety := t.ElementType()
	var enested *Layout
	if ety.IsObjectType() {
		enested = d.layoutOf(ety)
	}
	names, vals, err := d.members(func(string) (cty.Type, *Layout) { return ety, enested })
	if err != nil {
		return Null, err
	}
	types := make([]cty.Type, len(names))
	nested := make([]*Layout, len(names))
	attrs := make(map[string]cty.Type, len(names))
	for i, n := range names {
		types[i], nested[i] = ety, enested
		attrs[n] = ety
	}
	return Object(&Record{Layout: newLayoutOf(cty.Object(attrs), names, types, nested), Values: vals}), nil
}

// members decodes a JSON object with keys not known in advance, returning
// NFC-normalized keys sorted, and their values (the last of duplicates).
func (d *Decoder) members(typeOf func(string) (cty.Type, *Layout)) ([]string, []Value, error) {
	if d.depth++; d.depth > jsonMaxDepth {
		return nil, nil, d.errAt(d.pos, "exceeded max nesting depth")
	}
	defer func() { d.depth-- }()
	type member struct {
		k string
		v Value
	}
	var ms []member
	d.pos++ // '{'
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return []string{}, []Value{}, nil
	}
	for {
		if d.pos >= len(d.data) {
			return nil, nil, d.eof()
		}
		if d.data[d.pos] != '"' {
			return nil, nil, d.errAt(d.pos, "invalid character %q looking for an object key", d.data[d.pos])
		}
		k, err := d.str()
		if err != nil {
			return nil, nil, err
		}
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, nil, d.eof()
		}
		if d.data[d.pos] != ':' {
			return nil, nil, d.errAt(d.pos, "invalid character %q after object key", d.data[d.pos])
		}
		d.pos++
		d.skipWS()
		t, l := typeOf(k)
		v, err := d.value(t, l)
		if err != nil {
			return nil, nil, inField(err, k)
		}
		ms = append(ms, member{k, v})
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, nil, d.eof()
		}
		if d.data[d.pos] == '}' {
			d.pos++
			break
		}
		if d.data[d.pos] != ',' {
			return nil, nil, d.errAt(d.pos, "invalid character %q after object value", d.data[d.pos])
		}
		d.pos++
		d.skipWS()
	}
	// Stable sort keeps duplicates in input order; the last one wins.
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].k < ms[j].k })
	names := make([]string, 0, len(ms))
	vals := make([]Value, 0, len(ms))
	for _, m := range ms {
		if n := len(names); n > 0 && names[n-1] == m.k {
			vals[n-1] = m.v
			continue
		}
		names = append(names, m.k)
		vals = append(vals, m.v)
	}
	return names, vals, nil
}

// dynamic decodes any JSON value with its implied type.
func (d *Decoder) dynamic() (Value, error) {
	at := d.pos
	switch c := d.data[d.pos]; {
	case c == 'n':
		return Null, d.literal("null")
	case c == 't':
		return Bool(true), d.literal("true")
	case c == 'f':
		return Bool(false), d.literal("false")
	case c == '"':
		return d.strValue()
	case c == '-' || jsonDigit(c):
		lit, err := d.number()
		if err != nil {
			return Null, err
		}
		v, ok := jsonParseNumber(lit)
		if !ok {
			return Null, d.errAt(at, "number %s is out of range", lit)
		}
		return v, nil
	case c == '[':
		// A tuple of dynamic elements.
		if d.depth++; d.depth > jsonMaxDepth {
			return Null, d.errAt(d.pos, "exceeded max nesting depth")
		}
		defer func() { d.depth-- }()
		var vs []Value
		d.pos++
		d.skipWS()
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			return List([]Value{}), nil
		}
		for {
			if d.pos >= len(d.data) {
				return Null, d.eof()
			}
			v, err := d.dynamic()
			if err != nil {
				return Null, inField(err, "["+strconv.Itoa(len(vs))+"]")
			}
			vs = append(vs, v)
			d.skipWS()
			if d.pos >= len(d.data) {
				return Null, d.eof()
			}
			if d.data[d.pos] == ']' {
				d.pos++
				return List(vs), nil
			}
			if d.data[d.pos] != ',' {
				return Null, d.errAt(d.pos, "invalid character %q after array element", d.data[d.pos])
			}
			d.pos++
			d.skipWS()
		}
	case c == '{':
		names, vals, err := d.members(func(string) (cty.Type, *Layout) { return cty.DynamicPseudoType, nil })
		if err != nil {
			return Null, err
		}
		return Object(objectOfValues(names, vals)), nil
	default:
		return Null, d.errAt(at, "invalid character %q looking for a value", c)
	}
}

// objectOfValues builds a record of the implied object type of values
// keyed by sorted, distinct names.
func objectOfValues(names []string, vals []Value) *Record {
	types := make([]cty.Type, len(names))
	nested := make([]*Layout, len(names))
	attrs := make(map[string]cty.Type, len(names))
	for i, v := range vals {
		types[i] = valueImpliedType(v)
		attrs[names[i]] = types[i]
		if v.Kind == KindObject && v.Obj != nil && types[i].IsObjectType() {
			nested[i] = v.Obj.Layout
		}
	}
	return &Record{Layout: newLayoutOf(cty.Object(attrs), names, types, nested), Values: vals}
}

// valueImpliedType is the cty type a dynamically decoded value has: null is
// cty.DynamicPseudoType, lists are tuples.
func valueImpliedType(v Value) cty.Type {
	switch v.Kind {
	case KindBool:
		return cty.Bool
	case KindNumber:
		return cty.Number
	case KindString:
		return cty.String
	case KindList:
		ts := make([]cty.Type, len(v.List))
		for i, e := range v.List {
			ts[i] = valueImpliedType(e)
		}
		return cty.Tuple(ts)
	case KindObject:
		if v.Obj == nil {
			return cty.DynamicPseudoType
		}
		if v.Obj.Layout.Type.IsObjectType() {
			return v.Obj.Layout.Type
		}
		attrs := make(map[string]cty.Type, len(v.Obj.Values))
		for i, n := range v.Obj.Layout.Names {
			attrs[n] = valueImpliedType(v.Obj.Values[i])
		}
		return cty.Object(attrs)
	}
	return cty.DynamicPseudoType
}

// newLayoutOf builds a layout from sorted names, for map values and
// dynamically typed objects.
func newLayoutOf(t cty.Type, names []string, types []cty.Type, nested []*Layout) *Layout {
	l := &Layout{Type: t, Names: names, Types: types, Nested: nested, index: make(map[string]int, len(names))}
	for i, n := range names {
		l.index[n] = i
	}
	l.initJSONKeys()
	return l
}

// skip consumes one JSON value at d.pos, validating its syntax, without
// building anything.
func (d *Decoder) skip() error {
	if d.pos >= len(d.data) {
		return d.eof()
	}
	switch c := d.data[d.pos]; {
	case c == '"':
		return d.skipString()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || jsonDigit(c):
		_, err := d.number()
		return err
	case c == '{' || c == '[':
		if d.depth++; d.depth > jsonMaxDepth {
			return d.errAt(d.pos, "exceeded max nesting depth")
		}
		defer func() { d.depth-- }()
		obj := c == '{'
		end := byte(']')
		if obj {
			end = '}'
		}
		d.pos++
		d.skipWS()
		if d.pos < len(d.data) && d.data[d.pos] == end {
			d.pos++
			return nil
		}
		for {
			if obj {
				if d.pos >= len(d.data) {
					return d.eof()
				}
				if d.data[d.pos] != '"' {
					return d.errAt(d.pos, "invalid character %q looking for an object key", d.data[d.pos])
				}
				if err := d.skipString(); err != nil {
					return err
				}
				d.skipWS()
				if d.pos >= len(d.data) {
					return d.eof()
				}
				if d.data[d.pos] != ':' {
					return d.errAt(d.pos, "invalid character %q after object key", d.data[d.pos])
				}
				d.pos++
				d.skipWS()
			}
			if err := d.skip(); err != nil {
				return err
			}
			d.skipWS()
			if d.pos >= len(d.data) {
				return d.eof()
			}
			if d.data[d.pos] == end {
				d.pos++
				return nil
			}
			if d.data[d.pos] != ',' {
				return d.errAt(d.pos, "invalid character %q in %s", d.data[d.pos], map[bool]string{true: "object", false: "array"}[obj])
			}
			d.pos++
			d.skipWS()
		}
	default:
		return d.errAt(d.pos, "invalid character %q looking for a value", c)
	}
}

// skipString consumes a string, validating escapes and control characters.
func (d *Decoder) skipString() error {
	i := d.pos + 1
	for ; i+8 <= len(d.data) && !swarStop(binary.LittleEndian.Uint64(d.data[i:])); i += 8 {
	}
	for ; i < len(d.data); i++ {
		if jsonStrPlain[d.data[i]] {
			continue
		}
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(d.data) {
				return d.eof()
			}
			switch d.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if _, ok := jsonHex4(d.data[i+2:]); !ok {
					return d.errAt(i, "invalid \\u escape in string")
				}
				i += 5
			default:
				return d.errAt(i, "invalid escape %q in string", d.data[i+1])
			}
		case c < 0x20:
			return d.errAt(i, "invalid control character in string")
		}
	}
	return d.eof()
}

// AppendJSON appends the record as a JSON object: attributes in layout
// order (sorted by name), nulls written as null. The output is deterministic
// and strings are escaped exactly as encoding/json escapes them.
func (r *Record) AppendJSON(dst []byte) []byte {
	return appendRecordJSON(dst, r, false)
}

// AppendValueJSON appends v as JSON. Numbers are formatted as encoding/json
// formats a float64 (150, 1.5, 1e+21); NaN and ±Inf, which JSON cannot
// carry, are written as null.
func AppendValueJSON(dst []byte, v Value) []byte {
	return appendValueJSON(dst, v, false)
}

// appendCanonicalJSON is AppendValueJSON with -0 written as 0, so that
// values cty considers equal encode equally (state keys, distinct sets).
func appendCanonicalJSON(dst []byte, v Value) []byte {
	return appendValueJSON(dst, v, true)
}

func appendRecordJSON(dst []byte, r *Record, canonical bool) []byte {
	if r == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '{')
	keys := r.Layout.jsonKeys
	for i, name := range r.Layout.Names {
		if len(keys) == len(r.Layout.Names) {
			dst = append(dst, keys[i]...)
		} else {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonAppendString(dst, name)
			dst = append(dst, ':')
		}
		if i < len(r.Values) {
			dst = appendValueJSON(dst, r.Values[i], canonical)
		} else {
			dst = append(dst, "null"...)
		}
	}
	return append(dst, '}')
}

func appendValueJSON(dst []byte, v Value, canonical bool) []byte {
	switch v.Kind {
	case KindBool:
		return strconv.AppendBool(dst, v.Bool)
	case KindNumber:
		if i, ok := v.Int64(); ok {
			return strconv.AppendInt(dst, i, 10)
		}
		if canonical && v.Float() == 0 {
			return append(dst, '0')
		}
		return jsonAppendNumber(dst, v.Float())
	case KindString:
		if v.safe {
			// Nothing to escape or replace: the decoder checked.
			dst = append(dst, '"')
			dst = append(dst, v.Str...)
			return append(dst, '"')
		}
		return jsonAppendString(dst, v.Str)
	case KindList:
		dst = append(dst, '[')
		for i, e := range v.List {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendValueJSON(dst, e, canonical)
		}
		return append(dst, ']')
	case KindObject:
		return appendRecordJSON(dst, v.Obj, canonical)
	}
	return append(dst, "null"...)
}

// jsonAppendNumber formats f as encoding/json does for float64.
func jsonAppendNumber(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		// Integers: the common case, without the float formatter.
		if f == 0 && math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return strconv.AppendInt(dst, int64(f), 10)
	}
	abs := math.Abs(f)
	fmtc := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		fmtc = 'e'
	}
	dst = strconv.AppendFloat(dst, f, fmtc, -1, 64)
	if fmtc == 'e' {
		// Clean up e-09 to e-9.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

const jsonHex = "0123456789abcdef"

// jsonSafe marks the bytes jsonAppendString copies as they are: ASCII
// printable characters other than ", \\ and the HTML-sensitive <, >, &.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// jsonAppendString quotes s as encoding/json does (with its default HTML
// escaping of <, > and &, and escaping of U+2028 and U+2029), replacing
// invalid UTF-8 with U+FFFD.
func jsonAppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if jsonSafe[s[i]] {
			i++
			continue
		}
		if c := s[i]; c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', jsonHex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
