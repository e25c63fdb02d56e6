package stateless

import (
	"fmt"
	"sync/atomic"

	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

type filterNode struct {
	p     *Processor
	id    string
	where *eval.Program
	out   *Route
}

func (n *filterNode) Push(_ int, x Rec) error {
	ok, err := n.where.EvalBool(eval.Frame{x.R})
	if err != nil {
		return n.p.DeadLetter(n.id, record.ReasonEval, err)
	}
	if !ok {
		return nil
	}
	return n.p.Emit(n.out, x)
}

type mapNode struct {
	p      *Processor
	id     string
	fields *eval.ObjectProgram
	out    *Route
}

func (n *mapNode) Push(_ int, x Rec) error {
	r, err := n.fields.Eval(eval.Frame{x.R})
	if err != nil {
		return n.p.DeadLetter(n.id, record.ReasonEval, err)
	}
	return n.p.Emit(n.out, Rec{R: r, TS: x.TS})
}

type routeOut struct {
	out  *Route
	when *eval.Program
	def  bool
}

// routeNode sends a record to the first output whose when is true, else to
// the default output, else drops it and counts the drop (Dropped): a
// record is never lost without a trace.
type routeNode struct {
	p       *Processor
	id      string
	outs    []routeOut
	dropped int64
}

func (n *routeNode) Push(_ int, x Rec) error {
	for _, o := range n.outs {
		if o.when == nil {
			continue
		}
		ok, err := o.when.EvalBool(eval.Frame{x.R})
		if err != nil {
			return n.p.DeadLetter(n.id, record.ReasonEval, fmt.Errorf("output %s: %w", o.out.stream, err))
		}
		if ok {
			return n.p.Emit(o.out, x)
		}
	}
	for _, o := range n.outs {
		if o.def {
			return n.p.Emit(o.out, x)
		}
	}
	n.dropped++
	return nil
}

// sinkNode encodes records in the sink's format, keyed by the sink's key
// expression.
type sinkNode struct {
	p       *Processor
	id      string
	written *atomic.Int64 // Counters: records written (nil: not counted)
	topic   string        // "" for a file sink
	key     *eval.Program
	codec   eval.Codec
	parts   []sinkPart // partition_by, in order
	pbuf    []byte
}

// sinkPart is one partition_by field: its name and slot in the input.
type sinkPart struct {
	name string
	slot int
}

func (n *sinkNode) Push(_ int, x Rec) error {
	p := n.p
	o := record.Output{Target: n.id, Topic: n.topic, TimestampMs: x.TS}
	if n.key != nil {
		v, err := n.key.Eval(eval.Frame{x.R})
		if err == nil {
			err = eval.Finite(v)
		}
		if err != nil {
			return p.DeadLetter(n.id, record.ReasonEval, fmt.Errorf("key: %w", err))
		}
		if v.Kind != eval.KindNull {
			p.kbuf = AppendKey(p.kbuf[:0], v)
			o.Key = nonNil(p.kbuf)
		}
	}
	if len(n.parts) > 0 {
		pb := n.pbuf[:0]
		for i, part := range n.parts {
			if i > 0 {
				pb = append(pb, '/')
			}
			pb = AppendPartitionDir(pb, part.name, x.R.Values[part.slot])
		}
		n.pbuf = pb
		o.Partition = string(pb)
	}
	buf, err := eval.AppendRecord(n.codec, p.buf[:0], x.R)
	if err != nil {
		// Not written: readers of the sink's schema could not read it.
		return p.DeadLetter(n.id, record.ReasonEncode, err)
	}
	p.buf = buf
	o.Value = p.buf
	if n.written != nil {
		n.written.Add(1)
	}
	return p.out.Emit(o)
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

// DefaultPartition is the directory value of a null or empty partition
// field (Flink's and Hive's default partition name).
const DefaultPartition = "__DEFAULT_PARTITION__"

// AppendPartitionDir appends the Hive-style directory name of partition
// field name with value v: name=value, the value as AppendKey renders it
// (a string raw, anything else as JSON) with the characters Hive and Flink
// escape percent-encoded ('/', ':', '=', '%', control characters, …).
// Since '/' is escaped and the name is an identifier, the directory is one
// path element that is never "." or "..": no value leaves the sink's
// directory.
func AppendPartitionDir(dst []byte, name string, v eval.Value) []byte {
	dst = append(append(dst, name...), '=')
	if v.Kind == eval.KindNull || (v.Kind == eval.KindString && v.Str == "") {
		return append(dst, DefaultPartition...)
	}
	start := len(dst)
	dst = AppendKey(dst, v)
	raw := string(dst[start:]) // copied: dst is rewritten below
	dst = dst[:start]
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if escapePartitionByte(c) {
			dst = append(dst, '%', hex[c>>4], hex[c&15])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// escapePartitionByte reports a byte Hive's and Flink's partition paths
// escape (FileUtils.escapePathName): control characters, DEL, and
// " # % ' * / : = ? \ { [ ] ^.
func escapePartitionByte(c byte) bool {
	if c < 0x20 || c == 0x7f {
		return true
	}
	switch c {
	case '"', '#', '%', '\'', '*', '/', ':', '=', '?', '\\', '{', '[', ']', '^':
		return true
	}
	return false
}
