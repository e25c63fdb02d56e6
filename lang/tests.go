package lang

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/internal/fsread"
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
	{Name: "records"},
	{Name: "records_file"},
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
	a, fa := c.Attributes["records"], c.Attributes["records_file"]
	switch {
	case a != nil && fa != nil:
		l.errorf(fa.NameRange, "Conflicting records and records_file", "A %s block lists its records inline (records) or reads them from a file (records_file), not both.", b.Type)
		return td, false
	case fa != nil:
		recs, at, ok2 := l.recordsFile(fa)
		if !ok2 {
			return td, false
		}
		return td, l.addTestRecords(&td, recs, at, schema) && ok
	case a == nil:
		l.errorf(b.Body.MissingItemRange(), "Missing records", "A %s block needs records = [{ ... }, ...], or records_file = \"FILE.jsonl\" (one JSON object per line).", b.Type)
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
	at := func(i int) (hcl.Range, string) { return a.Expr.Range(), fmt.Sprintf("Record %d", i) }
	return td, l.addTestRecords(&td, v.AsValueSlice(), at, schema) && ok
}

// addTestRecords checks test records against schema (when it is an object
// type) and adds them to td as JSON. at says where record i is, for the
// diagnostics.
func (l *loader) addTestRecords(td *ir.TestData, recs []cty.Value, at func(i int) (hcl.Range, string), schema cty.Type) bool {
	ok := true
	for i, rec := range recs {
		rng, what := at(i)
		if rec.IsNull() || !rec.Type().IsObjectType() && !rec.Type().IsMapType() {
			l.errorf(rng, "Invalid records", "%s is not an object.", what)
			ok = false
			continue
		}
		if schema != cty.NilType && schema.IsObjectType() {
			if err := fitsSchema(rec, schema); err != nil {
				l.errorf(rng, "Record does not match the schema", "%s does not fit the schema of %s: %s.", what, td.Target, err)
				ok = false
			}
		}
		js, err := ctyjson.Marshal(rec, rec.Type())
		if err != nil {
			l.errorf(rng, "Invalid records", "%s cannot be encoded as JSON: %s.", what, err)
			ok = false
			continue
		}
		td.Records = append(td.Records, json.RawMessage(js))
	}
	return ok
}

// maxRecordsFile bounds a records_file: test input, read whole at load.
const maxRecordsFile = 64 << 20

// recordsFile reads a records_file attribute's JSON Lines file (relative
// to the spec's directory): one JSON object per line, blank lines skipped.
// Records that are not JSON are diagnosed with the file's name and line.
func (l *loader) recordsFile(a *hcl.Attribute) ([]cty.Value, func(int) (hcl.Range, string), bool) {
	path, ok := l.constString(a)
	if !ok {
		return nil, nil, false
	}
	if path == "" {
		l.errorf(a.Expr.Range(), "Invalid value", "records_file must not be empty.")
		return nil, nil, false
	}
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(l.opts.SchemaDir, path)
	}
	b, err := fsread.ReadFile(full, maxRecordsFile)
	if err != nil {
		l.errorf(a.Expr.Range(), "Cannot read records_file", "%s.", err)
		return nil, nil, false
	}
	var recs []cty.Value
	var lines []int
	for n, line := range bytes.Split(b, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		ty, err := ctyjson.ImpliedType(line)
		var v cty.Value
		if err == nil {
			v, err = ctyjson.Unmarshal(line, ty)
		}
		if err != nil {
			l.errorf(a.Expr.Range(), "Invalid records_file", "%s:%d: not a JSON object: %s.", path, n+1, err)
			return nil, nil, false
		}
		recs, lines = append(recs, v), append(lines, n+1)
	}
	at := func(i int) (hcl.Range, string) {
		return a.Expr.Range(), fmt.Sprintf("The record at %s:%d", path, lines[i])
	}
	return recs, at, true
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
