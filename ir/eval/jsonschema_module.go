package eval

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval/internal/jsonschemalite"
)

// ModuleSupportsSchema reports why the broker's WebAssembly module cannot
// read or write records described by s, or nil when it can. The module
// validates JSON Schema with internal/jsonschemalite, which implements the
// keywords of the type mapping (see jsonschemalite's doc) and refuses a
// schema with any other keyword that changes what validates, so that a
// record is accepted or rejected in the module exactly as on native. The
// broker backend asks this for every schema an operator carries (a
// source's reader and pinned writer schemas, a sink's schema) and leaves
// the operator off the broker when one is refused. Avro and Protobuf
// schemas are always supported.
func ModuleSupportsSchema(s *ir.SchemaDoc) error {
	if s == nil || s.Format != FormatJSONSchema {
		return nil
	}
	_, err := compileLiteJSONSchema(s)
	return err
}

// compileLiteJSONSchema compiles s with jsonschemalite, registering its
// documents as compileJSONSchema does.
func compileLiteJSONSchema(s *ir.SchemaDoc) (*jsonschemalite.Schema, error) {
	c := jsonschemalite.NewCompiler()
	main, err := addJSONSchemaDocs(s, jsonschemalite.UnmarshalJSON, c.AddResource)
	if err != nil {
		return nil, err
	}
	sch, err := c.Compile(main)
	if err != nil {
		return nil, fmt.Errorf("json_schema: %w", err)
	}
	return sch, nil
}

// addJSONSchemaDocs adds s's referenced documents, in name order, and then
// s itself to a JSON Schema compiler (santhosh-tekuri's or jsonschemalite's,
// through their UnmarshalJSON and AddResource), and returns the URL to
// compile. A reference named without a scheme lives under jsonSchemaBase.
func addJSONSchemaDocs(s *ir.SchemaDoc, unmarshal func(io.Reader) (any, error), addResource func(url string, doc any) error) (string, error) {
	add := func(name, text string) error {
		doc, err := unmarshal(strings.NewReader(text))
		if err != nil {
			return fmt.Errorf("json_schema %s: %w", name, err)
		}
		url := name
		if !strings.Contains(name, "://") {
			url = jsonSchemaBase + name
		}
		return addResource(url, doc)
	}
	refs := make([]string, 0, len(s.References))
	for name := range s.References {
		refs = append(refs, name)
	}
	sort.Strings(refs)
	for _, name := range refs {
		if err := add(name, s.References[name]); err != nil {
			return "", err
		}
	}
	const main = "main.schema.json"
	if err := add(main, s.Text); err != nil {
		return "", err
	}
	return jsonSchemaBase + main, nil
}
