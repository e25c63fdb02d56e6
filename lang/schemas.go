package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/zclconf/go-cty/cty"
)

// This file decodes schema_registry blocks and the schema-format attributes
// of sources and sinks. Schemas come only from the lock file (Options.Lock)
// or local schema files: loading never contacts a registry.

// SchemaRef is a registry subject the spec uses: a source's (Version 0:
// its latest) or a sink's, which `pipeline schemas pull` pins.
type SchemaRef struct {
	Registry, Subject string
	Version           int
	Source            bool
}

var schemaRegistrySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "url", Required: true}, {Name: "username"}, {Name: "password"}, {Name: "token"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "tls"}},
}

// sourceFormats and sinkFormats are the values of format.
var recordFormats = []string{eval.FormatJSON, eval.FormatAvro, eval.FormatProtobuf, eval.FormatJSONSchema}

func isSchemaFormat(f string) bool { return f != eval.FormatJSON && f != "" }

func (l *loader) decodeSchemaRegistries(blocks hcl.Blocks) {
	seen := map[string]*hcl.Block{}
	for _, b := range blocks {
		name := b.Labels[0]
		if prev := seen[name]; prev != nil {
			l.errorf(b.DefRange, "Duplicate schema_registry block", "schema_registry %q is already declared at %s.", name, prev.DefRange)
			continue
		}
		seen[name] = b
		r := &ir.SchemaRegistry{Name: name, Range: ir.RangeOf(b.DefRange)}
		content, diags := b.Body.Content(schemaRegistrySchema)
		l.add(diags)
		if a := content.Attributes["url"]; a != nil {
			if s, ok := l.constString(a); ok {
				if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
					l.errorf(a.Expr.Range(), "Invalid url", "A Schema Registry url is http:// or https://, such as \"https://registry.internal:8081\"; this is %q.", s)
				}
				r.URL = strings.TrimRight(s, "/")
			}
		}
		if a := content.Attributes["username"]; a != nil {
			r.Username, _ = l.constString(a)
		}
		for _, f := range []struct {
			name string
			dst  *string
		}{{"password", &r.Password}, {"token", &r.Token}} {
			if a := content.Attributes[f.name]; a != nil {
				if v, ok := l.constValue(a, cty.String); ok {
					// Credentials are always sensitive, wherever they came from.
					l.noteSensitive(v)
					v, _ = v.Unmark()
					*f.dst = v.AsString()
				}
			}
		}
		if (r.Username == "") != (r.Password == "") {
			l.errorf(b.DefRange, "Incomplete basic auth", "username and password must be set together.")
		}
		if r.Token != "" && r.Password != "" {
			l.errorf(content.Attributes["token"].NameRange, "Conflicting credentials", "Use basic auth (username and password) or a bearer token, not both.")
		}
		for _, tb := range content.Blocks {
			if r.TLS != nil {
				l.errorf(tb.DefRange, "Duplicate tls block", "A schema_registry has at most one tls block.")
				continue
			}
			r.TLS = l.decodeTLS(tb)
		}
		l.p.SchemaRegistries = append(l.p.SchemaRegistries, r)
	}
	sort.Slice(l.p.SchemaRegistries, func(i, j int) bool { return l.p.SchemaRegistries[i].Name < l.p.SchemaRegistries[j].Name })
}

// registryFor resolves a source's or sink's schema_registry attribute:
// the named block, or the only one.
func (l *loader) registryFor(d *opDecl, attrs hcl.Attributes, at hcl.Range) (string, bool) {
	names := make([]string, len(l.p.SchemaRegistries))
	for i, r := range l.p.SchemaRegistries {
		names[i] = r.Name
	}
	if a := attrs["schema_registry"]; a != nil {
		s, ok := l.constString(a)
		if !ok {
			return "", false
		}
		if l.p.SchemaRegistry(s) == nil {
			l.errorf(a.Expr.Range(), "Unknown schema registry", "No schema_registry %q is declared (declared: %s).%s", s, quoteList(names), didYouMean(s, names))
			return "", false
		}
		return s, true
	}
	switch len(names) {
	case 0:
		l.errorf(at, "No schema registry", "%s names a subject, but the spec declares no schema_registry block: add one (url = \"https://registry:8081\"), or use schema_file.", d.op.ID)
		return "", false
	case 1:
		return names[0], true
	}
	l.errorf(at, "Ambiguous schema registry", "The spec declares several schema_registry blocks (%s): say which with schema_registry = \"NAME\".", quoteList(names))
	return "", false
}

