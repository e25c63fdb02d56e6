//go:build !wasip1 && !jsonschemalite

package eval

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval/internal/jsonschemalite"
	"github.com/zclconf/go-cty/cty"
)

// TestJSONSchemaLiteAgrees is the differential test of the broker module's
// validator (internal/jsonschemalite) against santhosh-tekuri/jsonschema,
// which native runs: over a table of schemas and documents, both accept
// or reject each document, and the accept/reject is also what the
// document's hand-written validity says. Where a document breaks one rule,
// the dead-letter reason (field and message) is the same too.
func TestJSONSchemaLiteAgrees(t *testing.T) {
	type doc struct {
		json  string
		valid bool // by the JSON Schema specification, worked out by hand
	}
	tests := []struct {
		name   string
		schema string
		refs   map[string]string
		docs   []doc
	}{
		{
			name:   "orders (draft-07, the type table)",
			schema: ordersSchema,
			docs: []doc{
				{`{"id":"o1","amount":12.5}`, true},
				{`{"id":"o1","amount":12}`, true},
				{`{"id":"o1","amount":"12"}`, false},
				{`{"amount":1}`, false},
				{`{}`, false},
				{`{"id":"o1","amount":1,"qty":3}`, true},
				{`{"id":"o1","amount":1,"qty":3.0}`, true},
				{`{"id":"o1","amount":1,"qty":1e2}`, true},
				{`{"id":"o1","amount":1,"qty":3.5}`, false},
				{`{"id":"o1","amount":1,"qty":null}`, false},
				{`{"id":"o1","amount":1,"status":"paid"}`, true},
				{`{"id":"o1","amount":1,"status":"lost"}`, false},
				{`{"id":"o1","amount":1,"status":null}`, false},
				{`{"id":"o1","amount":1,"ts":"2026-01-01T00:00:05Z"}`, true},
				{`{"id":"o1","amount":1,"ts":"2026-01-01t00:00:05.123+01:00"}`, true},
				{`{"id":"o1","amount":1,"ts":"2026-01-01 00:00:05Z"}`, false},
				{`{"id":"o1","amount":1,"ts":"2026-02-30T00:00:05Z"}`, false},
				{`{"id":"o1","amount":1,"ts":"yesterday"}`, false},
				{`{"id":"o1","amount":1,"note":null}`, true},
				{`{"id":"o1","amount":1,"note":"x"}`, true},
				{`{"id":"o1","amount":1,"note":5}`, false},
				{`{"id":"o1","amount":1,"tags":["a","b"]}`, true},
				{`{"id":"o1","amount":1,"tags":[]}`, true},
				{`{"id":"o1","amount":1,"tags":["a",2]}`, false},
				{`{"id":"o1","amount":1,"tags":"a"}`, false},
				{`{"id":"o1","amount":1,"customer":{"name":"Ann"}}`, true},
				{`{"id":"o1","amount":1,"customer":{}}`, false},
				{`{"id":"o1","amount":1,"customer":{"name":7}}`, false},
				{`{"id":"o1","amount":1,"attrs":{"a":1,"b":2.5}}`, true},
				{`{"id":"o1","amount":1,"attrs":{"a":"x"}}`, false},
				{`{"id":"o1","amount":1,"extra":[1,{"a":null}]}`, true},
				{`{"id":"o1","amount":1,"unknown":true}`, true},
				{`[1]`, false},
				{`"o1"`, false},
				{`null`, false},
			},
		},
		{
			name:   "no $schema is 2020-12: format is an annotation",
			schema: `{"type":"object","properties":{"ts":{"type":"string","format":"date-time"},"u":{"format":"uuid"}}}`,
			docs: []doc{
				{`{"ts":"yesterday","u":"nope"}`, true},
				{`{"ts":5}`, false},
			},
		},
		{
			name:   "draft-04 asserts uuid and date",
			schema: `{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","properties":{"u":{"type":"string","format":"uuid"},"d":{"format":"date"},"t":{"format":"time"}}}`,
			docs: []doc{
				{`{"u":"123e4567-e89b-12d3-a456-426614174000","d":"2026-12-03","t":"10:00:00Z"}`, true},
				{`{"u":"123e4567e89b12d3a456426614174000"}`, false},
				{`{"u":"123e4567-e89b-12d3-a456-42661417400g"}`, false},
				{`{"d":"2026-13-01"}`, false},
				{`{"d":5}`, true}, // format applies to strings only
				{`{"t":"25:00:00Z"}`, false},
				{`{"t":"23:59:60Z"}`, true},
				{`{"t":"10:00:60Z"}`, false},
				{`{"t":"10:00:00"}`, false},
			},
		},
		{
			name:   "closed object, required list",
			schema: `{"type":"object","required":["a","b"],"properties":{"a":{"type":"integer"},"b":{"type":"boolean"}},"additionalProperties":false}`,
			docs: []doc{
				{`{"a":1,"b":true}`, true},
				{`{"a":1}`, false},
				{`{}`, false},
				{`{"a":1,"b":false,"c":null}`, false},
				{`{"a":1,"b":"true"}`, false},
				{`{"a":-0,"b":true}`, true},
				{`{"a":12345678901234567890123,"b":true}`, true},
				{`{"a":1.0000000000000000001,"b":true}`, false},
				{`{"a":1,"b":true} x`, false},
				{`{"a":1,"b":true,"a":"x"}`, false}, // the last duplicate wins
			},
		},
		{
			name:   "a map: additionalProperties is a schema",
			schema: `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":["number","null"]}}}}`,
			docs: []doc{
				{`{"m":{"x":1,"y":null}}`, true},
				{`{"m":{"x":"1"}}`, false},
				{`{"m":[]}`, false},
			},
		},
		{
			name:   "nullable through anyOf and oneOf",
			schema: `{"type":"object","properties":{"a":{"anyOf":[{"type":"null"},{"type":"boolean"}]},"b":{"oneOf":[{"type":"string"},{"type":"null"}]}}}`,
			docs: []doc{
				{`{"a":null,"b":null}`, true},
				{`{"a":true,"b":"x"}`, true},
				{`{"a":"true"}`, false},
				{`{"b":1}`, false},
			},
		},
		{
			name:   "oneOf with two matches",
			schema: `{"type":"object","properties":{"n":{"oneOf":[{"type":"number"},{"type":"integer"}]}}}`,
			docs: []doc{
				{`{"n":1.5}`, true},
				{`{"n":2}`, false},
				{`{"n":"x"}`, false},
			},
		},
		{
			name:   "allOf, enum and const",
			schema: `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"k":{"allOf":[{"type":"string"},{"enum":["a","b",1]}]},"c":{"const":{"x":[1,2]}},"one":{"enum":[1.0]},"v":{"const":"v1"}}}`,
			docs: []doc{
				{`{"k":"a","c":{"x":[1,2.0]},"one":1,"v":"v1"}`, true},
				{`{"k":1}`, false},
				{`{"k":"c"}`, false},
				{`{"c":{"x":[2,1]}}`, false},
				{`{"one":1.5}`, false},
				{`{"v":"v2"}`, false},
			},
		},
		{
			name:   "boolean schemas",
			schema: `{"type":"object","properties":{"any":true,"never":false},"additionalProperties":true}`,
			docs: []doc{
				{`{"any":[1]}`, true},
				{`{"never":null}`, false},
				{`{"other":{}}`, true},
			},
		},
		{
			name:   "local $ref, draft-07 ignores the $ref's siblings",
			schema: `{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"money":{"type":"number"}},"type":"object","properties":{"total":{"$ref":"#/definitions/money","type":"string"}}}`,
			docs: []doc{
				{`{"total":1.5}`, true},
				{`{"total":"1.5"}`, false},
			},
		},
		{
			name:   "2020-12 applies a $ref and its siblings",
			schema: `{"$defs":{"money":{"type":"number"}},"type":"object","properties":{"total":{"$ref":"#/$defs/money","enum":[1,2]}}}`,
			docs: []doc{
				{`{"total":1}`, true},
				{`{"total":3}`, false},
				{`{"total":"1"}`, false},
			},
		},
		{
			name:   "a chain of $refs through definitions",
			schema: `{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"a":{"$ref":"#/definitions/b"},"b":{"type":"array","items":{"$ref":"#/definitions/c"}},"c":{"enum":["x","y"]}},"type":"object","properties":{"l":{"$ref":"#/definitions/a"}}}`,
			docs: []doc{
				{`{"l":["x","y","x"]}`, true},
				{`{"l":["x","z"]}`, false},
				{`{"l":"x"}`, false},
			},
		},
		{
			name:   "a reference to another registered document",
			schema: `{"type":"object","required":["addr"],"properties":{"addr":{"$ref":"address.json"},"zip":{"$ref":"address.json#/properties/zip"}}}`,
			refs:   map[string]string{"address.json": `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","required":["city"],"properties":{"city":{"type":"string"},"zip":{"type":"string","format":"date"}}}`},
			docs: []doc{
				{`{"addr":{"city":"Oslo"}}`, true},
				{`{"addr":{}}`, false},
				{`{"addr":{"city":"Oslo","zip":"x"}}`, false},
				{`{"addr":{"city":"Oslo"},"zip":"2026-01-01"}`, true},
				{`{"addr":{"city":"Oslo"},"zip":"01"}`, false},
			},
		},
		{
			name:   "a root $id with local references",
			schema: `{"$id":"https://example.com/order.json","type":"object","properties":{"a":{"$ref":"#/$defs/s"}},"$defs":{"s":{"type":"string"}}}`,
			docs: []doc{
				{`{"a":"x"}`, true},
				{`{"a":1}`, false},
			},
		},
		{
			name:   "unknown keywords and annotations are ignored",
			schema: `{"title":"T","description":"d","type":"object","x-connect":{"type":"number"},"properties":{"a":{"type":"string","default":"z","examples":["q"],"readOnly":true,"format":"my-format"}}}`,
			docs: []doc{
				{`{"a":"x"}`, true},
				{`{"a":1}`, false},
			},
		},
		{
			name:   "uniqueItems (a derived set)",
			schema: `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"s":{"type":["array","null"],"uniqueItems":true,"items":{"type":["number","null"]}},"o":{"uniqueItems":true}}}`,
			docs: []doc{
				{`{"s":[1,2,3]}`, true},
				{`{"s":[1,2,1.0]}`, false},
				{`{"s":[null,null]}`, false},
				{`{"s":[]}`, true},
				{`{"o":[{"a":1},{"a":1.0}]}`, false},
				{`{"o":[{"a":1},{"a":2}]}`, true},
				{`{"o":"not an array"}`, true},
			},
		},
		{
			name:   "a derived sink schema",
			schema: mustDerive(t, "Revenue"),
			docs: []doc{
				{`{"customer":"c1","total":1,"ok":true}`, true},
				{`{"customer":null,"total":null,"ok":null}`, true},
				{`{}`, true},
				{`{"customer":1}`, false},
				{`{"tags":["a","b"]}`, true},
				{`{"tags":["a","a"]}`, false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &ir.SchemaDoc{Format: FormatJSONSchema, Text: tt.schema, References: tt.refs}
			native, err := compileJSONSchema(s)
			if err != nil {
				t.Fatalf("santhosh-tekuri: %v", err)
			}
			if err := ModuleSupportsSchema(s); err != nil {
				t.Fatalf("the module refuses the schema: %v", err)
			}
			lite, err := compileLiteJSONSchema(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range tt.docs {
				nerr := validateJSON(native.schema, []byte(d.json))
				lerr := validateLite(lite, []byte(d.json))
				if (nerr == nil) != d.valid {
					t.Errorf("%s: santhosh-tekuri says %v, want valid=%v", d.json, nerr, d.valid)
				}
				if (lerr == nil) != d.valid {
					t.Errorf("%s: jsonschemalite says %v, want valid=%v", d.json, lerr, d.valid)
				}
				if diff := cmp.Diff(errText(nerr), errText(lerr)); diff != "" {
					t.Errorf("%s: reason (-santhosh-tekuri +jsonschemalite):\n%s", d.json, diff)
				}
			}
		})
	}
}

var ordersDerivedType = cty.Object(map[string]cty.Type{"customer": cty.String, "total": cty.Number, "ok": cty.Bool, "tags": cty.Set(cty.String)})

func mustDerive(t *testing.T, name string) string {
	t.Helper()
	s, err := DeriveSchema(FormatJSONSchema, name, ordersDerivedType)
	if err != nil {
		t.Fatal(err)
	}
	return s.Text
}

// validateLite is validateJSON on the module's validator.
func validateLite(s *jsonschemalite.Schema, payload []byte) error {
	doc, err := jsonschemalite.UnmarshalJSON(strings.NewReader(string(payload)))
	if err != nil {
		return &DecodeError{Reason: "json_schema: " + err.Error()}
	}
	err = s.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschemalite.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	return &DecodeError{Field: strings.Join(ve.InstanceLocation, "."), Reason: "json_schema: does not conform to the schema: " + ve.Message}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestJSONSchemaLiteRefuses: a schema with a keyword outside the module's
// subset is refused as a whole (the planner then keeps its operator off
// the broker), never validated partly.
func TestJSONSchemaLiteRefuses(t *testing.T) {
	tests := []struct {
		name, schema, keyword string
	}{
		{"pattern", `{"type":"object","properties":{"a":{"type":"string","pattern":"^x"}}}`, "pattern"},
		{"minimum", `{"type":"object","properties":{"a":{"type":"number","minimum":0}}}`, "minimum"},
		{"maxLength deep in an array", `{"type":"object","properties":{"a":{"type":"array","items":{"maxLength":3}}}}`, "maxLength"},
		{"not", `{"type":"object","not":{"required":["a"]}}`, "not"},
		{"if", `{"type":"object","if":{"required":["a"]},"then":{"required":["b"]}}`, "if"},
		{"patternProperties", `{"type":"object","patternProperties":{"^x":{"type":"string"}}}`, "patternProperties"},
		{"an email format in draft-07", `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"e":{"format":"email"}}}`, "format"},
		{"tuple items", `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"t":{"items":[{"type":"string"}]}}}`, "items"},
		{"an anchor reference", `{"type":"object","properties":{"a":{"$ref":"#money"}},"$defs":{"m":{"$anchor":"money","type":"number"}}}`, "$ref"},
		{"an embedded $id", `{"type":"object","properties":{"a":{"$id":"https://example.com/a.json","type":"string"}}}`, "$id"},
		{"a referenced unsupported keyword", `{"type":"object","properties":{"a":{"$ref":"#/$defs/p"}},"$defs":{"p":{"minItems":1}}}`, "minItems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &ir.SchemaDoc{Format: FormatJSONSchema, Text: tt.schema}
			if _, err := compileJSONSchema(s); err != nil {
				t.Fatalf("santhosh-tekuri does not compile the schema either: %v", err)
			}
			err := ModuleSupportsSchema(s)
			var ue *jsonschemalite.UnsupportedError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want an UnsupportedError", err)
			}
			if ue.Keyword != tt.keyword {
				t.Errorf("keyword = %q, want %q", ue.Keyword, tt.keyword)
			}
		})
	}
	for _, f := range []string{FormatAvro, FormatProtobuf} {
		if err := ModuleSupportsSchema(&ir.SchemaDoc{Format: f, Text: "anything"}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
