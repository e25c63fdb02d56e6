package beam

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/pipeline-compiler/pipeline/ir"
)

// Record is one encoded record crossing the boundary of a Beam stage: what
// an IO reads from a topic, file or test and what it writes to a sink or
// channel. It is the one element type IOs exchange with the translated
// pipeline, registered with Beam.
type Record struct {
	Key   []byte
	Value []byte // the encoded record, in the input's or target's format
	// TimestampMs is the record timestamp: the event time when the stream
	// has no event_time expression (channels carry their event time here).
	// Outputs carry their event time here.
	TimestampMs int64
	Partition   int32
	Offset      int64
	// Seq is the record's position in the arrival order across all the
	// stage's inputs, when the IO knows it (tests and bounded files feed
	// inputs one after another); 0 otherwise. Keyed operators process a
	// key's records in Seq order, as the native engine does in arrival
	// order; equal Seqs keep the order Beam delivers them in.
	Seq int64
	// WatermarkMs is the stage watermark just before this record arrived,
	// as the native engine defines it (the least, over the stage's stream
	// partitions, of the greatest event time each has delivered), when the
	// IO knows it; math.MinInt64 otherwise. Aggregates dead-letter a record
	// as late, and stream–stream joins drop expired buffered records, by
	// this watermark, which makes results independent of how a runner
	// schedules bundles. See Watermarks.
	WatermarkMs int64
	// Future, when set, says why the record's event time is beyond its
	// source's max_future (see Sequence): the stage dead-letters it as
	// "future" instead of processing it, as native does.
	Future string `json:",omitempty"`
	// TooLarge, when set, says that a file line was longer than its
	// source's max_record_bytes: Value holds only its start, and the stage
	// dead-letters it as "too_large", as native does.
	TooLarge string `json:",omitempty"`
	// Kind is the row kind (eval.RowKind) of a changelog's record: read
	// from and written to a channel's pipeline.row_kind header, and kept
	// beside a sink's records (a delete is a topic sink's tombstone).
	Kind uint8 `json:",omitempty"`
	// Ver and Sub are the element order of an output (element.Ver and
	// element.Sub): a changelog's writers and test outputs apply a key's
	// changes in this order.
	Ver int64 `json:",omitempty"`
	Sub int32 `json:",omitempty"`
	// PartitionDir is, on a record for a partitioned file sink
	// (ir.Sink.PartitionBy), its Hive-style directories below the sink's
	// ("dt=2026-01-01/hm=10%3A15", record.Output.Partition); the IO writes
	// it to files.PartitionPath.
	PartitionDir string `json:",omitempty"`
}

// Input is one stream a stage reads.
type Input struct {
	// Stream is the stream ID: a source operator ID ("source.orders") or,
	// for a stage fed by a channel, the channel's stream ID.
	Stream string
	// Source is the source operator when Stream is a source; nil for a
	// channel.
	Source *ir.Operator
	// Channel is the channel feeding Stream from another stage; nil for a
	// source.
	Channel *ir.Channel
	// Topic is the Kafka topic to read (the source's or the channel's);
	// empty for a file source.
	Topic string
	// File is a file source's path, empty otherwise.
	File string
	// Table marks a table source (latest value per key).
	Table bool
}

// Output is one target a stage writes: a sink, a channel to another stage,
// or a tapped stream (tests).
type Output struct {
	// Target is the sink operator ID, or the stream ID of a channel or tap.
	Target string
	// Sink is the sink operator; nil for a channel or tap.
	Sink *ir.Operator
	// Topic is the Kafka topic (sink or channel); empty for a file sink or
	// a tap.
	Topic string
	// File is a file sink's path, empty otherwise.
	File string
}

// DeadLetter is a record the stage rejected: it failed to decode or
// evaluate, or arrived after all its windows fired.
type DeadLetter struct {
	// Input is the stage input that caused the failure (Value is set for
	// decode failures only).
	Stream string
	Input  Record
	// Operator is the operator that rejected it.
	Operator string
	// Reason is "decode", "eval" or "late", as the native engine says.
	Reason string
	Err    string
}