// decodeSourceSchema decodes a source's format and schema attributes and
// returns its record type; ok is false when none could be determined (a
// diagnostic was reported, or the format is json and the schema attribute
// gives the type).
func (l *loader) decodeSourceSchema(d *opDecl, attrs hcl.Attributes, src *ir.Source) (cty.Type, bool) {
	fa := attrs["format"]
	if fa != nil {
		src.Format, _ = l.constEnum(fa, recordFormats...)
	}
	only := map[string]string{ // attribute -> the formats it applies to
		"schema_subject": "a schema format (avro, protobuf, json_schema)", "schema_version": "a schema format (avro, protobuf, json_schema)",
		"schema_file": "a schema format (avro, protobuf, json_schema)", "schema_registry": "a schema format (avro, protobuf, json_schema)",
		"message": "protobuf", "coerce": "json_schema",
	}
	applies := func(name string) bool {
		switch name {
		case "message":
			return src.Format == eval.FormatProtobuf
		case "coerce":
			return src.Format == eval.FormatJSONSchema
		}
		return isSchemaFormat(src.Format)
	}
	for _, name := range []string{"schema_subject", "schema_version", "schema_file", "schema_registry", "message", "coerce"} {
		if a := attrs[name]; a != nil && !applies(name) {
			l.errorf(a.NameRange, "Attribute not allowed here", "%s only applies to a source of format %s; %s is format %q.", name, only[name], d.op.ID, src.Format)
		}
	}
	if !isSchemaFormat(src.Format) {
		if attrs["schema"] == nil {
			l.errorf(d.block.DefRange, "Missing schema", "A source of format json needs a schema, such as schema = object({ id = string, amount = number }).")
		}
		return cty.NilType, false
	}
	if a := attrs["file"]; a != nil {
		// A file source reads one record per line, and a framed record
		// (its schema ID, a binary payload) may hold a newline byte.
		l.errorf(a.NameRange, "File source of a schema format", "%s reads a file, whose records are lines, but format %s frames records in the Confluent wire format, whose bytes may include a newline: read it from a topic, or use format = \"json\".", d.op.ID, src.Format)
	}
	if a := attrs["schema"]; a != nil {
		l.errorf(a.NameRange, "Conflicting schema", "A source of format %s takes its record type from its schema (schema_subject or schema_file); remove schema.", src.Format)
	}
	if a := attrs["coerce"]; a != nil && applies("coerce") {
		src.Coerce, _ = l.constBool(a)
	}
	var message string
	if a := attrs["message"]; a != nil && applies("message") {
		message, _ = l.constString(a)
	}
	sa, va, fia := attrs["schema_subject"], attrs["schema_version"], attrs["schema_file"]
	var doc *ir.SchemaDoc
	var at hcl.Range
	switch {
	case sa != nil && fia != nil:
		l.errorf(fia.NameRange, "Conflicting schema_subject and schema_file", "A source reads its schema from the registry (schema_subject) or a local file (schema_file), not both.")
		return cty.NilType, false
	case sa == nil && fia == nil:
		l.errorf(fa.Expr.Range(), "Missing schema", "Format %s needs schema_subject (a Schema Registry subject, such as \"orders-value\") or schema_file (a local schema document).", src.Format)
		return cty.NilType, false
	case fia != nil:
		at = fia.Expr.Range()
		if va != nil {
			l.errorf(va.NameRange, "Attribute not allowed here", "schema_version selects a registry version; it does not apply to schema_file.")
		}
		path, ok := l.constString(fia)
		if !ok {
			return cty.NilType, false
		}
		src.SchemaFile = path
		full := path
		if !filepath.IsAbs(full) {
			full = filepath.Join(l.opts.SchemaDir, path)
		}
		b, err := os.ReadFile(full)
		if err != nil {
			l.errorf(at, "Cannot read schema_file", "%s.", err)
			return cty.NilType, false
		}
		doc = &ir.SchemaDoc{Format: src.Format, Text: string(b), Message: message}
	default:
		at = sa.Expr.Range()
		subject, ok := l.constString(sa)
		if !ok {
			return cty.NilType, false
		}
		src.SchemaSubject = subject
		if va != nil {
			if n, ok := l.constNumber(va); ok {
				if n < 1 || n != float64(int(n)) {
					l.errorf(va.Expr.Range(), "Invalid schema_version", "schema_version is a registry version number, 1 or more.")
				} else {
					src.SchemaVersion = int(n)
				}
			}
		}
		reg, ok := l.registryFor(d, attrs, at)
		if !ok {
			return cty.NilType, false
		}
		src.SchemaRegistry = reg
		l.subjects = append(l.subjects, SchemaRef{Registry: reg, Subject: subject, Version: src.SchemaVersion, Source: true})
		pin := l.opts.Lock.Subject(reg, subject)
		pinned := pin.Version(src.SchemaVersion)
		if pinned == nil && l.opts.Pull {
			return cty.NilType, false
		}
		if pinned == nil {
			what := "the latest version"
			if src.SchemaVersion != 0 {
				what = fmt.Sprintf("version %d", src.SchemaVersion)
			}
			l.errorf(at, "Schema not pinned", "%s of subject %q (schema_registry %q) is not in %s: run `pipeline schemas pull` to pin it. validate, plan and test read schemas only from the lock file, so they work offline.", capitalize(what), subject, reg, schemalock.FileName)
			return cty.NilType, false
		}
		c := *pinned
		if message != "" {
			c.Message = message
		}
		if c.Format != src.Format {
			l.errorf(fa.Expr.Range(), "Format mismatch", "Subject %q is registered as %s, but the source says format = %q.", subject, c.Format, src.Format)
			return cty.NilType, false
		}
		doc = &c
		src.WriterSchemas = pin.Others(src.SchemaVersion)
	}
	if src.Format == eval.FormatProtobuf && doc.Message == "" {
		l.errorf(at, "Missing message", "A protobuf source names the message its records are, such as message = \"web.Click\".")
		return cty.NilType, false
	}
	src.SchemaDoc = doc
	// Runtimes without the .proto compiler (the broker module) decode
	// with the descriptors compiled here.
	for _, d := range append([]*ir.SchemaDoc{doc}, src.WriterSchemas...) {
		if err := eval.CompileSchema(d); err != nil {
			l.errorf(at, "Invalid schema", "%s: %s.", d.Subject, err)
			return cty.NilType, false
		}
	}
	t, err := eval.SchemaType(doc)
	if err != nil {
		l.errorf(at, "Unusable schema", "%s.", err)
		return cty.NilType, false
	}
	if !t.IsObjectType() {
		l.errorf(at, "Unusable schema", "The schema describes %s; a source's records must be objects.", t.FriendlyName())
		return cty.NilType, false
	}
	return t, true
}

