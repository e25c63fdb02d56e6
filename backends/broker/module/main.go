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
}

type topicOpts struct {
	topic string
	opts  []transform.WriteOpt
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
	return &xform{cfg: cfg, proc: proc}, nil
}

// toTopic returns the write options for topic.
func (t *xform) toTopic(topic string) []transform.WriteOpt {
	for _, o := range t.to {
		if o.topic == topic {
			return o.opts
		}
	}
	o := topicOpts{topic: topic, opts: []transform.WriteOpt{transform.ToTopic(topic)}}
	t.to = append(t.to, o)
	return o.opts
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
	if !strings.HasPrefix(o.Target, sinkPrefix) {
		// A channel (or tap): a transform cannot set the output's Kafka
		// timestamp, so the event time this stage computed travels in the
		// header every stage reads, and the next stage does not re-derive
		// it.
		t.hbuf = strconv.AppendInt(t.hbuf[:0], o.TimestampMs, 10)
		r.Headers = []transform.RecordHeader{{Key: headerEventTime, Value: t.hbuf}}
	}
	return t.w.Write(r, t.toTopic(topic)...)
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
	r := transform.Record{
		Key:   t.rec.Key,
		Value: t.rec.Value,
		Headers: []transform.RecordHeader{
			{Key: []byte(record.HeaderError), Value: []byte(dl.Err)},
			{Key: []byte(record.HeaderReason), Value: []byte(dl.Reason)},
			{Key: []byte(record.HeaderOperator), Value: []byte(dl.Operator)},
			{Key: []byte(record.HeaderSourceTopic), Value: []byte(t.cfg.InputTopic)},
			{Key: []byte(record.HeaderSourceOffset), Value: strconv.AppendInt(nil, t.rec.Offset, 10)},
		},
	}
	return t.w.Write(r, t.toTopic(t.cfg.DeadLetterTopic)...)
}
