package jsonschemalite

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
)

// UnmarshalJSON decodes one JSON document as santhosh-tekuri does: numbers
// as json.Number, nothing after the value.
func UnmarshalJSON(r io.Reader) (any, error) {
	decoder := json.NewDecoder(r)
	decoder.UseNumber()
	var doc any
	if err := decoder.Decode(&doc); err != nil {
		return nil, err
	}
	if _, err := decoder.Token(); err == nil || err != io.EOF {
		return nil, fmt.Errorf("invalid character after top-level value")
	}
	return doc, nil
}

// Types is a schema's "type": the JSON types a value may have.
type Types struct{ names []string }

// ToStrings returns the type names, in the order null, boolean, number,
// integer, string, array, object.
func (t *Types) ToStrings() []string { return t.names }

func (t *Types) contains(name string) bool {
	for _, n := range t.names {
		if n == name {
			return true
		}
	}
	return false
}

// Enum is a schema's "enum".
type Enum struct{ Values []any }

// Schema is one compiled schema node. The exported fields mirror
// santhosh-tekuri's Schema for the keywords this package supports.
type Schema struct {
	DraftVersion int
	Location     string
	Bool         *bool
	Ref          *Schema
	Types        *Types
	Const        *any
	Enum         *Enum
	Format       string
	Properties   map[string]*Schema
	Required     []string
	// AdditionalProperties is nil, a bool or a *Schema.
	AdditionalProperties any
	// Items is the draft 4 to 2019-09 "items" (a *Schema), Items2020 the
	// 2020-12 one.
	Items       any
	Items2020   *Schema
	UniqueItems bool
	AllOf       []*Schema
	AnyOf       []*Schema
	OneOf       []*Schema

	format func(string) error
}

// UnsupportedError is a schema that uses a keyword (or a form of one) this
// package does not implement.
type UnsupportedError struct {
	Location string // the schema's URL and JSON pointer
	Keyword  string
	Detail   string
}

