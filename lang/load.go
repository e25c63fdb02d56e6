package lang

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// operatorKinds are the block types that declare operators, in the order
// the language sketch introduces them.
var operatorKinds = []ir.Kind{
	ir.KindSource, ir.KindFilter, ir.KindMap, ir.KindRoute,
	ir.KindJoin, ir.KindDedupe, ir.KindAggregate, ir.KindTop, ir.KindSink,
}

func isOperatorKind(s string) bool {
	for _, k := range operatorKinds {
		if string(k) == s {
			return true
		}
	}
	return false
}

var rootSchema = func() *hcl.BodySchema {
	s := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "pipeline", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "broker", LabelNames: []string{"name"}},
		{Type: "schema_registry", LabelNames: []string{"name"}},
		{Type: "backend", LabelNames: []string{"name"}},
		{Type: "test", LabelNames: []string{"name"}},
		{Type: "moved"},
	}}
	for _, k := range operatorKinds {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: string(k), LabelNames: []string{"name"}})
	}
	return s
}()

// loader holds the state of one Load. Its phases run in a fixed order and
// each appends to diags instead of stopping, so one run reports everything.
type loader struct {
	opts  Options
	names []string // spec file names, sorted
	src   map[string][]byte
	files map[string]*hcl.File
	diags hcl.Diagnostics
	env   map[string]string

	blocks hcl.Blocks // root blocks of every spec file, in file order

	vars       map[string]cty.Value // resolved, marked when sensitive
	varOrder   []string
	locals     map[string]cty.Value
	sensitives map[string]bool              // string renditions of sensitive values
	broken     map[string]bool              // files with syntax errors
	dlqAt      *hcl.Range                   // the dead_letter_topic attribute's value
	fns        map[string]function.Function // of constCtx, built once
	recordBase *hcl.EvalContext             // of recordCtx, built once

	subjects []SchemaRef // registry subjects used, for schemas pull

	p     *ir.Pipeline
	ops   map[string]*opDecl
	decls []*opDecl // declaration order
}

func newLoader(files map[string][]byte, opts Options) *loader {
	l := &loader{
		opts:       opts,
		src:        map[string][]byte{},
		files:      map[string]*hcl.File{},
		env:        map[string]string{},
		vars:       map[string]cty.Value{},
		locals:     map[string]cty.Value{},
		sensitives: map[string]bool{},
		broken:     map[string]bool{},
		ops:        map[string]*opDecl{},
	}
	for name, b := range files {
		l.names = append(l.names, name)
		l.src[name] = b
	}
	sort.Strings(l.names)
	for _, kv := range opts.Env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			l.env[k] = v
		}
	}
	return l
}

func (l *loader) errorf(subject hcl.Range, summary, format string, args ...any) {
	r := subject
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

func (l *loader) warnf(subject hcl.Range, summary, format string, args ...any) {
	r := subject
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

func (l *loader) add(d hcl.Diagnostics) { l.diags = append(l.diags, d...) }

// load runs every phase and returns the pipeline (meaningful only when
// there are no errors).
func (l *loader) load() *ir.Pipeline {
	l.p = &ir.Pipeline{}
	l.parse()
	byType := map[string]hcl.Blocks{}
	for _, b := range l.blocks {
		byType[b.Type] = append(byType[b.Type], b)
	}
	l.decodePipeline(byType["pipeline"])
	l.decodeVariables(byType["variable"])
	l.decodeLocals(byType["locals"])
	l.decodeBroker(byType["broker"])
	l.decodeBackends(byType["backend"])
	l.decodeSchemaRegistries(byType["schema_registry"])
	for _, b := range l.blocks {
		if isOperatorKind(b.Type) {
			l.decodeOperator(b)
		}
	}
	order := l.resolve()
	l.typecheck(order)
	l.deadOperators(order)
	l.topicLoops(order)
	for _, d := range order {
		l.p.Operators = append(l.p.Operators, d.op)
	}
	l.decodeTests(byType["test"])
	l.decodeMoved(byType["moved"])

	l.p.Vars = map[string]ir.Const{}
	for name, v := range l.vars {
		l.p.Vars[name] = constOf(v)
	}
	if len(l.locals) > 0 {
		l.p.Locals = map[string]ir.Const{}
		for name, v := range l.locals {
			l.p.Locals[name] = constOf(v)
		}
	}
	return l.p
}

// parse parses every spec file and collects the root blocks.
func (l *loader) parse() {
	for _, name := range l.names {
		if d := checkNesting(l.src[name], name); d != nil {
			l.add(hcl.Diagnostics{d})
			l.broken[name] = true
			l.files[name] = &hcl.File{Bytes: l.src[name]} // for the caret
			continue
		}
		f, diags := hclsyntax.ParseConfig(l.src[name], name, hcl.InitialPos)
		l.add(explainParse(diags))
		if diags.HasErrors() {
			l.broken[name] = true
		}
		if f == nil {
			continue
		}
		l.files[name] = f
		content, diags := f.Body.Content(rootSchema)
		l.add(diags)
		l.blocks = append(l.blocks, content.Blocks...)
	}
	if len(l.names) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No spec files",
			Detail:   "A pipeline spec needs at least one .hcl file.",
		})
	}
}

