package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
	jsonschema "github.com/pipeline-compiler/pipeline/ir/eval/internal/jsonschemaapi"
	"github.com/zclconf/go-cty/cty"
)

// This file is the "json_schema" format: a record is the Confluent frame
// header followed by one JSON object that conforms to a JSON Schema
// document. Records are validated with santhosh-tekuri/jsonschema, then
// decoded by the JSON decoder of codec.go into the layout of the type
// jsonSchemaType gives, so a json_schema record means what the same JSON
// means in format "json". In the broker module (GOOS=wasip1) the validator
// is internal/jsonschemalite (see internal/jsonschemaapi), which implements
// the keywords this mapping reads; ModuleSupportsSchema tells the planner
// whether a schema stays within them.
//
// Type mapping (the README's table):
//
//	"type": "object" with properties   object({...}), one attribute per property
//	"type": "object", additionalProperties: S, no properties   map(S)
//	"type": "array", items: S          list(S)
//	"type": "string" (any format, date-time included), or an enum of strings   string
//	"type": "integer" or "number"      number
//	"type": "boolean"                  bool
//	["T", "null"], or anyOf/oneOf [T, {"type":"null"}]   T (nullable)
//	anything else (several types, no type, const of mixed kinds)   any (dynamic)
//
// Every cty attribute can be null; whether the schema allows a null or a
// missing property is enforced by validation, on reading and writing.

// jsonSchemaBase is the base URL schema documents are compiled under, so a
// relative "$ref": "address.json" names the reference "address.json". The
// compiler loads nothing else: no files, no network.
const jsonSchemaBase = "mem://schemas/"

// jsonKind is the shape of one JSON Schema node.
type jsonKind int

const (
	jsAny jsonKind = iota
	jsObject
	jsMap
	jsArray
	jsString
	jsInteger
	jsNumber
	jsBool
)

func (k jsonKind) String() string {
	return [...]string{"any", "object", "map", "array", "string", "integer", "number", "boolean"}[k]
}

// jsonNode is the part of a compiled schema the codec and the compatibility
// check read.
type jsonNode struct {
	kind     jsonKind
	nullable bool
	enum     []string // string enums; nil when unconstrained
	props    map[string]*jsonNode
	required map[string]bool
	closed   bool      // additionalProperties: false
	elem     *jsonNode // array items, map values
}

// compiledJSONSchema is a schema document compiled for validation, with its
// node tree.
type compiledJSONSchema struct {
	schema *jsonschema.Schema
	root   *jsonNode
}

func compileJSONSchema(s *ir.SchemaDoc) (*compiledJSONSchema, error) {
	c := jsonschema.NewCompiler()
	main, err := addJSONSchemaDocs(s, jsonschema.UnmarshalJSON, c.AddResource)
	if err != nil {
		return nil, err
	}
	sch, err := c.Compile(main)
	if err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	root, err := jsonNodeOf(sch, 0)
	if err != nil {
		return nil, err
	}
	if root.kind != jsObject {
		return nil, fmt.Errorf("json_schema: the document describes %s, not an object with properties: a record must be an object", root.kind)
	}
	return &compiledJSONSchema{schema: sch, root: root}, nil
}

