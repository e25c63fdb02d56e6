package testrun

import (
	"encoding/json"
	"fmt"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// Test blocks write records as HCL objects (JSON). A source of a schema
// format reads them encoded in that format with its pinned schema, so the
// codec is exercised as in production; a sink's output is decoded back to
// JSON for comparison.

// encodeGiven returns t with the records given to schema-format sources
// encoded in the source's format. Records are written unchecked
// (Codec.Append): one that does not conform reaches the source's decoder
// and is dead-lettered there, as a drifted record in a topic would be.
func encodeGiven(p *ir.Pipeline, t *ir.Test) (*ir.Test, error) {
	var out *ir.Test
	for gi, g := range t.Given {
		op := p.Operator(g.Target)
		if op == nil || op.Source == nil || op.Source.SchemaDoc == nil {
			continue
		}
		if out == nil {
			c := *t
			c.Given = append([]ir.TestData(nil), t.Given...)
			out = &c
		}
		spec := eval.SourceCodecSpec(op.Source)
		codec, err := eval.NewCodecFor(spec)
		if err != nil {
			return nil, fmt.Errorf("given %s: %w", g.Target, err)
		}
		l := eval.NewLayout(op.Schema.Type)
		recs := make([]json.RawMessage, len(g.Records))
		for i, raw := range g.Records {
			if op.Source.Format == eval.FormatJSONSchema {
				// The JSON as written, framed: drifted values ("100" for a
				// number) reach the codec's validation and coerce policy.
				id := op.Source.SchemaDoc.ID
				recs[i] = append([]byte{0, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}, raw...)
				continue
			}
			r := eval.NewRecord(l)
			var d eval.Decoder
			if err := d.Decode(l, raw, r); err != nil {
				return nil, fmt.Errorf("given %s record %d: %w", g.Target, i, err)
			}
			recs[i] = codec.Append(nil, r)
		}
		out.Given[gi].Records = recs
	}
	if out == nil {
		return t, nil
	}
	return out, nil
}

// decodeOutputs converts the records of schema-format sinks in got to JSON.
func decodeOutputs(p *ir.Pipeline, got map[string][][]byte) error {
	for target, recs := range got {
		op := p.Operator(target)
		if op == nil || op.Sink == nil || op.Sink.SchemaDoc == nil {
			continue
		}
		codec, err := eval.NewCodecFor(eval.CodecSpec{Format: op.Sink.Format, Schema: op.Sink.SchemaDoc})
		if err != nil {
			return fmt.Errorf("%s: %w", target, err)
		}
		typ, err := eval.SchemaType(op.Sink.SchemaDoc)
		if err != nil {
			return fmt.Errorf("%s: %w", target, err)
		}
		l := eval.NewLayout(typ)
		for i, b := range recs {
			if b == nil {
				continue // an upsert sink's tombstone
			}
			r := eval.NewRecord(l)
			if err := codec.Decode(l, nil, b, r); err != nil {
				return fmt.Errorf("%s output %d: %w", target, i, err)
			}
			recs[i] = r.AppendJSON(nil)
		}
	}
	return nil
}