// decodeSinkSchema decodes a sink's schema-format attributes. The schema
// itself is derived from the input's type by checkSinkSchema.
func (l *loader) decodeSinkSchema(d *opDecl, attrs hcl.Attributes, s *ir.Sink) {
	fa := attrs["format"]
	if fa != nil {
		s.Format, _ = l.constEnum(fa, recordFormats...)
	}
	for _, name := range []string{"schema_subject", "subject_strategy", "schema_registry"} {
		if a := attrs[name]; a != nil && !isSchemaFormat(s.Format) {
			l.errorf(a.NameRange, "Attribute not allowed here", "%s only applies to a sink of a schema format (avro, protobuf, json_schema); %s is format %q.", name, d.op.ID, s.Format)
		}
	}
	if !isSchemaFormat(s.Format) {
		return
	}
	if s.File != "" {
		l.errorf(fa.Expr.Range(), "Schema format needs a topic", "Format %s registers its schema in a Schema Registry and frames records with its ID: it is for topics; write files as json.", s.Format)
		return
	}
	s.SubjectStrategy = ir.SubjectTopicName
	if a := attrs["subject_strategy"]; a != nil {
		s.SubjectStrategy, _ = l.constEnum(a, ir.SubjectTopicName, ir.SubjectRecordName)
	}
	at := fa.Expr.Range()
	if a := attrs["schema_subject"]; a != nil {
		at = a.Expr.Range()
		if a2 := attrs["subject_strategy"]; a2 != nil {
			l.errorf(a2.NameRange, "Conflicting subject settings", "schema_subject names the subject; subject_strategy derives it. Use one.")
		}
		s.SchemaSubject, _ = l.constString(a)
	}
	reg, ok := l.registryFor(d, attrs, at)
	if !ok {
		return
	}
	s.SchemaRegistry = reg
}