// jsonNodeOf reads the node of sch. depth bounds recursive schemas, which
// have no finite cty type.
func jsonNodeOf(sch *jsonschema.Schema, depth int) (*jsonNode, error) {
	if depth > 64 {
		return nil, errors.New("json_schema: the schema nests more than 64 levels (a recursive $ref?), which has no record type")
	}
	for sch.Ref != nil && sch.Types == nil && sch.Properties == nil {
		sch = sch.Ref
	}
	n := &jsonNode{}
	if sch.Bool != nil {
		n.nullable = *sch.Bool
		return n, nil
	}
	// anyOf/oneOf [T, {"type":"null"}] is a nullable T.
	for _, alts := range [][]*jsonschema.Schema{sch.AnyOf, sch.OneOf} {
		if len(alts) == 2 && sch.Types == nil {
			for i, a := range alts {
				if a.Types != nil && a.Types.ToStrings()[0] == "null" && len(a.Types.ToStrings()) == 1 {
					inner, err := jsonNodeOf(alts[1-i], depth+1)
					if err != nil {
						return nil, err
					}
					inner.nullable = true
					return inner, nil
				}
			}
		}
	}
	var types []string
	if sch.Types != nil {
		for _, t := range sch.Types.ToStrings() {
			if t == "null" {
				n.nullable = true
				continue
			}
			types = append(types, t)
		}
	}
	if sch.Enum != nil {
		allStrings := true
		for _, v := range sch.Enum.Values {
			switch s := v.(type) {
			case string:
				n.enum = append(n.enum, s)
			case nil:
				n.nullable = true
			default:
				allStrings = false
			}
		}
		if allStrings && len(types) == 0 {
			types = []string{"string"}
		}
		if !allStrings {
			n.enum = nil
		}
	}
	if len(types) != 1 {
		if len(types) == 0 && sch.Types == nil && len(sch.Properties) > 0 {
			types = []string{"object"} // properties without "type"
		} else {
			n.kind = jsAny
			return n, nil
		}
	}
	switch types[0] {
	case "string":
		n.kind = jsString
	case "integer":
		n.kind = jsInteger
	case "number":
		n.kind = jsNumber
	case "boolean":
		n.kind = jsBool
	case "array":
		n.kind = jsArray
		var items *jsonschema.Schema
		switch it := sch.Items.(type) {
		case *jsonschema.Schema:
			items = it
		}
		if sch.Items2020 != nil {
			items = sch.Items2020
		}
		if items == nil {
			n.elem = &jsonNode{kind: jsAny, nullable: true}
			break
		}
		e, err := jsonNodeOf(items, depth+1)
		if err != nil {
			return nil, err
		}
		n.elem = e
	case "object":
		n.kind = jsObject
		switch ap := sch.AdditionalProperties.(type) {
		case bool:
			n.closed = !ap
		case *jsonschema.Schema:
			if len(sch.Properties) == 0 {
				e, err := jsonNodeOf(ap, depth+1)
				if err != nil {
					return nil, err
				}
				n.kind, n.elem = jsMap, e
				return n, nil
			}
		}
		n.props = map[string]*jsonNode{}
		n.required = map[string]bool{}
		for _, r := range sch.Required {
			n.required[r] = true
		}
		for name, p := range sch.Properties {
			pn, err := jsonNodeOf(p, depth+1)
			if err != nil {
				return nil, fmt.Errorf("property %s: %w", name, err)
			}
			n.props[name] = pn
		}
	default:
		n.kind = jsAny
	}
	return n, nil
}

// ctyType is the record type of values of n.
func (n *jsonNode) ctyType() cty.Type {
	switch n.kind {
	case jsString:
		return cty.String
	case jsInteger, jsNumber:
		return cty.Number
	case jsBool:
		return cty.Bool
	case jsArray:
		return cty.List(n.elem.ctyType())
	case jsMap:
		return cty.Map(n.elem.ctyType())
	case jsObject:
		attrs := make(map[string]cty.Type, len(n.props))
		for name, p := range n.props {
			attrs[name] = p.ctyType()
		}
		return cty.Object(attrs)
	}
	return cty.DynamicPseudoType
}

func jsonSchemaType(s *ir.SchemaDoc) (cty.Type, error) {
	c, err := compileJSONSchema(s)
	if err != nil {
		return cty.NilType, err
	}
	return c.root.ctyType(), nil
}

// deriveJSONSchema writes a draft-07 schema for records of t. Every
// property is nullable and optional (a sink writes null for a null
// attribute), and the content model stays open, so adding an output field
// is a compatible change for readers.
func deriveJSONSchema(name string, t cty.Type) (*ir.SchemaDoc, error) {
	if !t.IsObjectType() {
		return nil, fmt.Errorf("json_schema: a sink's records must be objects, not %s", t.FriendlyName())
	}
	doc := map[string]any{
		"$schema": "http://json-schema.org/draft-07/schema#",
	}
	if name != "" {
		doc["title"] = name
	}
	body, err := deriveJSONNode(t)
	if err != nil {
		return nil, err
	}
	for k, v := range body {
		doc[k] = v
	}
	// encoding/json sorts map keys: the text is deterministic, so the same
	// output type always derives the same schema (and registers once).
	text, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	return &ir.SchemaDoc{Format: FormatJSONSchema, Text: string(text)}, nil
}