// Dead-letter reasons; the same words as the native engine's.
const (
	ReasonDecode = "decode"
	ReasonEval   = "eval"
	ReasonLate   = "late"
	ReasonFuture = "future"
	// ReasonEventTime and ReasonNullKey: as native's.
	ReasonEventTime = "event_time"
	ReasonNullKey   = "null_key"
)

// IO connects a stage's inputs and outputs to the world outside the Beam
// pipeline: Kafka topics (kafkaio), files, or a test's given records.
type IO interface {
	// Read returns the input's records as a PCollection of Record, each
	// with its event timestamp (Record.TimestampMs) as element timestamp.
	Read(s beam.Scope, input Input) beam.PCollection
	// Write consumes a PCollection of Record for one sink, channel or tap.
	// Key and Value are encoded in the target's format; TimestampMs is the
	// record's event time.
	Write(s beam.Scope, output Output, col beam.PCollection)
	// DeadLetters consumes the stage's dead letters, a PCollection of
	// DeadLetter.
	DeadLetters(s beam.Scope, col beam.PCollection)
}

// Option configures Build.
type Option func(*buildConfig)

type buildConfig struct {
	taps       []string
	eventClock bool // see WithEventTimeClock
}

// WithTaps also writes every record of the given streams as an Output with
// Target set to the stream ID, for tests that expect records on an operator
// that is not a sink.
func WithTaps(streams ...string) Option {
	return func(c *buildConfig) { c.taps = append(c.taps, streams...) }
}

// Build translates stage stageID of plan into a Beam pipeline: a fixed set of
// registered generic DoFns, each parameterized by the serialized plan and an
// operator ID and evaluating records with ir/eval. Nothing is generated or
// compiled per spec.
//
//   - filter, map and route: one ParDo per operator (Beam fuses them); a
//     route emits each record tagged with its output, split by one small
//     ParDo per output.
//   - aggregate: windows are assigned by eval.AssignWindows (so every
//     backend agrees on them); each (record, window) pair is timestamped at
//     the window's end minus 1 ms and windowed into Beam fixed windows as
//     wide as the gcd of size and slide, which maps every tumbling or
//     hopping window to exactly one Beam window ending where it ends. A
//     session aggregate uses Beam's Sessions. CombinePerKey folds with
//     eval's Aggregator; window_start and window_end come from the Beam
//     window.
//   - dedupe and joins: one stateful DoFn keyed by the operator's key, with
//     one event-time timer family.
//
// Beam's weight stays in this package: lang, ir and optimizer never import
// it.
func Build(p *ir.Plan, stageID string, io IO, opts ...Option) (*beam.Pipeline, error) {
	var cfg buildConfig
	for _, o := range opts {
		o(&cfg)
	}
	if io == nil {
		return nil, errors.New("beam: no IO")
	}
	payload, err := encodePlan(p)
	if err != nil {
		return nil, err
	}
	st, err := compileStage(payload, stageID)
	if err != nil {
		return nil, err
	}
	pipe, s := beam.NewPipelineWithRoot()
	b := &builder{s: s, st: st, io: io, cfg: cfg, taps: cfg.taps, payload: payload, stageID: stageID, streams: map[string]beam.PCollection{}}
	for _, in := range st.Inputs() {
		if in.Source == nil {
			b.segment(in.Stream)
		}
	}
	for _, c := range st.ops {
		switch {
		case c.op.Kind == ir.KindSource:
			b.segment(c.op.ID)
		case !isStateless(c.op):
			if err := b.keyed(c); err != nil {
				return nil, err
			}
			b.segment(c.op.ID)
		}
	}
	io.DeadLetters(s.Scope("dead letters"), beam.Flatten(s.Scope("dead letters"), b.dead...))
	return pipe, nil
}

// builder holds the PCollection of every stream built so far that keyed
// operators read.
type builder struct {
	s       beam.Scope
	st      *stage
	io      IO
	cfg     buildConfig
	taps    []string
	payload []byte
	stageID string
	streams map[string]beam.PCollection // of element
	dead    []beam.PCollection          // of DeadLetter
}

