package eval

import "fmt"

// Codec turns a stream's wire bytes into records and records back into
// bytes. Every backend reads and writes records through one, chosen by the
// format attribute of a source or sink, so a format means the same wherever
// a stage runs. JSON is the format today; Avro and Protobuf with a schema
// registry plug in here.
//
// A Codec may keep scratch space between calls (JSON's decoder does): use
// one per goroutine.
type Codec interface {
	// Format is the name a spec uses for it ("json").
	Format() string
	// Decode decodes one record into r, which is laid out by l. When needed
	// is not nil, only slots with needed[i] set are converted and
	// type-checked; the others are skipped (still validated as syntax).
	Decode(l *Layout, needed []bool, data []byte, r *Record) error
	// Append appends the encoding of r to dst.
	Append(dst []byte, r *Record) []byte
}

// Formats lists the formats NewCodec knows.
var Formats = []string{"json"}

// NewCodec returns a codec for format.
func NewCodec(format string) (Codec, error) {
	switch format {
	case "json", "":
		return &jsonCodec{}, nil
	}
	return nil, fmt.Errorf("unknown record format %q (known: %v)", format, Formats)
}

// jsonCodec is the JSON format: one JSON object per record.
type jsonCodec struct{ dec Decoder }

func (*jsonCodec) Format() string { return "json" }

func (c *jsonCodec) Decode(l *Layout, needed []bool, data []byte, r *Record) error {
	if needed == nil {
		return c.dec.Decode(l, data, r)
	}
	return c.dec.DecodeNeeded(l, needed, data, r)
}

func (*jsonCodec) Append(dst []byte, r *Record) []byte { return r.AppendJSON(dst) }