func deriveJSONNode(t cty.Type) (map[string]any, error) {
	nullable := func(typ string) map[string]any { return map[string]any{"type": []string{typ, "null"}} }
	switch {
	case t == cty.String:
		return nullable("string"), nil
	case t == cty.Number:
		return nullable("number"), nil
	case t == cty.Bool:
		return nullable("boolean"), nil
	case t == cty.DynamicPseudoType:
		return map[string]any{}, nil
	case t.IsListType() || t.IsSetType():
		e, err := deriveJSONNode(t.ElementType())
		if err != nil {
			return nil, err
		}
		n := nullable("array")
		n["items"] = e
		if t.IsSetType() {
			n["uniqueItems"] = true
		}
		return n, nil
	case t.IsTupleType():
		// Tuples of mixed types have no single item schema: any items.
		return nullable("array"), nil
	case t.IsMapType():
		e, err := deriveJSONNode(t.ElementType())
		if err != nil {
			return nil, err
		}
		n := nullable("object")
		n["additionalProperties"] = e
		return n, nil
	case t.IsObjectType():
		props := map[string]any{}
		for name, at := range t.AttributeTypes() {
			p, err := deriveJSONNode(at)
			if err != nil {
				return nil, fmt.Errorf("attribute %s: %w", name, err)
			}
			props[name] = p
		}
		n := nullable("object")
		n["properties"] = props
		return n, nil
	}
	return nil, fmt.Errorf("json_schema: type %s has no JSON Schema", t.FriendlyName())
}

// jsonSchemaCompatible checks a documented subset of the JSON Schema
// compatibility rules, on the two schemas' node trees. reader must read
// everything writer allows:
//
//   - a property the reader requires must be required by the writer
//     (adding a required property breaks BACKWARD);
//   - a property the writer has must still be readable: the reader must
//     not close its content model (additionalProperties: false) without it
//     (removing a property from a closed schema breaks FORWARD's reverse);
//   - types must not narrow: number -> integer, anything -> a different
//     kind, nullable -> not nullable, an enum losing a value or appearing.
//     integer -> number widens and is compatible.
//
// BACKWARD: reader next, writer prev. FORWARD: reader prev, writer next.
// FULL: both. The transitive levels are checked against the one previous
// schema the plan pins (the subject's latest), as their non-transitive
// form. NONE checks nothing.
func jsonSchemaCompatible(level string, prev, next *ir.SchemaDoc) ([]Incompatibility, error) {
	p, err := compileJSONSchema(prev)
	if err != nil {
		return nil, fmt.Errorf("previous schema: %w", err)
	}
	n, err := compileJSONSchema(next)
	if err != nil {
		return nil, fmt.Errorf("new schema: %w", err)
	}
	var out []Incompatibility
	switch level {
	case CompatNone:
	case CompatBackward, CompatBackwardTransitive, "":
		out = readableBy(n.root, p.root, "", out)
	case CompatForward, CompatForwardTransitive:
		out = readableBy(p.root, n.root, "", out)
	case CompatFull, CompatFullTransitive:
		out = readableBy(n.root, p.root, "", out)
		out = readableBy(p.root, n.root, "", out)
	default:
		return nil, fmt.Errorf("unknown compatibility level %q (known: BACKWARD, FORWARD, FULL, their _TRANSITIVE forms, NONE)", level)
	}
	return dedupeIncompatibilities(out), nil
}

