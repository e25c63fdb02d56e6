package lang

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

var testSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "given", LabelNames: []string{"target"}},
	{Type: "expect", LabelNames: []string{"target"}},
}}

var recordsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "records", Required: true},
}}

// decodeTests decodes test blocks. Records are plan-time values (var and
// local in scope) stored as JSON with their own implied type.
func (l *loader) decodeTests(blocks hcl.Blocks) {
	seen := map[string]hcl.Range{}
	var sources, targets []string
	for _, d := range l.decls {
		if d.op.Kind == ir.KindSource {
			sources = append(sources, d.op.ID)
		}
		targets = append(targets, d.op.Streams()...)
		if d.op.Kind == ir.KindSink {
			targets = append(targets, d.op.ID)
		}
	}
	for _, b := range blocks {
		name := b.Labels[0]
		if prev, dup := seen[name]; dup {
			l.errorf(b.DefRange, "Duplicate test", "Test %q is already declared at %s.", name, prev)
			continue
		}
		seen[name] = b.DefRange
		t := &ir.Test{Name: name, Range: ir.RangeOf(b.DefRange)}
		c, diags := b.Body.Content(testSchema)
		l.add(diags)
		expects := 0
		for _, db := range c.Blocks {
			if db.Type == "expect" {
				expects++
			}
			td, ok := l.decodeTestData(db, sources, targets)
			if !ok {
				continue
			}
			if db.Type == "given" {
				t.Given = append(t.Given, td)
			} else {
				t.Expect = append(t.Expect, td)
			}
		}
		if expects == 0 {
			l.errorf(b.DefRange, "Test without expect", `A test needs at least one expect "STREAM" { records = [...] } block.`)
		}
		l.p.Tests = append(l.p.Tests, t)
	}
}

func (l *loader) decodeTestData(b *hcl.Block, sources, targets []string) (ir.TestData, bool) {
	target := b.Labels[0]
	td := ir.TestData{Target: target, Range: ir.RangeOf(b.DefRange), Records: []json.RawMessage{}}
	ok := true
	var schema cty.Type
	if b.Type == "given" {
		if !contains(sources, target) {
			l.errorf(b.LabelRanges[0], "Invalid given target", "given names a source, such as %q; there is no source %q.%s", firstOr(sources, "source.orders"), target, didYouMean(target, sources))
			ok = false
		}
	} else if !contains(targets, target) {
		l.errorf(b.LabelRanges[0], "Invalid expect target", "expect names a stream or sink, such as %q; there is no %q.%s", firstOr(targets, "sink.out"), target, didYouMean(target, targets))
		ok = false
	}
	if ok {
		opID, _ := ir.StreamOperator(target)
		if d := l.ops[opID]; d != nil {
			schema = d.out
		}
	}
	c, diags := b.Body.Content(recordsSchema)
	l.add(diags)
	a := c.Attributes["records"]
	if a == nil {
		return td, false
	}
	v, ok2 := l.constValue(a, cty.DynamicPseudoType)
	if !ok2 {
		return td, false
	}
	v, _ = v.UnmarkDeep()
	ty := v.Type()
	if !ty.IsTupleType() && !ty.IsListType() && !ty.IsSetType() {
		l.errorf(a.Expr.Range(), "Invalid records", "records must be a list of objects: [{ id = \"o1\", amount = 150 }, ...].")
		return td, false
	}
	for i, rec := range v.AsValueSlice() {
		if rec.IsNull() || !rec.Type().IsObjectType() && !rec.Type().IsMapType() {
			l.errorf(a.Expr.Range(), "Invalid records", "Record %d is not an object.", i)
			ok = false
			continue
		}
		if schema != cty.NilType && schema.IsObjectType() {
			if err := fitsSchema(rec, schema); err != nil {
				l.errorf(a.Expr.Range(), "Record does not match the schema", "Record %d does not fit the schema of %s: %s.", i, target, err)
				ok = false
			}
		}
		js, err := ctyjson.Marshal(rec, rec.Type())
		if err != nil {
			l.errorf(a.Expr.Range(), "Invalid records", "Record %d cannot be encoded as JSON: %s.", i, err)
			ok = false
			continue
		}
		td.Records = append(td.Records, json.RawMessage(js))
	}
	return td, ok
}

// fitsSchema reports whether a test record has every attribute of schema
// (null allowed) with a convertible value. Extra attributes are allowed: the
// decoder ignores them. Every problem is reported, in attribute order (all
// missing attributes first, sorted, nested ones as a.b), so the message is
// the same on every run.
func fitsSchema(rec cty.Value, schema cty.Type) error {
	var missing, wrong []string
	checkFits(rec, schema, "", &missing, &wrong)
	var parts []string
	switch len(missing) {
	case 0:
	case 1:
		parts = append(parts, fmt.Sprintf("attribute %s is missing", missing[0]))
	default:
		parts = append(parts, fmt.Sprintf("attributes %s are missing", strings.Join(missing, ", ")))
	}
	parts = append(parts, wrong...)
	if len(parts) == 0 {
		return nil
	}
	return errors.New(strings.Join(parts, "; "))
}

// checkFits walks schema's attributes in sorted order (cty's own
// conversion visits them in map order, which would make the first error
// it reports vary between runs).
func checkFits(v cty.Value, t cty.Type, path string, missing, wrong *[]string) {
	if !t.IsObjectType() || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() {
		if _, err := convert.Convert(v, t); err != nil {
			if path == "" {
				*wrong = append(*wrong, errText(err))
			} else {
				*wrong = append(*wrong, fmt.Sprintf("attribute %q: %s", path, errText(err)))
			}
		}
		return
	}
	attrs := t.AttributeTypes()
	for _, name := range sortedKeys(attrs) {
		p := name
		if path != "" {
			p = path + "." + name
		}
		if !v.Type().HasAttribute(name) {
			*missing = append(*missing, strconv.Quote(p))
			continue
		}
		checkFits(v.GetAttr(name), attrs[name], p, missing, wrong)
	}
}

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}
