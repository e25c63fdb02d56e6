//go:build wasip1

// Command module is the generic broker transform: one WebAssembly module,
// built once with the project (see ../generate.go), that runs any broker
// stage. Compile places the stage's configuration (modconf.Config) into the
// reserved bytes after modconf.Marker; the module reads it once at start,
// builds the stateless processor, and then transforms every record the
// broker hands it through the Redpanda transform SDK.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/redpanda-data/redpanda/src/transform-sdk/go/transform"

	"github.com/pipeline-compiler/pipeline/backends/broker/internal/modconf"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// reserved is the configuration area: a var (not a constant, so that the
// compiler cannot fold reads of it) whose bytes are spaces (not zeros, so
// that the linker keeps them in the data section), behind a marker found
// nowhere else.
var reserved = modconf.Marker + spaces

const (
	s16    = "                "
	s256   = s16 + s16 + s16 + s16 + s16 + s16 + s16 + s16 + s16 + s16 + s16 + s16 + s16 + s16 + s16 + s16
	s4k    = s256 + s256 + s256 + s256 + s256 + s256 + s256 + s256 + s256 + s256 + s256 + s256 + s256 + s256 + s256 + s256
	s64k   = s4k + s4k + s4k + s4k + s4k + s4k + s4k + s4k + s4k + s4k + s4k + s4k + s4k + s4k + s4k + s4k
	spaces = s64k
)

// Compile-time check that the reserved area is modconf.Size bytes.
var _ [len(spaces) - modconf.Size]struct{}
var _ [modconf.Size - len(spaces)]struct{}

// gcPercent is the guest's GOGC unless the deployment sets GOGC. The
// module's live heap is small (a few MiB), so the default 100 collects
// every few thousand records with the wasm runtime's single-threaded,
// stop-the-world collector; 200 measured 6% more records/s on
// examples/lognorm for about 5 MiB more memory (400 gave 9% for 13 MiB
// more). The memory plan reports (../memory.go) is measured with it.
const gcPercent = 200

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	t, err := newTransform()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipeline transform:", err)
		os.Exit(1)
	}
	transform.OnRecordWritten(t.onRecord)
}

// xform is the configured transform.
type xform struct {
	cfg  *modconf.Config
	proc *stateless.Processor
	w    transform.RecordWriter
	rec  transform.Record // the input record being processed
	// to holds the write options of each output topic, made once: the
	// SDK's ToTopic allocates a closure per call, and passing a kept slice
	// to the variadic Write allocates none. A short list, not a map: the
	// wasm build hashes strings slowly, and the topic strings are the
	// configuration's own, so comparing them is cheap.
	to   []topicOpts
	hbuf []byte // the event-time header's value
	// limits are the largest record batch each output topic accepts
	// (modconf.LimitsEnv, set by apply); a topic not in it is not checked.
	limits map[string]int
}

type topicOpts struct {
	topic string
	opts  []transform.WriteOpt
	limit int // bytes; 0: unchecked
}

func newTransform() (*xform, error) {
	cfg, err := modconf.Decode([]byte(reserved[len(modconf.Marker):]))
	if err != nil {
		return nil, err
	}
	// Sensitive constants are not in the module: the deployment's
	// environment carries them.
	if err := cfg.Resolve(os.LookupEnv); err != nil {
		return nil, err
	}
	var taps []string
	for s := range cfg.Taps {
		taps = append(taps, s)
	}
	proc, err := stateless.New(cfg.Plan, cfg.Stage, stateless.WithTaps(taps...))
	if err != nil {
		return nil, err
	}
	limits, err := modconf.DecodeLimits(os.Getenv(modconf.LimitsEnv))
	if err != nil {
		return nil, err
	}
	return &xform{cfg: cfg, proc: proc, limits: limits}, nil
}

// toTopic returns the write options and the size limit of topic.
func (t *xform) toTopic(topic string) *topicOpts {
	for i := range t.to {
		if t.to[i].topic == topic {
			return &t.to[i]
		}
	}
	t.to = append(t.to, topicOpts{topic: topic, opts: []transform.WriteOpt{transform.ToTopic(topic)}, limit: t.limits[topic]})
	return &t.to[len(t.to)-1]
}