func (b *builder) base(opID string) fnBase {
	return fnBase{Plan: b.payload, Stage: b.stageID, Op: opID}
}

// segment builds the stateless segment rooted at stream root, writes its
// sinks, channels and taps, and records the streams keyed operators read.
func (b *builder) segment(root string) {
	s := b.s.Scope(root)
	sg := b.st.segment(root, b.taps)
	in, ok := b.streams[root]
	if !ok {
		input := b.st.inputs[root]
		var dead beam.PCollection
		in, dead = beam.ParDo2(s, &entryFn{Stream: root, OpID: input.opID}, b.io.Read(s.Scope("read"), input.Input))
		b.dead = append(b.dead, dead)
	}
	if sg.direct() {
		b.streams[root] = in
		if slices.Contains(b.taps, root) {
			b.write(s, Output{Target: root}, beam.ParDo2, &outputFn{fnBase: b.base(""), Stream: root}, in)
		}
	} else {
		tagged, dead := beam.ParDo2(s.Scope("stateless"), &segmentFn{fnBase: b.base(""), Root: root, Taps: b.taps}, in)
		b.dead = append(b.dead, dead)
		for _, id := range sg.ops {
			if c := b.st.byID[id]; c.op.Kind == ir.KindSink {
				sink := c.op.Sink
				b.io.Write(s.Scope("write "+id), Output{Target: id, Sink: c.op, Topic: sink.Topic, File: sink.File},
					beam.ParDo(s.Scope(id), &recordFn{Target: id, Topic: sink.Topic}, tagged))
			}
		}
		for _, ch := range b.st.segmentPlan(sg).Channels {
			if prod, _ := ir.StreamOperator(ch.From); slices.Contains(sg.ops, prod) {
				b.io.Write(s.Scope("write "+ch.Topic), Output{Target: ch.From, Topic: ch.Topic},
					beam.ParDo(s.Scope(ch.Topic), &recordFn{Target: ch.From, Topic: ch.Topic}, tagged))
			}
		}
		for _, e := range sg.exports {
			b.streams[e] = beam.ParDo(s.Scope(e), &selectFn{Target: e}, tagged)
			if slices.Contains(b.taps, e) {
				b.io.Write(s.Scope("tap "+e), Output{Target: e}, beam.ParDo(s.Scope("tap "+e), &recordFn{Target: e}, tagged))
			}
		}
	}
	// A keyed operator's output that leaves the stage on a channel.
	if sg.source == nil && b.st.byID[root] != nil {
		for _, ch := range b.st.plan.Channels {
			if ch.From == root && !b.st.in[ch.To] {
				b.write(s, Output{Target: root, Topic: ch.Topic}, beam.ParDo2, &outputFn{fnBase: b.base(""), Stream: root, Topic: ch.Topic}, in)
			}
		}
	}
}

// write runs an outputFn and hands its records to the IO.
func (b *builder) write(s beam.Scope, out Output, pardo func(beam.Scope, any, beam.PCollection, ...beam.Option) (beam.PCollection, beam.PCollection), fn *outputFn, in beam.PCollection) {
	recs, dead := pardo(s.Scope("output "+out.Target+" "+out.Topic), fn, in)
	b.dead = append(b.dead, dead)
	b.io.Write(s.Scope("write "+out.Target+" "+out.Topic), out, recs)
}

func (b *builder) input(op *ir.Operator, i int) (beam.PCollection, error) {
	col, ok := b.streams[op.Inputs[i]]
	if !ok {
		return beam.PCollection{}, fmt.Errorf("beam: %s reads %s, which is neither in stage %s nor fed into it", op.ID, op.Inputs[i], b.stageID)
	}
	return col, nil
}

