package lang

import (
	"fmt"
	"math"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// opDecl is an operator being lowered: the IR operator plus what the later
// phases (reference resolution, type checking) need.
type opDecl struct {
	op    *ir.Operator
	block *hcl.Block
	refs  []*streamRef // one per entry of op.Inputs
	// check type-checks the operator's per-record expressions against its
	// input schemas (in[i] is the type of refs[i]; cty.DynamicPseudoType
	// when unknown), fills the IR expressions, and returns its output type.
	check func(in []cty.Type) cty.Type
	out   cty.Type
	// at is where a source or sink names its topic or file.
	at hcl.Range
}

// streamRef is an input reference such as source.orders or
// route.by_tier.gold.
type streamRef struct {
	stream   string
	rng      hcl.Range
	producer *opDecl // set by resolve
}

var commonAttrs = []hcl.AttributeSchema{{Name: "backend"}}

func opSchema(blocks []hcl.BlockHeaderSchema, attrs ...hcl.AttributeSchema) *hcl.BodySchema {
	return &hcl.BodySchema{
		Attributes: append(append([]hcl.AttributeSchema{}, commonAttrs...), attrs...),
		Blocks:     append([]hcl.BlockHeaderSchema{{Type: "stats"}}, blocks...),
	}
}

var opSchemas = map[ir.Kind]*hcl.BodySchema{
	ir.KindSource: opSchema(nil,
		hcl.AttributeSchema{Name: "topic"}, hcl.AttributeSchema{Name: "file"},
		hcl.AttributeSchema{Name: "format"}, hcl.AttributeSchema{Name: "schema"},
		hcl.AttributeSchema{Name: "schema_subject"}, hcl.AttributeSchema{Name: "schema_version"},
		hcl.AttributeSchema{Name: "schema_file"}, hcl.AttributeSchema{Name: "message"},
		hcl.AttributeSchema{Name: "coerce"}, hcl.AttributeSchema{Name: "schema_registry"},
		hcl.AttributeSchema{Name: "table"}, hcl.AttributeSchema{Name: "key"},
		hcl.AttributeSchema{Name: "event_time"}, hcl.AttributeSchema{Name: "max_future"},
		hcl.AttributeSchema{Name: "start_from"}, hcl.AttributeSchema{Name: "max_record_bytes"}),
	ir.KindFilter: opSchema(nil,
		hcl.AttributeSchema{Name: "input", Required: true}, hcl.AttributeSchema{Name: "where", Required: true}),
	ir.KindMap: opSchema(nil,
		hcl.AttributeSchema{Name: "input", Required: true}, hcl.AttributeSchema{Name: "fields", Required: true}),
	ir.KindRoute: opSchema([]hcl.BlockHeaderSchema{{Type: "output", LabelNames: []string{"name"}}},
		hcl.AttributeSchema{Name: "input", Required: true}),
	ir.KindJoin: opSchema(nil,
		hcl.AttributeSchema{Name: "left", Required: true}, hcl.AttributeSchema{Name: "right", Required: true},
		hcl.AttributeSchema{Name: "type"}, hcl.AttributeSchema{Name: "on", Required: true},
		hcl.AttributeSchema{Name: "fields", Required: true}, hcl.AttributeSchema{Name: "within"}),
	ir.KindDedupe: opSchema(nil,
		hcl.AttributeSchema{Name: "input", Required: true}, hcl.AttributeSchema{Name: "key", Required: true},
		hcl.AttributeSchema{Name: "within", Required: true}),
	ir.KindAggregate: opSchema(nil,
		hcl.AttributeSchema{Name: "input", Required: true}, hcl.AttributeSchema{Name: "key"},
		hcl.AttributeSchema{Name: "window"}, hcl.AttributeSchema{Name: "allowed_lateness"},
		hcl.AttributeSchema{Name: "window_time"}, hcl.AttributeSchema{Name: "fields", Required: true}),
	ir.KindTop: opSchema(nil,
		hcl.AttributeSchema{Name: "input", Required: true}, hcl.AttributeSchema{Name: "key"},
		hcl.AttributeSchema{Name: "order_by", Required: true}, hcl.AttributeSchema{Name: "limit", Required: true},
		hcl.AttributeSchema{Name: "window"}),
	ir.KindSink: opSchema(nil,
		hcl.AttributeSchema{Name: "input", Required: true},
		hcl.AttributeSchema{Name: "topic"}, hcl.AttributeSchema{Name: "file"},
		hcl.AttributeSchema{Name: "format"}, hcl.AttributeSchema{Name: "key"},
		hcl.AttributeSchema{Name: "delivery"}, hcl.AttributeSchema{Name: "schema_subject"},
		hcl.AttributeSchema{Name: "subject_strategy"}, hcl.AttributeSchema{Name: "schema_registry"},
		hcl.AttributeSchema{Name: "partition_by"}),
}

var statsSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "rate"}, {Name: "record_bytes"}, {Name: "selectivity"},
	{Name: "key_cardinality"}, {Name: "partitions"},
}}

var routeOutputSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "when"}, {Name: "default"},
}}

// decodeOperator decodes one operator block. Plan-time settings are
// evaluated now; per-record expressions are checked later, by d.check,
// once the input schemas are known.
func (l *loader) decodeOperator(b *hcl.Block) {
	kind, name := ir.Kind(b.Type), b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		l.errorf(b.LabelRanges[0], "Invalid operator name", "%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter (references are written %s.NAME).", name, kind)
		return
	}
	id := string(kind) + "." + name
	if prev := l.ops[id]; prev != nil {
		l.errorf(b.DefRange, "Duplicate "+string(kind), "%s is already declared at %s.", id, prev.block.DefRange)
		return
	}
	op := &ir.Operator{ID: id, Kind: kind, Name: name, Range: ir.RangeOf(b.DefRange)}
	d := &opDecl{op: op, block: b}
	l.ops[id] = d
	l.decls = append(l.decls, d)

	content, diags := b.Body.Content(opSchemas[kind])
	l.add(diags)
	attrs := content.Attributes
	if a := attrs["backend"]; a != nil {
		if s, ok := l.constEnum(a, ir.BackendBroker, ir.BackendNative, ir.BackendBeam); ok {
			op.Backend = s
		}
	}
	var outputs []*hcl.Block
	var stats *hcl.Block
	for _, nb := range content.Blocks {
		switch nb.Type {
		case "stats":
			if stats != nil {
				l.errorf(nb.DefRange, "Duplicate stats block", "An operator has at most one stats block; the first is at %s.", stats.DefRange)
				continue
			}
			stats = nb
		case "output":
			outputs = append(outputs, nb)
		}
	}
	if stats != nil {
		op.Stats = l.decodeStats(stats)
	}
	for _, an := range []string{"input", "left", "right"} {
		if a := attrs[an]; a != nil {
			ref := l.parseRef(a)
			d.refs = append(d.refs, ref)
			op.Inputs = append(op.Inputs, ref.stream)
		}
	}

	switch kind {
	case ir.KindSource:
		l.decodeSource(d, attrs)
	case ir.KindFilter:
		l.decodeFilter(d, attrs)
	case ir.KindMap:
		l.decodeMap(d, attrs)
	case ir.KindRoute:
		l.decodeRoute(d, outputs)
	case ir.KindJoin:
		l.decodeJoin(d, attrs)
	case ir.KindDedupe:
		l.decodeDedupe(d, attrs)
	case ir.KindAggregate:
		l.decodeAggregate(d, attrs)
	case ir.KindTop:
		l.decodeTop(d, attrs)
	case ir.KindSink:
		l.decodeSink(d, attrs)
	}
	if d.check == nil {
		d.check = func(in []cty.Type) cty.Type { return cty.DynamicPseudoType }
	}
	if len(d.refs) != len(inputAttrs(kind)) {
		// A required input is missing (already reported): keep the
		// type checker's view consistent.
		d.check = func(in []cty.Type) cty.Type { return cty.DynamicPseudoType }
	}
}

func inputAttrs(k ir.Kind) []string {
	switch k {
	case ir.KindSource:
		return nil
	case ir.KindJoin:
		return []string{"left", "right"}
	}
	return []string{"input"}
}

func (l *loader) decodeStats(b *hcl.Block) ir.Stats {
	var s ir.Stats
	c, diags := b.Body.Content(statsSchema)
	l.add(diags)
	num := func(name string, lo, hi float64) float64 {
		a := c.Attributes[name]
		if a == nil {
			return 0
		}
		f, ok := l.constNumber(a)
		if !ok {
			return 0
		}
		if f < lo || f > hi {
			l.errorf(a.Expr.Range(), "Invalid stats value", "%s must be between %g and %g.", name, lo, hi)
			return 0
		}
		return f
	}
	const big = 1e18
	s.Rate = num("rate", 0, big)
	s.RecordBytes = num("record_bytes", 0, big)
	s.Selectivity = num("selectivity", 0, 1)
	s.KeyCardinality = num("key_cardinality", 0, big)
	p := num("partitions", 0, 1<<20)
	if p != float64(int(p)) {
		l.errorf(c.Attributes["partitions"].Expr.Range(), "Invalid stats value", "partitions must be a whole number.")
	}
	s.Partitions = int(p)
	return s
}

