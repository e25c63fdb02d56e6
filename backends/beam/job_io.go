package beam

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // textio on local paths
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/textio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/files"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

func init() {
	register.DoFn1x1[kafkaio.Record, Record](&fromKafkaFn{})
	register.DoFn1x1[Record, kafkaio.Record](&toKafkaFn{})
	register.DoFn1x1[DeadLetter, kafkaio.Record](&deadLetterFn{})
	register.DoFn2x1[[]byte, func(Record), error](&fileReadFn{})
	register.Function1x1(recordValue)
	register.Function1x2(deadLetterLine)
	kafkaio.RegisterTimestamper(eventTimeStamper, newEventTimeStamper)
}

// KafkaIO is the IO of a stage deployed against a Kafka-protocol cluster:
// topics through kafkaio, file sources and sinks on the local file system.
// Its fields travel inside the pipeline's DoFns.
type KafkaIO struct {
	Plan    *ir.Plan
	StageID string
	Conn    kafkaio.Conn
	// StopWhenIdle makes every topic read bounded: it ends once its
	// partitions have been idle this long (apply -exit-when-idle).
	StopWhenIdle time.Duration
	// WaitFor names, per input topic, the barriers (kafkaio.Release) a
	// bounded read waits for: upstream stages in this process that write
	// the topic.
	WaitFor map[string][]string
	// FileTimeMs stamps the lines of file sources, as native stamps them
	// with the time the run started.
	FileTimeMs int64
	// DeadLetterFile receives the dead letters as JSON lines (headers, key,
	// value), as native writes them, when Conn names no broker: a stage
	// that reads and writes files only.
	DeadLetterFile string

	payload []byte
	sources map[string]string // input stream → topic, or "file:PATH"
}

// NewKafkaIO returns the IO for stage stageID of p.
func NewKafkaIO(p *ir.Plan, stageID string, conn kafkaio.Conn) (*KafkaIO, error) {
	payload, err := encodePlan(p)
	if err != nil {
		return nil, err
	}
	inputs, err := Inputs(p, stageID)
	if err != nil {
		return nil, err
	}
	k := &KafkaIO{Plan: p, StageID: stageID, Conn: conn, FileTimeMs: time.Now().UnixMilli(), payload: payload, sources: map[string]string{}}
	for _, in := range inputs {
		src := in.Topic
		if in.File != "" {
			src = "file:" + in.File
		}
		k.sources[in.Stream] = src
	}
	return k, nil
}

// eventTimeStamper names the kafkaio.Timestamper that evaluates a stage
// input's event_time, so that the read's watermark follows event time.
const eventTimeStamper = "pipeline.event_time"

// stamperConfig is the eventTimeStamper's configuration.
type stamperConfig struct {
	Plan   []byte `json:"plan"`
	Stage  string `json:"stage"`
	Stream string `json:"stream"`
}

// startFrom says where the read of in starts: a source topic where its
// start_from says (a job commits no offsets, so every partition is one
// without a committed offset), at its end (latest) or at a time; a table
// or a channel topic at its beginning (neither).
func startFrom(in Input) (latest bool, afterMs *int64) {
	src := in.Source
	if in.Table || src == nil || src.Source == nil || src.Source.Topic != in.Topic {
		return false, nil
	}
	switch pos := src.Source.StartPosition(); pos {
	case ir.StartEarliest:
		return false, nil
	case ir.StartLatest:
		return true, nil
	default:
		ms, err := eval.ParseTimestamp(pos)
		if err != nil { // validated when planned
			return false, nil
		}
		return false, &ms
	}
}