func dedupeIncompatibilities(in []Incompatibility) []Incompatibility {
	seen := map[Incompatibility]bool{}
	var out []Incompatibility
	for _, i := range in {
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out
}

// readableBy appends why reader cannot read every value writer allows.
func readableBy(reader, writer *jsonNode, path string, out []Incompatibility) []Incompatibility {
	if reader.kind == jsAny {
		if writer.nullable && !reader.nullable && !isUnconstrained(reader) {
			out = append(out, Incompatibility{Field: path, Reason: "changed from nullable to not nullable"})
		}
		return out
	}
	if writer.kind != reader.kind && !(writer.kind == jsInteger && reader.kind == jsNumber) {
		return append(out, Incompatibility{Field: path, Reason: fmt.Sprintf("changed from %s to %s", writer.describe(), reader.describe())})
	}
	if writer.nullable && !reader.nullable {
		out = append(out, Incompatibility{Field: path, Reason: "changed from nullable to not nullable"})
	}
	if reader.enum != nil {
		allowed := map[string]bool{}
		for _, v := range reader.enum {
			allowed[v] = true
		}
		if writer.enum == nil {
			out = append(out, Incompatibility{Field: path, Reason: "became an enum"})
		}
		for _, v := range writer.enum {
			if !allowed[v] {
				out = append(out, Incompatibility{Field: path, Reason: fmt.Sprintf("enum lost the value %q", v)})
			}
		}
	}
	switch reader.kind {
	case jsArray, jsMap:
		out = readableBy(reader.elem, writer.elem, jsJoinPath(path, "[]"), out)
	case jsObject:
		for _, name := range sortedKeys(reader.props) {
			rp := reader.props[name]
			wp, ok := writer.props[name]
			if reader.required[name] && !writer.required[name] {
				if ok {
					out = append(out, Incompatibility{Field: jsJoinPath(path, name), Reason: "became required"})
				} else {
					out = append(out, Incompatibility{Field: jsJoinPath(path, name), Reason: "was added as a required property"})
				}
				continue
			}
			if ok {
				out = readableBy(rp, wp, jsJoinPath(path, name), out)
			}
		}
		if reader.closed {
			for _, name := range sortedKeys(writer.props) {
				if _, ok := reader.props[name]; !ok {
					out = append(out, Incompatibility{Field: jsJoinPath(path, name), Reason: "was removed, and the schema does not allow additional properties"})
				}
			}
		}
	}
	return out
}

func isUnconstrained(n *jsonNode) bool { return n.kind == jsAny && n.nullable }

func (n *jsonNode) describe() string {
	switch n.kind {
	case jsArray:
		return "array of " + n.elem.describe()
	case jsMap:
		return "map of " + n.elem.describe()
	}
	return n.kind.String()
}

func jsJoinPath(path, step string) string {
	switch {
	case path == "":
		return step
	case step == "[]":
		return path + step
	}
	return path + "." + step
}

func sortedKeys(m map[string]*jsonNode) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonSchemaCodec reads and writes framed JSON documents validated against
// the schema.
type jsonSchemaCodec struct {
	spec     CodecSpec
	compiled *compiledJSONSchema
	// writers caches compiled writer schemas by ID (records framed with
	// another registered version of the subject).
	writers map[int]*compiledJSONSchema
	dec     Decoder
	scratch []byte
}

func newJSONSchemaCodec(spec CodecSpec) (Codec, error) {
	c, err := compileJSONSchema(spec.Schema)
	if err != nil {
		return nil, err
	}
	return &jsonSchemaCodec{spec: spec, compiled: c, writers: map[int]*compiledJSONSchema{}}, nil
}

func (*jsonSchemaCodec) Format() string { return FormatJSONSchema }

// validatorFor returns the schema a record framed with id is validated
// against: its writer's schema.
func (c *jsonSchemaCodec) validatorFor(id int) (*compiledJSONSchema, error) {
	if c.spec.Schema.ID == id || c.spec.Schema.ID == 0 {
		return c.compiled, nil
	}
	if w, ok := c.writers[id]; ok {
		return w, nil
	}
	doc, err := c.spec.writerSchema(id)
	if err != nil {
		return nil, err
	}
	if doc.Format != FormatJSONSchema {
		return nil, &DecodeError{Reason: fmt.Sprintf("json_schema: schema ID %d is a %s schema", id, doc.Format)}
	}
	w, err := compileJSONSchema(doc)
	if err != nil {
		return nil, &DecodeError{Reason: fmt.Sprintf("json_schema: schema ID %d: %v", id, err)}
	}
	c.writers[id] = w
	return w, nil
}

func (c *jsonSchemaCodec) Decode(l *Layout, needed []bool, data []byte, r *Record) error {
	id, payload, err := splitConfluentHeader(FormatJSONSchema, data)
	if err != nil {
		return err
	}
	v, err := c.validatorFor(id)
	if err != nil {
		return err
	}
	verr := validateJSON(v.schema, payload)
	if verr != nil && !c.spec.Coerce {
		return verr
	}
	if err := c.dec.DecodeNeeded(l, needed, payload, r); err != nil {
		if verr != nil {
			return verr
		}
		return err
	}
	if verr == nil {
		return nil
	}
	// Coerce: the JSON decoder converted drifted scalars to the layout's
	// types ("100" into a number). The record is kept only when its
	// converted form conforms; otherwise the original reason stands.
	if needed != nil {
		// A pruned decode cannot be re-checked whole: decode everything.
		if err := c.dec.Decode(l, payload, r); err != nil {
			return verr
		}
	}
	c.scratch = appendJSONForSchema(c.scratch[:0], r, v.root)
	if validateJSON(v.schema, c.scratch) != nil {
		return verr
	}
	return nil
}

func (c *jsonSchemaCodec) Append(dst []byte, r *Record) []byte {
	dst = appendConfluentHeader(dst, c.spec.Schema.ID)
	return appendJSONForSchema(dst, r, c.compiled.root)
}

// AppendChecked appends r framed, or reports why r does not conform to the
// writer's schema (dst is then returned unchanged).
func (c *jsonSchemaCodec) AppendChecked(dst []byte, r *Record) ([]byte, error) {
	start := len(dst)
	dst = c.Append(dst, r)
	if err := validateJSON(c.compiled.schema, dst[start+5:]); err != nil {
		// validateJSON returns a *DecodeError itself (a type assertion, not
		// errors.As, which would link internal/reflectlite into the module).
		if de, ok := err.(*DecodeError); ok {
			return dst[:start], fmt.Errorf("record does not conform to the sink's JSON Schema: %s", de.describe())
		}
		return dst[:start], err
	}
	return dst, nil
}

// describe is the error without the JSON decoder's "json:" prefix.
func (e *DecodeError) describe() string {
	if e.Field == "" {
		return e.Reason
	}
	return "field " + e.Field + ": " + e.Reason
}

// appendJSONForSchema writes r as a JSON object with the existing JSON
// writer, leaving out null attributes the schema neither requires nor
// allows to be null (an optional property is absent rather than null).
func appendJSONForSchema(dst []byte, r *Record, n *jsonNode) []byte {
	if r == nil || n == nil || n.kind != jsObject {
		return appendRecordJSON(dst, r, false)
	}
	dst = append(dst, '{')
	first := true
	for i, name := range r.Layout.Names {
		var v Value
		if i < len(r.Values) {
			v = r.Values[i]
		}
		p := n.props[name]
		if v.IsNull() && p != nil && !p.nullable && !n.required[name] {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonAppendString(dst, name)
		dst = append(dst, ':')
		if v.Kind == KindObject && p != nil && p.kind == jsObject {
			dst = appendJSONForSchema(dst, v.Obj, p)
		} else {
			dst = appendValueJSON(dst, v, false)
		}
	}
	return append(dst, '}')
}

// validateJSON validates a JSON document; a failure is a DecodeError naming
// the first offending field and the rule.
func validateJSON(s *jsonschema.Schema, payload []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return &DecodeError{Reason: "json_schema: " + err.Error()}
	}
	err = s.Validate(doc)
	if err == nil {
		return nil
	}
	loc, msg, ok := jsonschema.FirstError(err)
	if !ok {
		return &DecodeError{Reason: "json_schema: " + err.Error()}
	}
	return &DecodeError{Field: strings.Join(loc, "."), Reason: "json_schema: does not conform to the schema: " + msg}
}