func (e *UnsupportedError) Error() string {
	s := fmt.Sprintf("%s: keyword %q is not supported by the broker module's JSON Schema validator", e.Location, e.Keyword)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// unsupportedKeywords change what validates and are not implemented.
var unsupportedKeywords = []string{
	"not", "if", "then", "else",
	"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
	"minLength", "maxLength", "pattern",
	"minItems", "maxItems", "contains", "minContains", "maxContains",
	"prefixItems", "additionalItems", "unevaluatedItems", "unevaluatedProperties",
	"minProperties", "maxProperties", "patternProperties", "propertyNames",
	"dependencies", "dependentRequired", "dependentSchemas",
	"$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$vocabulary",
}

// formats are the formats santhosh-tekuri asserts; nil for those this
// package does not implement.
var formats = map[string]func(string) error{
	"date-time": validateDateTime, "date": validateDate, "time": validateTime, "uuid": validateUUID,
	"regex": nil, "json-pointer": nil, "relative-json-pointer": nil, "duration": nil, "period": nil,
	"ipv4": nil, "ipv6": nil, "hostname": nil, "email": nil, "uri": nil, "iri": nil,
	"uri-reference": nil, "iri-reference": nil, "uri-template": nil, "semver": nil,
}

// Compiler compiles schema documents registered with AddResource; it loads
// nothing else.
type Compiler struct {
	resources map[string]any
	compiled  map[string]*Schema // by URL#pointer
}

// NewCompiler returns a compiler with no resources.
func NewCompiler() *Compiler {
	return &Compiler{resources: map[string]any{}, compiled: map[string]*Schema{}}
}

// AddResource registers doc (from UnmarshalJSON) under url.
func (c *Compiler) AddResource(url string, doc any) error {
	if _, ok := c.resources[url]; ok {
		return fmt.Errorf("resource %s added twice", url)
	}
	c.resources[url] = doc
	return nil
}

// Compile compiles the resource registered under url.
func (c *Compiler) Compile(url string) (*Schema, error) {
	return c.compileRef(url, url)
}

// resource is one registered document: its URL, draft and whether its root
// declares an $id (then only "#..." references are supported).
type resource struct {
	url   string
	doc   any
	draft int
	hasID bool
}

func (c *Compiler) resource(url string) (*resource, error) {
	doc, ok := c.resources[url]
	if !ok {
		return nil, fmt.Errorf("no schema resource %s (only the references the registry lists are loaded)", url)
	}
	r := &resource{url: url, doc: doc, draft: 2020}
	if m, ok := doc.(map[string]any); ok {
		if s, ok := m["$schema"]; ok {
			str, _ := s.(string)
			d := draftFromURL(str)
			if d == 0 {
				return nil, &UnsupportedError{Location: url, Keyword: "$schema", Detail: fmt.Sprintf("unknown dialect %q", str)}
			}
			r.draft = d
		}
		idKey := "$id"
		if r.draft == 4 {
			idKey = "id"
		}
		_, r.hasID = m[idKey]
	}
	return r, nil
}

func draftFromURL(url string) int {
	u := strings.TrimSuffix(url, "#")
	if v, ok := strings.CutPrefix(u, "http://"); ok {
		u = v
	} else {
		u = strings.TrimPrefix(u, "https://")
	}
	switch u {
	case "json-schema.org/schema", "json-schema.org/draft/2020-12/schema":
		return 2020
	case "json-schema.org/draft/2019-09/schema":
		return 2019
	case "json-schema.org/draft-07/schema":
		return 7
	case "json-schema.org/draft-06/schema":
		return 6
	case "json-schema.org/draft-04/schema":
		return 4
	}
	return 0
}

// compileRef compiles the schema a reference names, relative to base.
func (c *Compiler) compileRef(base, ref string) (*Schema, error) {
	docURL, frag, _ := strings.Cut(ref, "#")
	if docURL == "" {
		docURL, _, _ = strings.Cut(base, "#")
	} else if !strings.Contains(docURL, "://") {
		if strings.HasPrefix(docURL, "/") || strings.Contains(docURL, "..") {
			return nil, &UnsupportedError{Location: base, Keyword: "$ref", Detail: fmt.Sprintf("%q leaves the references' folder", ref)}
		}
		b, _, _ := strings.Cut(base, "#")
		docURL = b[:strings.LastIndexByte(b, '/')+1] + strings.TrimPrefix(docURL, "./")
	}
	if frag != "" && !strings.HasPrefix(frag, "/") {
		return nil, &UnsupportedError{Location: base, Keyword: "$ref", Detail: fmt.Sprintf("%q names an anchor", ref)}
	}
	key := docURL + "#" + frag
	if s, ok := c.compiled[key]; ok {
		return s, nil
	}
	res, err := c.resource(docURL)
	if err != nil {
		return nil, err
	}
	v := res.doc
	if frag != "" {
		for _, tok := range strings.Split(frag[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(pctDecode(tok), "~1", "/"), "~0", "~")
			var ok bool
			switch x := v.(type) {
			case map[string]any:
				v, ok = x[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				ok = err == nil && i >= 0 && i < len(x)
				if ok {
					v = x[i]
				}
			default:
				ok = false
			}
			if !ok {
				return nil, fmt.Errorf("$ref %s: no such location", key)
			}
		}
	}
	return c.compile(res, key, v)
}

func pctDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// compile compiles the schema v found at loc (URL#pointer) in res.
func (c *Compiler) compile(res *resource, loc string, v any) (*Schema, error) {
	s := &Schema{DraftVersion: res.draft, Location: loc}
	c.compiled[loc] = s // before the children: recursive references end here
	switch x := v.(type) {
	case bool:
		s.Bool = &x
		return s, nil
	case map[string]any:
		return s, c.compileObject(res, s, x)
	}
	return nil, fmt.Errorf("%s: a schema must be an object or a boolean", loc)
}

func (c *Compiler) compileObject(res *resource, s *Schema, m map[string]any) error {
	loc := s.Location
	child := func(v any, tokens ...string) (*Schema, error) {
		l := loc
		for _, t := range tokens {
			l += "/" + strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
		}
		if sub, ok := c.compiled[l]; ok {
			return sub, nil
		}
		return c.compile(res, l, v)
	}
	if r, ok := m["$ref"]; ok {
		ref, isStr := r.(string)
		if !isStr {
			return fmt.Errorf("%s: $ref must be a string", loc)
		}
		if res.hasID && !strings.HasPrefix(ref, "#") {
			return &UnsupportedError{Location: loc, Keyword: "$ref", Detail: "a reference to another document from a schema with an $id"}
		}
		target, err := c.compileRef(loc, ref)
		if err != nil {
			return err
		}
		s.Ref = target
		if res.draft < 2019 {
			return nil // all other properties in a "$ref" object are ignored
		}
	}
	for _, k := range unsupportedKeywords {
		if _, ok := m[k]; ok {
			return &UnsupportedError{Location: loc, Keyword: k}
		}
	}
	idKey := "$id"
	if res.draft == 4 {
		idKey = "id"
	}
	if _, ok := m[idKey]; ok && !strings.HasSuffix(loc, "#") {
		return &UnsupportedError{Location: loc, Keyword: idKey, Detail: "an embedded resource"}
	}
	if t, ok := m["type"]; ok {
		var names []string
		switch x := t.(type) {
		case string:
			names = []string{x}
		case []any:
			for _, n := range x {
				str, ok := n.(string)
				if !ok {
					return fmt.Errorf("%s: type must name JSON types", loc)
				}
				names = append(names, str)
			}
		default:
			return fmt.Errorf("%s: type must be a string or an array", loc)
		}
		if len(names) == 0 {
			return fmt.Errorf("%s: type must name at least one JSON type", loc)
		}
		for _, n := range names {
			switch n {
			case "null", "boolean", "object", "array", "number", "string", "integer":
			default:
				return fmt.Errorf("%s: unknown type %q", loc, n)
			}
		}
		// In santhosh-tekuri's order, which its messages and ir/eval's
		// type mapping read.
		var ordered []string
		for _, n := range []string{"null", "boolean", "number", "integer", "string", "array", "object"} {
			for _, m := range names {
				if m == n {
					ordered = append(ordered, n)
					break
				}
			}
		}
		s.Types = &Types{names: ordered}
	}
	if e, ok := m["enum"]; ok {
		vals, ok := e.([]any)
		if !ok {
			return fmt.Errorf("%s: enum must be an array", loc)
		}
		s.Enum = &Enum{Values: vals}
	}
	if cv, ok := m["const"]; ok && res.draft >= 6 {
		s.Const = &cv
	}
	if f, ok := m["format"]; ok && res.draft < 2019 {
		if name, ok := f.(string); ok {
			if fn, known := formats[name]; known {
				if fn == nil {
					return &UnsupportedError{Location: loc, Keyword: "format", Detail: fmt.Sprintf("format %q", name)}
				}
				s.Format, s.format = name, fn
			}
		}
	}
	if r, ok := m["required"]; ok {
		arr, ok := r.([]any)
		if !ok {
			return fmt.Errorf("%s: required must be an array", loc)
		}
		for _, n := range arr {
			str, ok := n.(string)
			if !ok {
				return fmt.Errorf("%s: required must list property names", loc)
			}
			s.Required = append(s.Required, str)
		}
	}
	if p, ok := m["properties"]; ok {
		props, ok := p.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: properties must be an object", loc)
		}
		s.Properties = map[string]*Schema{}
		for name, pv := range props {
			sub, err := child(pv, "properties", name)
			if err != nil {
				return err
			}
			s.Properties[name] = sub
		}
	}
	if ap, ok := m["additionalProperties"]; ok {
		if b, ok := ap.(bool); ok {
			s.AdditionalProperties = b
		} else {
			sub, err := child(ap, "additionalProperties")
			if err != nil {
				return err
			}
			s.AdditionalProperties = sub
		}
	}
	if u, ok := m["uniqueItems"].(bool); ok {
		s.UniqueItems = u
	}
	if it, ok := m["items"]; ok {
		if _, isArr := it.([]any); isArr {
			return &UnsupportedError{Location: loc, Keyword: "items", Detail: "the array form"}
		}
		sub, err := child(it, "items")
		if err != nil {
			return err
		}
		if res.draft >= 2020 {
			s.Items2020 = sub
		} else {
			s.Items = sub
		}
	}
	for _, kw := range []struct {
		name string
		dst  *[]*Schema
	}{{"allOf", &s.AllOf}, {"anyOf", &s.AnyOf}, {"oneOf", &s.OneOf}} {
		v, ok := m[kw.name]
		if !ok {
			continue
		}
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			return fmt.Errorf("%s: %s must be a non-empty array", loc, kw.name)
		}
		for i, a := range arr {
			sub, err := child(a, kw.name, strconv.Itoa(i))
			if err != nil {
				return err
			}
			*kw.dst = append(*kw.dst, sub)
		}
	}
	return nil
}