// keyed builds a dedupe, join or aggregate.
func (b *builder) keyed(c *compiledOp) error {
	op := c.op
	s := b.s.Scope(op.ID)
	switch op.Kind {
	case ir.KindDedupe, ir.KindTop:
		in, err := b.input(op, 0)
		if err != nil {
			return err
		}
		keyed, dead := beam.ParDo2(s, &keyFn{fnBase: b.base(op.ID)}, in)
		b.stateful(s, c, keyed, dead)
	case ir.KindJoin:
		var keyed []beam.PCollection
		for side := range 2 {
			in, err := b.input(op, side)
			if err != nil {
				return err
			}
			if side == 1 && c.tableKey != nil {
				keyed = append(keyed, b.tableIndex(s.Scope("table index"), c, in))
				continue
			}
			k, dead := beam.ParDo2(s.Scope(fmt.Sprint("key ", side)), &keyFn{fnBase: b.base(op.ID), Side: int32(side)}, in)
			keyed, b.dead = append(keyed, k), append(b.dead, dead)
		}
		b.stateful(s, c, beam.Flatten(s, keyed...))
	case ir.KindAggregate:
		in, err := b.input(op, 0)
		if err != nil {
			return err
		}
		if op.Aggregate.Continuous() {
			b.continuousAggregate(s, c, in) // changelog.go
			break
		}
		b.aggregate(s, c, in)
	default:
		return fmt.Errorf("beam: %s: unsupported operator kind %q", op.ID, op.Kind)
	}
	return nil
}

// stateful runs a keyed operator's stateful DoFn over keyed elements
// (KV<string, element>).
func (b *builder) stateful(s beam.Scope, c *compiledOp, keyed beam.PCollection, dead ...beam.PCollection) {
	b.dead = append(b.dead, dead...)
	out, d := beam.ParDo2(s, newKeyedFn(b.base(c.op.ID)), keyed)
	b.streams[c.op.ID], b.dead = out, append(b.dead, d)
}

// aggregate assigns windows, then groups and combines tumbling and
// hopping windows on Beam, or runs sessions in the keyed DoFn (sessions.go).
func (b *builder) aggregate(s beam.Scope, c *compiledOp, in beam.PCollection) {
	op := c.op
	assigned, dead := beam.ParDo2(s.Scope("assign"), &assignFn{fnBase: b.base(op.ID), WallClock: b.cfg.wallClocked(op)}, in)
	b.dead = append(b.dead, dead)
	if op.Aggregate.Window.Kind == ir.WindowSession {
		b.stateful(s, c, assigned)
		return
	}
	wfn := window.NewFixedWindows(time.Duration(beamWindowMs(op.Aggregate.Window)) * time.Millisecond)
	windowed := beam.WindowInto(s.Scope("window"), wfn, assigned)
	combined := beam.CombinePerKey(s.Scope("combine"), &combineFn{fnBase: b.base(op.ID)}, windowed)
	results, rdead := beam.ParDo2(s.Scope("result"), &resultFn{fnBase: b.base(op.ID)}, combined)
	b.streams[op.ID] = beam.WindowInto(s.Scope("unwindow"), window.NewGlobalWindows(), results)
	b.dead = append(b.dead, beam.WindowInto(s.Scope("unwindow dead letters"), window.NewGlobalWindows(), rdead))
}

// beamWindowMs is the width of the Beam fixed windows an aggregate's
// tumbling or hopping windows map to: the gcd of size and slide, so that
// each IR window [end-size, end) owns the Beam window [end-w, end).
func beamWindowMs(w ir.Window) int64 {
	if w.Kind == ir.WindowHopping {
		return gcd(w.SizeMs, w.SlideMs)
	}
	return w.SizeMs
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Inputs lists the streams stage stageID of p reads, in a stable order:
// its source operators, then the streams channels feed into it.
func Inputs(p *ir.Plan, stageID string) ([]Input, error) {
	payload, err := encodePlan(p)
	if err != nil {
		return nil, err
	}
	st, err := compileStage(payload, stageID)
	if err != nil {
		return nil, err
	}
	return st.Inputs(), nil
}

// satSub subtracts without overflowing past math.MinInt64.
func satSub(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}

// satAdd adds without overflowing past math.MaxInt64.
func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
