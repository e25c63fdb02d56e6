package eval

import "github.com/pipeline-compiler/pipeline/ir"

// SourceCodecSpec is the codec of a source as the plan configures it: its
// format, its pinned reader schema, and the other pinned versions of its
// subject as writer schemas, so every backend decodes alike.
func SourceCodecSpec(s *ir.Source) CodecSpec {
	spec := CodecSpec{Format: s.Format, Schema: s.SchemaDoc, Coerce: s.Coerce}
	if len(s.WriterSchemas) > 0 {
		spec.WriterSchema = s.WriterSchema
	}
	return spec
}

// SinkCodecSpec is the codec of a sink: its format and derived schema,
// whose ID frames every record (set when the schema is registered).
func SinkCodecSpec(s *ir.Sink) CodecSpec {
	return CodecSpec{Format: s.Format, Schema: s.SchemaDoc}
}
