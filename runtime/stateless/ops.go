package stateless

import (
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

type filterNode struct {
	p     *Processor
	id    string
	where *eval.Program
	out   *Route

	// Over a changelog an update is filtered as a pair: the update_before
	// that passes waits in pending for its update_after (which always
	// follows it), so that an update leaving the filtered table becomes a
	// delete and one entering it an insert.
	changelog bool
	pending   *eval.Record
}

func (n *filterNode) Push(_ int, x Rec) error {
	ok, err := n.where.EvalBool(eval.Frame{x.R})
	if err != nil {
		return n.p.DeadLetter(n.id, record.ReasonEval, err)
	}
	if n.changelog {
		return n.change(x, ok)
	}
	if !ok {
		return nil
	}
	return n.p.Emit(n.out, x)
}

func (n *filterNode) change(x Rec, ok bool) error {
	switch x.Kind {
	case eval.UpdateBefore:
		n.pending = nil
		if ok {
			n.pending = eval.CloneRecord(x.R)
		}
		return nil
	case eval.UpdateAfter:
		before := n.pending
		n.pending = nil
		switch {
		case before != nil && ok:
			if err := n.p.Emit(n.out, Rec{R: before, TS: x.TS, Kind: eval.UpdateBefore}); err != nil {
				return err
			}
			return n.p.Emit(n.out, x)
		case before != nil:
			return n.p.Emit(n.out, Rec{R: before, TS: x.TS, Kind: eval.Delete})
		case ok:
			return n.p.Emit(n.out, Rec{R: x.R, TS: x.TS, Kind: eval.Insert})
		}
		return nil
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
	// rec is the output record, rebuilt by every Push: a Rec is valid
	// during the push only, and a consumer that keeps one copies it.
	rec eval.Record
}

func (n *mapNode) Push(_ int, x Rec) error {
	err := n.fields.EvalInto(eval.Frame{x.R}, &n.rec)
	n.p.scope.Track(&n.rec) // new values, partial ones included
	if err != nil {
		return n.p.DeadLetter(n.id, record.ReasonEval, err)
	}
	return n.p.Emit(n.out, Rec{R: &n.rec, TS: x.TS, Kind: x.Kind})
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

	// An upsert sink (its input is a changelog): ckey are the slots of the
	// changelog key fields, cnames their names (none: the whole row).
	changelog bool
	byRow     bool // the whole row is the changelog key
	// keyIsValue: the changelog key is the whole row's JSON (byRow) and so
	// is the value (the JSON codec), so without a key expression the key
	// is copied from the value instead of encoding the row twice.
	keyIsValue bool
	ckey       []int
	cnames     []string
	parts      []sinkPart // partition_by, in order
	pbuf       []byte
}

// sinkPart is one partition_by field: its name and slot in the input.
type sinkPart struct {
	name string
	slot int
}

func (n *sinkNode) Push(_ int, x Rec) error {
	p := n.p
	o := record.Output{Target: n.id, Topic: n.topic, TimestampMs: x.TS}
	if n.changelog {
		if x.Kind == eval.UpdateBefore {
			if !n.byRow {
				return nil // the update_after that follows replaces the row
			}
			x.Kind = eval.Delete // keyed by the row: the old row goes
		}
		o.Kind = uint8(x.Kind)
		if n.key == nil && !n.keyIsValue {
			p.kbuf = AppendChangelogKey(p.kbuf[:0], x.R, n.byRow, n.ckey, n.cnames)
			o.Key = nonNil(p.kbuf)
		}
	}
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
	if n.changelog && n.key == nil && n.keyIsValue {
		p.kbuf = append(p.kbuf[:0], buf...) // AppendChangelogKey's row JSON
		o.Key = nonNil(p.kbuf)
	}
	if n.changelog {
		switch {
		case n.topic == "":
			// A file has no tombstones: every change is a line, the row
			// with its op added.
			op := `,"op":"upsert"}`
			if x.Kind == eval.Delete {
				op = `,"op":"delete"}`
			}
			if len(buf) >= 2 && buf[len(buf)-1] == '}' {
				if len(buf) == 2 {
					op = op[1:]
				}
				p.buf = append(buf[:len(buf)-1], op...)
				o.Value = p.buf
			}
		case x.Kind == eval.Delete:
			o.Value = nil // a tombstone
		}
	}
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

// AppendChangelogKey appends the Kafka key of an upsert sink's record
// when the sink has no key of its own: the row's JSON when the whole row
// is the key (byRow: a top's), else the changelog key fields (the group
// key of a continuous aggregate): one field as AppendKey keys a value, a
// JSON object of the fields in order otherwise ({} for an aggregate
// without a key). Every backend keys upsert sinks this way.
func AppendChangelogKey(dst []byte, r *eval.Record, byRow bool, slots []int, names []string) []byte {
	switch {
	case byRow:
		return r.AppendJSON(dst)
	case len(slots) == 1:
		return AppendKey(dst, r.Values[slots[0]])
	}
	dst = append(dst, '{')
	for i, s := range slots {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendQuote(dst, names[i])
		dst = append(dst, ':')
		dst = eval.AppendValueJSON(dst, r.Values[s])
	}
	return append(dst, '}')
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