// parseRef reads an input reference: a traversal kind.name or
// route.name.output, never a string.
func (l *loader) parseRef(a *hcl.Attribute) *streamRef {
	ref := &streamRef{rng: a.Expr.Range()}
	t, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() {
		hint := "an input is a reference such as source.orders or route.by_tier.gold."
		if te, ok := a.Expr.(*hclsyntax.TemplateExpr); ok && te.IsStringLiteral() {
			v, _ := te.Value(nil)
			hint = fmt.Sprintf("an input is a reference, written without quotes: %s.", v.AsString())
		}
		l.errorf(a.Expr.Range(), "Invalid reference", "%s must refer to an operator: %s", a.Name, hint)
		return ref
	}
	parts := []string{t.RootName()}
	for _, step := range t[1:] {
		s, ok := step.(hcl.TraverseAttr)
		if !ok {
			l.errorf(a.Expr.Range(), "Invalid reference", "%s must be a reference of the form kind.name or route.name.output.", a.Name)
			return ref
		}
		parts = append(parts, s.Name)
	}
	if !isOperatorKind(parts[0]) {
		kinds := make([]string, len(operatorKinds))
		for i, k := range operatorKinds {
			kinds[i] = string(k)
		}
		l.errorf(a.Expr.Range(), "Invalid reference", "%s must refer to an operator (%s), not %q.%s", a.Name, strings.Join(kinds, ", "), parts[0], didYouMean(parts[0], kinds))
		return ref
	}
	if len(parts) < 2 || len(parts) > 3 {
		l.errorf(a.Expr.Range(), "Invalid reference", "%s must be a reference of the form kind.name or route.name.output.", a.Name)
		return ref
	}
	ref.stream = strings.Join(parts, ".")
	return ref
}

// record is the root scope of single-input operators.
func record(t cty.Type) map[string]cty.Type { return map[string]cty.Type{"record": t} }

func (l *loader) decodeSource(d *opDecl, attrs hcl.Attributes) {
	src := &ir.Source{Format: "json"}
	d.op.Source = src
	l.topicOrFile(d, attrs, &src.Topic, &src.File)
	docType, fromDoc := l.decodeSourceSchema(d, attrs, src)
	if a := attrs["table"]; a != nil {
		src.Table, _ = l.constBool(a)
	}
	if a := attrs["max_future"]; a != nil {
		if ms, ok := l.constDuration(a); ok && ms <= 0 {
			l.errorf(a.Expr.Range(), "Invalid duration", "max_future must be positive, such as \"1h\" (the default): records further ahead of the watermark than it are dead-lettered as future.")
		} else if ok {
			src.MaxFutureMs = ms
		}
	}
	if a := attrs["start_from"]; a != nil {
		src.StartFrom = l.startFrom(a, src)
	}
	if a := attrs["max_record_bytes"]; a != nil {
		if n, ok := l.constNumber(a); ok && (n < 1 || n != math.Trunc(n) || n > math.MaxInt32) {
			l.errorf(a.Expr.Range(), "Invalid size", "max_record_bytes must be a whole number of bytes from 1 to %d, such as 1048576 (the default, 1 MiB): bigger records are dead-lettered as too_large.", math.MaxInt32)
		} else if ok {
			src.MaxRecordBytes = int64(n)
		}
	}
	schema := cty.DynamicPseudoType
	if fromDoc {
		schema = docType
	} else if a := attrs["schema"]; a != nil && !isSchemaFormat(src.Format) {
		t, diags := typeexpr.TypeConstraint(a.Expr)
		l.add(diags)
		switch {
		case diags.HasErrors():
		case !t.IsObjectType():
			l.errorf(a.Expr.Range(), "Invalid schema", "A source's schema must be an object type, such as object({ id = string, amount = number }); this is %s.", t.FriendlyName())
		case t.HasDynamicTypes():
			l.errorf(a.Expr.Range(), "Invalid schema", "A source's schema must be fully known: `any` is not allowed, because every operator's output type is derived from it.")
		default:
			schema = t
		}
	}
	d.check = func([]cty.Type) cty.Type {
		if a := attrs["key"]; a != nil {
			e := l.irExpr(a.Expr)
			src.Key = &e
			l.checkExpr(a.Expr, record(schema))
		}
		if a := attrs["event_time"]; a != nil {
			e := l.irExpr(a.Expr)
			src.EventTime = &e
			if t, ok := l.checkExpr(a.Expr, record(schema)); ok && t != cty.String && t != cty.Number && t != cty.DynamicPseudoType {
				l.errorf(a.Expr.Range(), "Invalid event_time", "event_time must be an RFC 3339 string or epoch milliseconds (a number); this expression is %s.", t.FriendlyName())
			}
		}
		return schema
	}
}