func (t *xform) onRecord(e transform.WriteEvent, w transform.RecordWriter) error {
	t.w, t.rec = w, e.Record()
	in := record.Input{Stream: t.cfg.Stream, Key: t.rec.Key, Value: t.rec.Value, TimestampMs: t.rec.Timestamp.UnixMilli()}
	// A channel record carries its exact event time in a header, set by
	// the stage that computed it (a broker stage or any other).
	for _, h := range t.rec.Headers {
		if string(h.Key) == record.HeaderEventTime {
			if ms, ok := record.DecodeEventTime(h.Value); ok {
				in.TimestampMs = ms
			}
		}
	}
	return t.proc.Process(in, t)
}

// Emit writes an output record to its topic.
func (t *xform) Emit(o record.Output) error {
	topic := o.Topic
	if topic == "" {
		topic = t.cfg.Taps[o.Target]
	}
	if topic == "" {
		return fmt.Errorf("output %s has no topic", o.Target)
	}
	r := transform.Record{Key: o.Key, Value: o.Value}
	hb := 0
	if !strings.HasPrefix(o.Target, sinkPrefix) {
		// A channel (or tap): a transform cannot set the output's Kafka
		// timestamp, so the event time this stage computed travels in the
		// header every stage reads, and the next stage does not re-derive
		// it.
		t.hbuf = strconv.AppendInt(t.hbuf[:0], o.TimestampMs, 10)
		r.Headers = []transform.RecordHeader{{Key: headerEventTime, Value: t.hbuf}}
		hb = record.HeaderBytes(len(headerEventTime), len(t.hbuf))
	}
	to := t.toTopic(topic)
	if to.limit > 0 {
		// A record the topic refuses would fail the write on every
		// retry of this input and stop the transform: it is
		// dead-lettered instead, as on every backend.
		if size := record.BatchBytes(len(r.Key), len(r.Value), len(r.Headers), hb); size > to.limit {
			return t.writeDead(r.Key, r.Value, record.TooLargeError(size, to.limit, topic), record.ReasonTooLarge, o.Target,
				transform.RecordHeader{Key: []byte(record.HeaderTarget), Value: []byte(topic)})
		}
	}
	return t.w.Write(r, to.opts...)
}

// sinkPrefix starts the ID, and so the Output.Target, of every sink
// operator (ir IDs are "kind.name"): sink records carry no event-time
// header, as on every backend.
const sinkPrefix = string(ir.KindSink) + "."

// headerEventTime is record.HeaderEventTime as bytes, made once.
var headerEventTime = []byte(record.HeaderEventTime)

// DeadLetter writes the input record, unchanged, to the dead-letter topic
// with why it was rejected in headers.
func (t *xform) DeadLetter(dl record.DeadLetter) error {
	return t.writeDead(t.rec.Key, t.rec.Value, []byte(dl.Err), dl.Reason, dl.Operator)
}

// writeDead writes a dead letter of key and value with why it was rejected
// and where its input came from in headers, and extra headers. One larger
// than the dead-letter topic accepts is cut to fit (record.DeadLetterCuts),
// keeping the headers that locate the input.
func (t *xform) writeDead(key, value, errText []byte, reason, operator string, extra ...transform.RecordHeader) error {
	r := transform.Record{
		Key:   key,
		Value: value,
		Headers: append([]transform.RecordHeader{
			{Key: []byte(record.HeaderError), Value: errText},
			{Key: []byte(record.HeaderReason), Value: []byte(reason)},
			{Key: []byte(record.HeaderOperator), Value: []byte(operator)},
			{Key: []byte(record.HeaderSourceTopic), Value: []byte(t.cfg.InputTopic)},
			{Key: []byte(record.HeaderSourceOffset), Value: strconv.AppendInt(nil, t.rec.Offset, 10)},
		}, extra...),
	}
	to := t.toTopic(t.cfg.DeadLetterTopic)
	if to.limit > 0 {
		hb := 0
		for _, h := range r.Headers {
			hb += record.HeaderBytes(len(h.Key), len(h.Value))
		}
		over := record.BatchBytes(len(r.Key), len(r.Value), len(r.Headers), hb) - to.limit
		if v, k, e := record.DeadLetterCuts(over, len(r.Value), len(r.Key), len(errText)); v+k+e > 0 {
			size := len(r.Value)
			r.Value, r.Key, r.Headers[0].Value = r.Value[:len(r.Value)-v], r.Key[:len(r.Key)-k], errText[:len(errText)-e]
			r.Headers = append(r.Headers, transform.RecordHeader{Key: []byte(record.HeaderTruncated), Value: strconv.AppendInt(nil, int64(size), 10)})
		}
	}
	return t.w.Write(r, to.opts...)
}