// ValidationError is the first rule a document breaks: where (the instance
// location, one token per object key or array index) and why, in
// santhosh-tekuri's words.
type ValidationError struct {
	InstanceLocation []string
	Message          string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("at '/%s': %s", strings.Join(e.InstanceLocation, "/"), e.Message)
}

// Validate validates v (from UnmarshalJSON); the error is a
// *ValidationError.
func (s *Schema) Validate(v any) error {
	if err := s.validate(v, nil); err != nil {
		return err
	}
	return nil
}

func fail(loc []string, format string, args ...any) *ValidationError {
	return &ValidationError{InstanceLocation: append([]string(nil), loc...), Message: fmt.Sprintf(format, args...)}
}

func (s *Schema) validate(v any, loc []string) *ValidationError {
	if s.Bool != nil {
		if *s.Bool {
			return nil
		}
		return fail(loc, "false schema")
	}
	t := typeOf(v)
	if t == "" {
		return fail(loc, "invalid jsonType %T", v)
	}
	if s.Types != nil && len(s.Types.names) > 0 {
		if !s.Types.contains(t) && !(s.Types.contains("integer") && t == "number" && isInteger(v)) {
			return fail(loc, "got %s, want %s", t, strings.Join(s.Types.names, " or "))
		}
	}
	if s.Const != nil && !equals(v, *s.Const) {
		switch want := (*s.Const).(type) {
		case []any, map[string]any:
			return fail(loc, "'const' failed")
		default:
			return fail(loc, "value must be %s", display(want))
		}
	}
	if s.Enum != nil {
		matched := false
		for _, item := range s.Enum.Values {
			if equals(v, item) {
				matched = true
				break
			}
		}
		if !matched {
			return fail(loc, "%s", enumMessage(s.Enum.Values))
		}
	}
	if s.format != nil {
		if str, ok := v.(string); ok {
			if err := s.format(str); err != nil {
				return fail(loc, "%s is not valid %s: %v", display(v), s.Format, err)
			}
		}
	}
	if s.Ref != nil {
		if err := s.Ref.validate(v, loc); err != nil || s.DraftVersion < 2019 {
			return err
		}
	}
	switch x := v.(type) {
	case map[string]any:
		if err := s.validateObject(x, loc); err != nil {
			return err
		}
	case []any:
		if s.UniqueItems {
			// The first pair by the later index, then the earlier one,
			// as santhosh-tekuri reports it.
			for i := 1; i < len(x); i++ {
				for j := 0; j < i; j++ {
					if equals(x[i], x[j]) {
						return fail(loc, "items at %d and %d are equal", j, i)
					}
				}
			}
		}
		items := s.Items2020
		if it, ok := s.Items.(*Schema); ok {
			items = it
		}
		if items != nil {
			for i, e := range x {
				if err := items.validate(e, append(loc, strconv.Itoa(i))); err != nil {
					return err
				}
			}
		}
	}
	for _, sub := range s.AllOf {
		if err := sub.validate(v, loc); err != nil {
			return err
		}
	}
	if len(s.AnyOf) > 0 {
		var first *ValidationError
		matched := false
		for _, sub := range s.AnyOf {
			err := sub.validate(v, loc)
			if err == nil {
				matched = true
				break
			}
			if first == nil {
				first = err
			}
		}
		if !matched {
			return first
		}
	}
	if len(s.OneOf) > 0 {
		var first *ValidationError
		matched := -1
		for i, sub := range s.OneOf {
			err := sub.validate(v, loc)
			if err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			if matched >= 0 {
				return fail(loc, "'oneOf' failed, subschemas %d, %d matched", matched, i)
			}
			matched = i
		}
		if matched < 0 {
			return first
		}
	}
	return nil
}