// topicOrFile decodes the exactly-one-of topic/file pair of sources and
// sinks.
func (l *loader) topicOrFile(d *opDecl, attrs hcl.Attributes, topic, file *string) {
	ta, fa := attrs["topic"], attrs["file"]
	switch {
	case ta != nil && fa != nil:
		l.errorf(fa.NameRange, "Conflicting topic and file", "A %s has either a topic or a file, not both.", d.op.Kind)
	case ta == nil && fa == nil:
		l.errorf(d.block.DefRange, "Missing topic or file", "A %s needs a topic (Kafka) or a file (JSON lines).", d.op.Kind)
	}
	for _, x := range []struct {
		a   *hcl.Attribute
		dst *string
	}{{ta, topic}, {fa, file}} {
		if x.a == nil {
			continue
		}
		d.at = x.a.Expr.Range()
		if s, ok := l.constString(x.a); ok {
			if s == "" {
				l.errorf(x.a.Expr.Range(), "Invalid value", "%s must not be empty.", x.a.Name)
			}
			*x.dst = s
		}
	}
}

func (l *loader) decodeFilter(d *opDecl, attrs hcl.Attributes) {
	f := &ir.Filter{}
	d.op.Filter = f
	d.check = func(in []cty.Type) cty.Type {
		if a := attrs["where"]; a != nil {
			f.Where = l.irExpr(a.Expr)
			l.checkBool(a.Expr, record(in[0]), "filter.where")
		}
		return in[0]
	}
}

func (l *loader) decodeMap(d *opDecl, attrs hcl.Attributes) {
	m := &ir.Map{}
	d.op.Map = m
	var items []fieldItem
	if a := attrs["fields"]; a != nil {
		items, _ = l.objectItems(a, false)
	}
	d.check = func(in []cty.Type) cty.Type {
		var fields []ir.Field
		fields, out := l.checkFields(items, record(in[0]))
		m.Fields = fields
		return out
	}
}

// checkFields type-checks object constructor items and returns them as IR
// fields with the object type they build.
func (l *loader) checkFields(items []fieldItem, roots map[string]cty.Type) ([]ir.Field, cty.Type) {
	fields := make([]ir.Field, 0, len(items))
	types := map[string]cty.Type{}
	for _, it := range items {
		fields = append(fields, ir.Field{Name: it.name, Expr: l.irExpr(it.expr)})
		t, _ := l.checkExpr(it.expr, roots)
		types[it.name] = t
	}
	return fields, cty.Object(types)
}

func (l *loader) decodeRoute(d *opDecl, outputs []*hcl.Block) {
	r := &ir.Route{}
	d.op.Route = r
	if len(outputs) == 0 {
		l.errorf(d.block.DefRange, "Route without outputs", `A route needs at least one output "NAME" { when = ... } block.`)
	}
	seen := map[string]hcl.Range{}
	var defaultAt *hcl.Range
	var whens []hcl.Expression
	for _, ob := range outputs {
		name := ob.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			l.errorf(ob.LabelRanges[0], "Invalid output name", "%q is not a valid name.", name)
			continue
		}
		if prev, dup := seen[name]; dup {
			l.errorf(ob.DefRange, "Duplicate route output", "Output %q is already declared at %s.", name, prev)
			continue
		}
		seen[name] = ob.DefRange
		c, diags := ob.Body.Content(routeOutputSchema)
		l.add(diags)
		out := ir.RouteOutput{Name: name, Range: ir.RangeOf(ob.DefRange)}
		if a := c.Attributes["default"]; a != nil {
			if v, ok := l.constBool(a); ok {
				if !v {
					l.errorf(a.Expr.Range(), "Invalid default", "Write default = true on the one default output, or leave it out.")
				}
				out.Default = v
			}
		}
		wa := c.Attributes["when"]
		switch {
		case wa != nil && out.Default:
			l.errorf(wa.NameRange, "Conflicting when and default", "An output has either when or default = true, not both.")
		case wa == nil && c.Attributes["default"] == nil:
			l.errorf(ob.DefRange, "Missing when", "A route output needs when = CONDITION, or default = true.")
		}
		if out.Default {
			if defaultAt != nil {
				l.errorf(ob.DefRange, "Duplicate default output", "A route has at most one default output; the first is at %s.", *defaultAt)
			}
			rng := ob.DefRange
			defaultAt = &rng
		}
		var we hcl.Expression
		if wa != nil && !out.Default {
			we = wa.Expr
		}
		whens = append(whens, we)
		r.Outputs = append(r.Outputs, out)
	}
	d.check = func(in []cty.Type) cty.Type {
		for i, we := range whens {
			if we == nil {
				continue
			}
			e := l.irExpr(we)
			r.Outputs[i].When = &e
			l.checkBool(we, record(in[0]), "route output's when")
		}
		return in[0]
	}
}