// explainParse adds a hint to HCL's one-line-block error: the language
// sketch style `stats { rate = 1  record_bytes = 2 }` is not valid HCL.
func explainParse(diags hcl.Diagnostics) hcl.Diagnostics {
	for _, d := range diags {
		if d.Summary == "Invalid single-argument block definition" {
			d.Detail += " HCL allows at most one argument in a block written on one line; put each argument on its own line."
		}
	}
	return diags
}

var pipelineSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "description"},
	{Name: "optimize"},
	{Name: "dead_letter_topic"},
}}

func (l *loader) decodePipeline(blocks hcl.Blocks) {
	if len(blocks) == 0 {
		if len(l.names) > 0 && len(l.broken) == 0 { // else it may be in the part that did not parse
			rng := hcl.Range{Filename: l.names[0], Start: hcl.InitialPos, End: hcl.InitialPos}
			l.errorf(rng, "Missing pipeline block", `A spec must declare its name with one pipeline "NAME" { } block.`)
		}
		return
	}
	for _, b := range blocks[1:] {
		l.errorf(b.DefRange, "Duplicate pipeline block", "The pipeline is already declared at %s; a spec declares exactly one.", blocks[0].DefRange)
	}
	b := blocks[0]
	l.p.Name = b.Labels[0]
	if !hclsyntax.ValidIdentifier(l.p.Name) {
		l.errorf(b.LabelRanges[0], "Invalid pipeline name", "%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", l.p.Name)
	}
	content, diags := b.Body.Content(pipelineSchema)
	l.add(diags)
	if a := content.Attributes["description"]; a != nil {
		l.p.Description, _ = l.constString(a)
	}
	l.p.Optimize = "cost"
	if a := content.Attributes["optimize"]; a != nil {
		l.p.Optimize, _ = l.constEnum(a, "cost", "latency", "throughput")
	}
	l.p.DeadLetterTopic = l.p.Name + ".dlq"
	if a := content.Attributes["dead_letter_topic"]; a != nil {
		r := a.Expr.Range()
		l.dlqAt = &r
		if s, ok := l.constString(a); ok {
			if s == "" {
				l.errorf(a.Expr.Range(), "Invalid dead_letter_topic", "The dead-letter topic name must not be empty.")
			}
			l.p.DeadLetterTopic = s
		}
	}
}

// positionOf gives d a subject when it lacks a usable one and one exists:
// HCL reports some problems of an expression cut short by a syntax error
// (`lookup(` at the end of a file) at the zero range of a missing token.
func positionOf(d *hcl.Diagnostic) {
	valid := func(r *hcl.Range) bool { return r != nil && r.Filename != "" && r.Start.Line >= 1 }
	if valid(d.Subject) {
		return
	}
	if d.Expression != nil {
		if r := d.Expression.StartRange(); valid(&r) {
			d.Subject = &r
			return
		}
		if r := d.Expression.Range(); valid(&r) {
			d.Subject = &r
			return
		}
	}
	if valid(d.Context) {
		r := *d.Context
		d.Subject = &r
	}
}

// finish scrubs sensitive values from the diagnostics and returns them in
// a stable order: by file, then position, errors and warnings interleaved.
func (l *loader) finish() hcl.Diagnostics {
	// After a syntax error HCL recovers by skipping the rest of the
	// construct, so "missing argument" errors there are only echoes.
	kept := l.diags[:0]
	for _, d := range l.diags {
		if d.Summary == "Missing required argument" && d.Subject != nil && l.broken[d.Subject.Filename] {
			continue
		}
		kept = append(kept, d)
	}
	l.diags = kept
	// Longest first, so a secret that contains another is scrubbed whole,
	// and in a fixed order, so the text is the same on every run.
	secrets := sortedKeys(l.sensitives)
	sort.SliceStable(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, d := range l.diags {
		positionOf(d)
		for _, s := range secrets {
			if len(s) < 3 {
				continue // too short to scrub without mangling the text
			}
			d.Summary = strings.ReplaceAll(d.Summary, s, "(sensitive value)")
			d.Detail = strings.ReplaceAll(d.Detail, s, "(sensitive value)")
		}
	}
	sort.SliceStable(l.diags, func(i, j int) bool {
		a, b := l.diags[i].Subject, l.diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
	return l.diags
}
