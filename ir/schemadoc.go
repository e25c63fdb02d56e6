package ir

// SchemaDoc is a record schema document resolved at plan time, from a
// Schema Registry subject or a local schema file, that a codec reads and
// writes with. (Schema is an operator's record type; a SchemaDoc is the
// wire format's description of it.) The plan carries its whole text, so every backend (including the broker
// module, which has no network) decodes with exactly the schema that was
// reviewed, and a saved plan applies the same way tomorrow.
type SchemaDoc struct {
	// Format is the schema's language: "avro", "protobuf" or "json_schema".
	Format string `json:"format"`
	// Text is the schema document: an .avsc JSON document, a .proto file's
	// source, or a JSON Schema document.
	Text string `json:"text"`
	// Message is the fully qualified Protobuf message the records are, as
	// "web.Click". Empty for the other formats.
	Message string `json:"message,omitempty"`
	// References are the documents Text refers to by name: imported .proto
	// files, or referenced Avro named types and JSON Schemas, keyed by the
	// name Text uses.
	References map[string]string `json:"references,omitempty"`
	// Descriptor is Text compiled at plan time, for formats whose text
	// needs a compiler the runtime does not link: for Protobuf a serialized
	// google.protobuf.FileDescriptorSet of Text and every file it imports,
	// dependencies first and Text's file last. eval.CompileSchema fills it;
	// the planner calls that for every Protobuf SchemaDoc it puts in a plan,
	// so the broker module (which leaves the .proto compiler out) decodes
	// from it. Empty for Avro and JSON Schema.
	Descriptor []byte `json:"descriptor,omitempty"`
	// Subject, Version and ID identify the schema in the registry. ID is the
	// schema ID framed records carry (Confluent wire format); 0 for a schema
	// that only exists in a local file.
	Subject string `json:"subject,omitempty"`
	Version int    `json:"version,omitempty"`
	ID      int    `json:"id,omitempty"`
}