// checkSinkSchema derives a schema-format sink's schema from its input's
// type and checks it against the subject's pinned latest version at the
// subject's compatibility level.
func (l *loader) checkSinkSchema(d *opDecl, s *ir.Sink, in cty.Type) {
	if !isSchemaFormat(s.Format) || s.SchemaRegistry == "" {
		return
	}
	recordName := d.op.Name
	if s.SchemaSubject == "" {
		if s.SubjectStrategy == ir.SubjectRecordName {
			s.SchemaSubject = recordName
		} else {
			s.SchemaSubject = s.Topic + "-value"
		}
	}
	l.subjects = append(l.subjects, SchemaRef{Registry: s.SchemaRegistry, Subject: s.SchemaSubject})
	pin := l.opts.Lock.Subject(s.SchemaRegistry, s.SchemaSubject)
	if in == cty.DynamicPseudoType || (pin == nil && l.opts.Pull) {
		return
	}
	doc, err := eval.DeriveSchema(s.Format, recordName, in)
	if err != nil {
		l.errorf(d.block.DefRange, "Cannot derive the sink's schema", "%s: %s.", d.op.ID, err)
		return
	}
	doc.Subject = s.SchemaSubject
	if err := eval.CompileSchema(doc); err != nil {
		l.errorf(d.block.DefRange, "Cannot derive the sink's schema", "%s: %s.", d.op.ID, err)
		return
	}
	s.SchemaDoc = doc
	if pin == nil {
		l.errorf(d.block.DefRange, "Schema not pinned", "Subject %q (schema_registry %q) of %s is not in %s: run `pipeline schemas pull` to pin its latest version and compatibility level, which plan checks the derived schema against.", s.SchemaSubject, s.SchemaRegistry, d.op.ID, schemalock.FileName)
		return
	}
	if pin.Latest == nil {
		return // a new subject: apply registers version 1
	}
	if pin.Latest.Text == doc.Text {
		doc.ID, doc.Version = pin.Latest.ID, pin.Latest.Version
		return
	}
	for _, v := range pin.Versions {
		if v.Text == doc.Text {
			// Already registered as an older version: apply registers it
			// again as the latest (a registry returns the same ID).
			doc.ID = v.ID
		}
	}
	if pin.Latest.Format != doc.Format {
		l.errorf(d.block.DefRange, "Schema format changed", "%s: subject %s is registered as %s, the sink writes %s.", d.op.ID, s.SchemaSubject, pin.Latest.Format, doc.Format)
		return
	}
	level := pin.Compatibility
	if level == "" {
		level = eval.CompatBackward
	}
	// A _TRANSITIVE level checks against every pinned version (pull pins
	// them all for such a subject), the others against the latest only.
	against := []*ir.SchemaDoc{pin.Latest}
	if strings.HasSuffix(level, "_TRANSITIVE") {
		for _, v := range pin.Versions {
			if v.Format == doc.Format {
				against = append(against, v)
			}
		}
	}
	for _, prev := range against {
		problems, err := eval.CheckCompatible(level, prev, doc)
		if err != nil {
			l.errorf(d.block.DefRange, "Cannot check schema compatibility", "%s: %s.", d.op.ID, err)
			return
		}
		for _, p := range problems {
			what := p.Reason
			if p.Field != "" {
				what = "field " + p.Field + " " + p.Reason
			}
			l.errorf(d.block.DefRange, "Incompatible schema change", "%s: %s: not %s compatible with %s version %d.", d.op.ID, what, level, s.SchemaSubject, prev.Version)
		}
	}
}