func (l *loader) decodeDedupe(d *opDecl, attrs hcl.Attributes) {
	dd := &ir.Dedupe{}
	d.op.Dedupe = dd
	if a := attrs["within"]; a != nil {
		if ms, ok := l.constDuration(a); ok {
			if ms == 0 {
				l.errorf(a.Expr.Range(), "Invalid duration", "within must be longer than zero.")
			}
			dd.WithinMs = ms
		}
	}
	d.check = func(in []cty.Type) cty.Type {
		if a := attrs["key"]; a != nil {
			dd.Key = l.irExpr(a.Expr)
			l.checkExpr(a.Expr, record(in[0]))
		}
		return in[0]
	}
}

func (l *loader) decodeSink(d *opDecl, attrs hcl.Attributes) {
	s := &ir.Sink{Format: "json", Delivery: ir.AtLeastOnce}
	d.op.Sink = s
	l.topicOrFile(d, attrs, &s.Topic, &s.File)
	l.decodeSinkSchema(d, attrs, s)
	if a := attrs["delivery"]; a != nil {
		s.Delivery, _ = l.constEnum(a, ir.AtLeastOnce, ir.ExactlyOnce)
	}
	d.check = func(in []cty.Type) cty.Type {
		if a := attrs["key"]; a != nil {
			e := l.irExpr(a.Expr)
			s.Key = &e
			l.checkExpr(a.Expr, record(in[0]))
		}
		l.checkSinkSchema(d, s, in[0])
		if a := attrs["partition_by"]; a != nil {
			l.decodePartitionBy(d, a, s, in[0])
		}
		// A sink emits nothing; its schema is what it writes, which is what
		// a test's expect on the sink compares against.
		return in[0]
	}
}

// decodePartitionBy reads a file sink's partition_by: a list of the input's
// fields (record.dt), each a directory level name=value (README,
// "Partitioned file sinks").
func (l *loader) decodePartitionBy(d *opDecl, a *hcl.Attribute, s *ir.Sink, in cty.Type) {
	if s.File == "" {
		l.errorf(a.NameRange, "Attribute not allowed here", "partition_by splits a file sink into directories; %s writes a topic (key the records instead to spread them over partitions).", d.op.ID)
		return
	}
	var fields []string
	if in.IsObjectType() {
		fields = sortedKeys(in.AttributeTypes())
	}
	seen := map[string]bool{}
	for _, item := range l.exprList(a) {
		trav, diags := hcl.AbsTraversalForExpr(unwrapParens(item))
		name := ""
		if !diags.HasErrors() && len(trav) == 2 && trav.RootName() == "record" {
			if attr, ok := trav[1].(hcl.TraverseAttr); ok {
				name = attr.Name
			}
		}
		if name == "" {
			l.errorf(item.Range(), "Invalid partition_by", "A partition_by item is a field of the record, as in record.dt: it names the directory level (dt=…). Compute other values in a map before the sink.")
			continue
		}
		if in.IsObjectType() && !in.HasAttribute(name) {
			l.errorf(item.Range(), "Invalid partition_by", "The sink's input has no field %q.%s", name, didYouMean(name, fields))
			continue
		}
		if seen[name] {
			l.errorf(item.Range(), "Invalid partition_by", "%s is listed twice.", name)
			continue
		}
		seen[name] = true
		if in.IsObjectType() {
			if t := in.AttributeType(name); t != cty.String && t != cty.Number && t != cty.Bool && t != cty.DynamicPseudoType {
				l.errorf(item.Range(), "Invalid partition_by", "A partition field is a string, number or bool (its value names a directory); %s is %s.", name, t.FriendlyName())
				continue
			}
		}
		s.PartitionBy = append(s.PartitionBy, name)
	}
	if len(s.PartitionBy) > 0 && strings.HasSuffix(s.File, "/") {
		l.errorf(d.block.DefRange, "Invalid file", "With partition_by, file is the name each partition's file gets under its directory (file = \"out/part.jsonl\" writes out/dt=…/part.jsonl), not a directory.")
	}
}