func (k *KafkaIO) Read(s beam.Scope, in Input) beam.PCollection {
	if in.File != "" {
		fn := &fileReadFn{Path: in.File, TimestampMs: k.FileTimeMs, Limit: int(in.Source.Source.RecordLimit())}
		if in.Table {
			// Native reads a table file whole before any stream: its rows
			// come first in arrival order and in event time, as a test's
			// given table records do (Sequence, TestRunner), so that the
			// keyed join holds every row before it takes a stream record.
			fn.TimestampMs, fn.SeqBase = 0, -tableSeqSpan
		}
		return beam.ParDo(s, fn, beam.Impulse(s))
	}
	cfg := kafkaio.ReadConfig{Conn: k.Conn, Topic: in.Topic, WaitFor: k.WaitFor[in.Topic], WatermarkLagMs: k.lateness()}
	if k.StopWhenIdle > 0 {
		cfg.StopWhenIdleMs = max(k.StopWhenIdle.Milliseconds(), 1)
	} else {
		// Unbounded: a partition that stays empty must not hold every
		// window back forever.
		cfg.IdleWatermarkMs = idleWatermark.Milliseconds()
	}
	if in.Source != nil && in.Source.Source != nil && in.Source.Source.EventTime != nil {
		cfg.Timestamper = eventTimeStamper
		cfg.TimestamperConfig, _ = json.Marshal(stamperConfig{Plan: k.payload, Stage: k.StageID, Stream: in.Stream})
	}
	// Channels carry the exact event time in a header (runtime/worker).
	cfg.EventTimeHeader = record.HeaderEventTime
	cfg.StartLatest, cfg.StartAfterMs = startFrom(in)
	if !in.Table {
		cfg.MaxFutureMs = k.Plan.Pipeline.ChannelMaxFuture()
		if in.Source != nil && in.Source.Source != nil {
			cfg.MaxFutureMs = in.Source.Source.MaxFuture()
		}
	}
	return beam.ParDo(s, &fromKafkaFn{}, kafkaio.Read(s, cfg))
}

// idleWatermark is how long a caught-up partition of an unbounded read
// waits before its watermark follows the wall clock.
const idleWatermark = 30 * time.Second

// lateness is the greatest allowed_lateness among the stage's aggregates:
// reads hold their watermark back by it, so that a window fires when the
// native engine's watermark (greatest event time minus lateness) would
// fire it.
func (k *KafkaIO) lateness() int64 {
	st := k.Plan.Stage(k.StageID)
	if st == nil {
		return 0
	}
	var ms int64
	for _, id := range st.Operators {
		if op := k.Plan.Pipeline.Operator(id); op != nil && op.Aggregate != nil {
			ms = max(ms, op.Aggregate.AllowedLatenessMs)
		}
	}
	return ms
}

func (k *KafkaIO) Write(s beam.Scope, out Output, col beam.PCollection) {
	switch {
	case out.File != "" && out.Sink != nil && out.Sink.Changelog:
		writeChangelogFile(s, out.File, col) // changelog_io.go
	case out.File != "" && out.Sink != nil && out.Sink.Sink != nil && len(out.Sink.Sink.PartitionBy) > 0:
		writePartitioned(s, out.File, col)
	case out.File != "":
		textio.Write(s, out.File, beam.ParDo(s, recordValue, col))
	case out.Topic != "":
		kafkaio.Write(s, kafkaio.WriteConfig{Conn: k.Conn, Topic: out.Topic, DeadLetterTopic: k.Plan.Pipeline.DeadLetterTopic, Operator: out.Target},
			beam.ParDo(s, &toKafkaFn{Channel: out.Sink == nil}, col))
	default:
		// A tap: only tests read those, through their own IO.
	}
}

func (k *KafkaIO) DeadLetters(s beam.Scope, col beam.PCollection) {
	topic := k.Plan.Pipeline.DeadLetterTopic
	recs := beam.ParDo(s, &deadLetterFn{Sources: k.sources}, col)
	if len(k.Conn.Broker.Brokers) == 0 {
		path := k.DeadLetterFile
		if path == "" {
			path = topic + ".jsonl"
		}
		textio.Write(s, path, beam.ParDo(s, deadLetterLine, recs))
		return
	}
	kafkaio.Write(s, kafkaio.WriteConfig{Conn: k.Conn, Topic: topic, FitDeadLetters: true}, recs)
}

// deadLetterLine renders a dead letter written to a file, as the native
// worker does without a broker.
func deadLetterLine(r kafkaio.Record) (string, error) {
	line := struct {
		Headers map[string]string `json:"headers"`
		Key     string            `json:"key,omitempty"`
		Value   string            `json:"value"`
	}{Headers: map[string]string{}, Key: string(r.Key), Value: string(r.Value)}
	for _, h := range r.Headers {
		line.Headers[h.Key] = string(h.Value)
	}
	b, err := json.Marshal(line)
	return string(b), err
}

// fromKafkaFn turns a Kafka record into a stage input Record. The stage
// watermark before the record is unknown to a partition's read; one the
// read found beyond max_future keeps Future, and the stage dead-letters it.
type fromKafkaFn struct{}

func (fromKafkaFn) ProcessElement(r kafkaio.Record) Record {
	return Record{Key: r.Key, Value: r.Value, TimestampMs: r.TimestampMs, Partition: r.Partition, Offset: r.Offset, WatermarkMs: math.MinInt64, Future: r.Future, Kind: rowKindOf(r)}
}