func (s *Schema) validateObject(obj map[string]any, loc []string) *ValidationError {
	var missing []string
	for _, name := range s.Required {
		if _, ok := obj[name]; !ok {
			missing = append(missing, name)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		return fail(loc, "missing property %s", quote(missing[0]))
	default:
		return fail(loc, "missing properties %s", joinQuoted(missing))
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
	var additional []string
	for _, name := range names {
		if p, ok := s.Properties[name]; ok {
			if err := p.validate(obj[name], append(loc, name)); err != nil {
				return err
			}
			continue
		}
		switch ap := s.AdditionalProperties.(type) {
		case bool:
			if !ap {
				additional = append(additional, name)
			}
		case *Schema:
			if err := ap.validate(obj[name], append(loc, name)); err != nil {
				return err
			}
		}
	}
	if len(additional) > 0 {
		return fail(loc, "additional properties %s not allowed", joinQuoted(additional))
	}
	return nil
}

func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return ""
}

func isInteger(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	r, ok := new(big.Rat).SetString(string(n))
	return ok && r.IsInt()
}

// equals is JSON equality: numbers by value (1 equals 1.0).
func equals(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equals(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equals(x[i], y[i]) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		r1, ok1 := new(big.Rat).SetString(string(x))
		r2, ok2 := new(big.Rat).SetString(string(y))
		return ok1 && ok2 && r1.Cmp(r2) == 0
	}
	return false
}

func enumMessage(want []any) string {
	for _, item := range want {
		switch item.(type) {
		case []any, map[string]any:
			return "'enum' failed"
		}
	}
	if len(want) == 1 {
		return "value must be " + display(want[0])
	}
	parts := make([]string, len(want))
	for i, v := range want {
		parts[i] = display(v)
	}
	return "value must be one of " + strings.Join(parts, ", ")
}

// quote single-quotes s as santhosh-tekuri's messages do.
func quote(s string) string {
	s = strconv.Quote(s)
	s = strings.ReplaceAll(s, `\"`, `"`)
	s = strings.ReplaceAll(s, `'`, `\'`)
	return "'" + s[1:len(s)-1] + "'"
}

func joinQuoted(arr []string) string {
	parts := make([]string, len(arr))
	for i, s := range arr {
		parts[i] = quote(s)
	}
	return strings.Join(parts, ", ")
}

func display(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case []any, map[string]any:
		return "value"
	}
	return fmt.Sprintf("%v", v)
}

