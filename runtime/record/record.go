// Package record is the one vocabulary in which every runtime hands records
// to a stage and takes them back: Input, Output, DeadLetter and Emitter,
// the dead-letter reasons, and the headers a dead-letter record carries.
// The native engine (runtime/native), the stateless core
// (runtime/stateless, which the broker's WebAssembly module and Beam DoFns
// run), the WebAssembly host (runtime/wasmhost) and the worker's Kafka
// layer (runtime/worker) all speak it, so a field means one thing wherever
// a stage runs.
//
// It is plain data with no dependencies, and builds for GOOS=wasip1
// GOARCH=wasm. It must not know about Kafka clients, state, the evaluator
// or any backend.
//
// # Who owns the bytes
//
// Bytes are lent, never given, across a stage boundary, in both
// directions:
//
//   - The Key and Value of an Input belong to the caller of Process. The
//     stage reads them during the call and keeps no reference after it
//     returns; an operator that keeps a record (a join buffer, a window)
//     copies what it keeps.
//   - The Key and Value of an Output, and the Input inside a DeadLetter,
//     are valid only until the Emit or DeadLetter call returns: the stage
//     reuses their memory for the next record. An Emitter that keeps them
//     (a batch produced later, a test collector) copies them.
//
// So a stage may run allocation-free per record, and the one copy is made
// by the side that knows it needs one.
package record

import "strconv"

// Input is one record arriving at a stage.
type Input struct {
	// Stream is the stream the record belongs to: a source operator ID
	// ("source.orders") or, for a stage fed by a channel, the channel's
	// stream ID ("filter.big_us").
	Stream string
	// Partition and Offset locate the record in its input; dead-letter
	// headers name them, and the native engine tracks event time per
	// partition. Zero where the input has no partitions (a broker
	// transform sees one record at a time).
	Partition int32
	Offset    int64
	Key       []byte // nil: no key
	Value     []byte // the encoded record
	// TimestampMs is the record timestamp, the event time unless the
	// source has an event_time expression. Records on a channel carry
	// their event time here (Output.TimestampMs of the producing stage).
	TimestampMs int64
	// Kind is the row kind of a changelog channel's record
	// (HeaderRowKind); 0 (insert) elsewhere.
	Kind uint8
}

// Output is one record leaving a stage.
type Output struct {
	// Target is what the record is for: a sink operator ID
	// ("sink.revenue"), or the ID of a stream that leaves the stage
	// ("filter.big_us") on a channel or as a tap.
	Target string
	// Topic is the one topic this copy of the record goes to: the sink's
	// topic, or the topic of the channel it travels on. A stream feeding
	// several channel topics is emitted once per topic, each copy with
	// that channel's Key. Topic is empty exactly for a file sink and for
	// a tap (a stream a test observes), which the receiver routes by
	// Target alone.
	Topic string
	Key   []byte // nil: no key; empty: an empty key
	Value []byte
	// TimestampMs is the record's event time. A window result carries its
	// window's end minus one millisecond, so it stays inside the window.
	TimestampMs int64
	// Kind is the row kind (eval.RowKind) of a changelog stream's record
	// leaving the stage on a channel; 0 (insert) for append-only streams.
	Kind uint8

	// Partition is, for a partitioned file sink (ir.Sink.PartitionBy), the
	// record's directory below the sink's: "dt=2026-01-01/hm=10%3A15".
	Partition string
}

// DeadLetter is an input record that failed to decode or evaluate, or
// arrived after its windows fired.
type DeadLetter struct {
	// Input is the stage input that caused the failure. It is zero for a
	// failure while firing a window or flushing a join at watermark time.
	Input    Input
	Operator string // the operator that rejected it
	Reason   string // ReasonDecode, ReasonEval, ReasonLate or ReasonFuture
	Err      string
}

// Dead-letter reasons, the value of HeaderReason.
const (
	ReasonDecode = "decode" // the input did not decode in its format
	ReasonEval   = "eval"   // an expression failed on the record
	ReasonLate   = "late"   // every window of the record had fired
	ReasonFuture = "future" // the event time is beyond the source's max_future
	// ReasonEventTime: the event time is outside eval.MinEventTimeMs ..
	// eval.MaxEventTimeMs (years 0001 to 9999), which every backend carries
	// exactly.
	ReasonEventTime = "event_time"
	// ReasonNullKey: the key of an aggregate, dedupe or join is null or has
	// a null part, so the record has nothing to group, match or
	// deduplicate by.
	ReasonNullKey = "null_key"
	// ReasonTooLarge: the record is bigger than its source's
	// max_record_bytes (it was not decoded), or an output is bigger than
	// its topic accepts (max.message.bytes, or the producer's batch limit),
	// so it can never be produced.
	ReasonTooLarge = "too_large"
	// ReasonEncode: a sink's record does not conform to the schema of its
	// format (a null for a required field), so it was not written.
	ReasonEncode = "encode"
)

// Emitter receives a stage's outputs and dead letters, on the goroutine
// that called into the stage. An error it returns stops the call and is
// returned to the caller. See the package doc for who owns the bytes.
type Emitter interface {
	Emit(Output) error
	DeadLetter(DeadLetter) error
}

// Headers of a dead-letter record. Its key and value are the rejected
// input's, unchanged; these say why and where it came from.
const (
	HeaderError           = "pipeline.error"            // DeadLetter.Err
	HeaderReason          = "pipeline.reason"           // DeadLetter.Reason
	HeaderOperator        = "pipeline.operator"         // DeadLetter.Operator
	HeaderSourceTopic     = "pipeline.source.topic"     // the topic the input was read from
	HeaderSourcePartition = "pipeline.source.partition" // its partition, in decimal
	HeaderSourceOffset    = "pipeline.source.offset"    // its offset, in decimal
	// HeaderTruncated is set on a dead letter that was itself too large
	// for the dead-letter topic: its value (and key, if needed) was cut to
	// fit, and this holds the original value's size in bytes, in decimal.
	HeaderTruncated = "pipeline.truncated"
	// HeaderTarget names the sink or channel topic an output too large
	// for it was meant for (reason too_large).
	HeaderTarget = "pipeline.target.topic"
)

// HeaderEventTime carries a record's event time across channels as exact
// epoch milliseconds (a decimal int64), set by whichever stage computed
// it. A Kafka record timestamp cannot carry it: it holds no time before
// 1970, and franz-go encodes it through UnixNano, which wraps after 2262.
const HeaderEventTime = "pipeline.event_time"

// HeaderRowKind carries the row kind (eval.RowKind, as one decimal digit)
// of a changelog stream's record across a channel; absent means insert.
const HeaderRowKind = "pipeline.row_kind"

// EncodeEventTime is the HeaderEventTime value for ms.
func EncodeEventTime(ms int64) []byte { return strconv.AppendInt(nil, ms, 10) }

// DecodeEventTime reads a HeaderEventTime value.
func DecodeEventTime(v []byte) (int64, bool) {
	ms, err := strconv.ParseInt(string(v), 10, 64)
	return ms, err == nil
}
