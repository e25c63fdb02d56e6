package stateless

import (
	"fmt"

	"github.com/pipeline-compiler/pipeline/ir/eval"
)

type filterNode struct {
	id    string
	where *eval.Program
	out   *route
}

func (n *filterNode) push(p *Processor, out Emitter, x rec) error {
	ok, err := n.where.EvalBool(eval.Frame{x.r})
	if err != nil {
		return deadLetter(out, n.id, ReasonEval, err)
	}
	if !ok {
		return nil
	}
	return p.emit(out, n.out, x)
}

type mapNode struct {
	id     string
	fields *eval.ObjectProgram
	out    *route
}

func (n *mapNode) push(p *Processor, out Emitter, x rec) error {
	r, err := n.fields.Eval(eval.Frame{x.r})
	if err != nil {
		return deadLetter(out, n.id, ReasonEval, err)
	}
	return p.emit(out, n.out, rec{r: r, ts: x.ts})
}

type routeOut struct {
	out  *route
	when *eval.Program
	def  bool
}

// routeNode sends a record to the first output whose when is true, else to
// the default output, else drops it.
type routeNode struct {
	id   string
	outs []routeOut
}

func (n *routeNode) push(p *Processor, out Emitter, x rec) error {
	for _, o := range n.outs {
		if o.when == nil {
			continue
		}
		ok, err := o.when.EvalBool(eval.Frame{x.r})
		if err != nil {
			return deadLetter(out, n.id, ReasonEval, fmt.Errorf("output %s: %w", o.out.stream, err))
		}
		if ok {
			return p.emit(out, o.out, x)
		}
	}
	for _, o := range n.outs {
		if o.def {
			return p.emit(out, o.out, x)
		}
	}
	return nil
}

// sinkNode encodes records in the sink's format, keyed by the sink's key
// expression.
type sinkNode struct {
	id    string
	topic string
	key   *eval.Program
	codec eval.Codec
}

func (n *sinkNode) push(p *Processor, out Emitter, x rec) error {
	o := Output{Target: n.id, Topic: n.topic, TimestampMs: x.ts}
	if n.key != nil {
		v, err := n.key.Eval(eval.Frame{x.r})
		if err != nil {
			return deadLetter(out, n.id, ReasonEval, fmt.Errorf("key: %w", err))
		}
		if v.Kind != eval.KindNull {
			p.kbuf = AppendKey(p.kbuf[:0], v)
			o.Key = p.kbuf
		}
	}
	p.buf = n.codec.Append(p.buf[:0], x.r)
	o.Value = p.buf
	return out.Emit(o)
}

// AppendKey appends the Kafka record key of value v: a string's raw bytes,
// the JSON of anything else. Sinks and channels key records this way on
// every backend.
func AppendKey(dst []byte, v eval.Value) []byte {
	if v.Kind == eval.KindString {
		return append(dst, v.Str...)
	}
	return eval.AppendValueJSON(dst, v)
}

// AppendChannelKey appends the key of a keyed channel (ir.Channel.Key)
// evaluated over f: one value is keyed as AppendKey keys it, several as the
// JSON array of the values. A null key is "null", not a missing key, so
// that every null-keyed record goes to one partition.
func AppendChannelKey(dst []byte, key []*eval.Program, f eval.Frame) ([]byte, error) {
	if len(key) == 1 {
		v, err := key[0].Eval(f)
		if err != nil {
			return dst, err
		}
		return AppendKey(dst, v), nil
	}
	dst = append(dst, '[')
	for i, prog := range key {
		v, err := prog.Eval(f)
		if err != nil {
			return dst, err
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = eval.AppendValueJSON(dst, v)
	}
	return append(dst, ']'), nil
}