// The format checks below follow santhosh-tekuri/jsonschema v6.0.3's
// format.go (Apache License 2.0), so that the same strings pass.

func validateDate(s string) error {
	_, err := time.Parse("2006-01-02", s)
	return err
}

func validateTime(str string) error {
	// min: hh:mm:ssZ
	if len(str) < 9 {
		return errors.New("less than 9 characters long")
	}
	if str[2] != ':' || str[5] != ':' {
		return errors.New("missing colon in correct place")
	}
	var hms []int
	for _, tok := range strings.SplitN(str[:8], ":", 3) {
		i, err := strconv.Atoi(tok)
		if err != nil {
			return errors.New("invalid hour/min/sec")
		}
		if i < 0 {
			return errors.New("non-positive hour/min/sec")
		}
		hms = append(hms, i)
	}
	if len(hms) != 3 {
		return errors.New("missing hour/min/sec")
	}
	h, m, s := hms[0], hms[1], hms[2]
	if h > 23 || m > 59 || s > 60 {
		return errors.New("hour/min/sec out of range")
	}
	str = str[8:]
	// parse sec-frac if present
	if rem, ok := strings.CutPrefix(str, "."); ok {
		numDigits := 0
		for _, ch := range rem {
			if ch >= '0' && ch <= '9' {
				numDigits++
			} else {
				break
			}
		}
		if numDigits == 0 {
			return errors.New("no digits in second fraction")
		}
		str = rem[numDigits:]
	}

	if str != "z" && str != "Z" {
		// parse time-numoffset
		if len(str) != 6 {
			return errors.New("offset must be 6 characters long")
		}
		var sign int
		switch str[0] {
		case '+':
			sign = -1
		case '-':
			sign = +1
		default:
			return errors.New("offset must begin with plus/minus")
		}
		str = str[1:]
		if str[2] != ':' {
			return errors.New("missing colon in offset in correct place")
		}

		var zhm []int
		for _, tok := range strings.SplitN(str, ":", 2) {
			i, err := strconv.Atoi(tok)
			if err != nil {
				return errors.New("invalid hour/min in offset")
			}
			if i < 0 {
				return errors.New("non-positive hour/min in offset")
			}
			zhm = append(zhm, i)
		}
		zh, zm := zhm[0], zhm[1]
		if zh > 23 || zm > 59 {
			return errors.New("hour/min in offset out of range")
		}

		// apply timezone
		hm := (h*60 + m) + sign*(zh*60+zm)
		if hm < 0 {
			hm += 24 * 60
		}
		h, m = hm/60, hm%60
	}

	// check leap second
	if s >= 60 && (h != 23 || m != 59) {
		return errors.New("invalid leap second")
	}
	return nil
}

func validateDateTime(s string) error {
	// min: yyyy-mm-ddThh:mm:ssZ
	if len(s) < 20 {
		return errors.New("less than 20 characters long")
	}
	if s[10] != 't' && s[10] != 'T' {
		return errors.New("11th character must be t or T")
	}
	if err := validateDate(s[:10]); err != nil {
		return fmt.Errorf("invalid date element: %v", err)
	}
	if err := validateTime(s[11:]); err != nil {
		return fmt.Errorf("invalid time element: %v", err)
	}
	return nil
}

func validateUUID(s string) error {
	hexGroups := []int{8, 4, 4, 4, 12}
	groups := strings.Split(s, "-")
	if len(groups) != len(hexGroups) {
		return fmt.Errorf("must have %d elements", len(hexGroups))
	}
	for i, group := range groups {
		if len(group) != hexGroups[i] {
			return fmt.Errorf("element %d must be %d characters long", i+1, hexGroups[i])
		}
		for _, ch := range group {
			switch {
			case ch >= '0' && ch <= '9':
			case ch >= 'a' && ch <= 'f':
			case ch >= 'A' && ch <= 'F':
			default:
				return fmt.Errorf("non-hex character %q", ch)
			}
		}
	}
	return nil
}