// toKafkaFn turns an output Record into a Kafka record stamped with its
// event time, as native stamps its outputs.
// A channel record also carries the exact event time in the
// pipeline.event_time header, as native's do.
type toKafkaFn struct {
	Channel bool
}

func (f *toKafkaFn) ProcessElement(r Record) kafkaio.Record {
	k := kafkaio.Record{Key: r.Key, Value: r.Value, TimestampMs: max(r.TimestampMs, 0)}
	if f.Channel {
		k.Headers = []kafkaio.Header{{Key: record.HeaderEventTime, Value: record.EncodeEventTime(r.TimestampMs)}}
		k.Headers = append(k.Headers, rowKindHeader(r.Kind)...)
	}
	return k
}

// deadLetterFn renders a dead letter as native does: the input record
// unchanged, with the reason and its origin in headers.
type deadLetterFn struct {
	Sources map[string]string
}

func (f *deadLetterFn) ProcessElement(dl DeadLetter) kafkaio.Record {
	origin := f.Sources[dl.Stream]
	if origin == "" {
		origin = dl.Stream
	}
	return kafkaio.Record{
		Key:         dl.Input.Key,
		Value:       dl.Input.Value,
		TimestampMs: max(dl.Input.TimestampMs, 0),
		Headers: []kafkaio.Header{
			{Key: record.HeaderError, Value: []byte(dl.Err)},
			{Key: record.HeaderReason, Value: []byte(dl.Reason)},
			{Key: record.HeaderOperator, Value: []byte(dl.Operator)},
			{Key: record.HeaderSourceTopic, Value: []byte(origin)},
			{Key: record.HeaderSourcePartition, Value: []byte(strconv.FormatInt(int64(dl.Input.Partition), 10))},
			{Key: record.HeaderSourceOffset, Value: []byte(strconv.FormatInt(dl.Input.Offset, 10))},
		},
	}
}

// fileReadFn reads a file source, one Record per line in order. A line
// longer than Limit bytes is read only that far (memory stays bounded,
// /dev/zero included) and marked TooLarge.
type fileReadFn struct {
	Path        string
	TimestampMs int64
	Limit       int
	// SeqBase is added to each line's Seq (its line number, from 1).
	SeqBase int64
}

// tableSeqSpan numbers a table file's rows below every stream record's
// Seq (which count from 1): row i of a table file has Seq i+1-tableSeqSpan.
const tableSeqSpan = 1 << 48

func (f *fileReadFn) ProcessElement(_ []byte, emit func(Record)) error {
	src, err := files.Open(f.Path)
	if err != nil {
		return err
	}
	defer src.Close()
	src.SetLimit(f.Limit)
	for {
		line, err := src.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("beam: read %s: %w", f.Path, err)
		}
		r := Record{Value: line.Value, TimestampMs: f.TimestampMs, Offset: line.Offset, Seq: f.SeqBase + line.Offset + 1, WatermarkMs: math.MinInt64}
		if line.Truncated() {
			r.TooLarge = fmt.Sprintf("%s line %d is %d bytes long, more than the source's max_record_bytes (%d); reading goes on after it", f.Path, line.Offset+1, line.Size, f.Limit)
		}
		emit(r)
	}
}

func recordValue(r Record) string { return string(r.Value) }

// stamper evaluates one stage input's event_time on raw Kafka values.
type stamper struct {
	in    *inputSpec
	codec eval.Codec
}

func newEventTimeStamper(config []byte) (kafkaio.Timestamper, error) {
	var c stamperConfig
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, fmt.Errorf("beam: event time config: %w", err)
	}
	st, err := compileStage(c.Plan, c.Stage)
	if err != nil {
		return nil, err
	}
	in := st.inputs[c.Stream]
	if in == nil {
		return nil, fmt.Errorf("beam: stage %s has no input %s", c.Stage, c.Stream)
	}
	codec, err := eval.NewCodecFor(in.codec)
	if err != nil {
		return nil, err
	}
	return &stamper{in: in, codec: codec}, nil
}

// EventTimeMs is ok only for a record whose event_time evaluates: the
// others keep their Kafka timestamp, and the stage's decode step sends
// them to the dead letters.
func (s *stamper) EventTimeMs(_, value []byte) (int64, bool) {
	ts, _, _, err := s.in.eventTimeOf(s.codec, Record{Value: value})
	return ts, err == nil
}
