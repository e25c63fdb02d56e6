package ir

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Kind is an operator kind. It is also the HCL block type that declares it.
type Kind string

// Operator kinds.
const (
	KindSource    Kind = "source"
	KindFilter    Kind = "filter"
	KindMap       Kind = "map"
	KindRoute     Kind = "route"
	KindJoin      Kind = "join"
	KindDedupe    Kind = "dedupe"
	KindAggregate Kind = "aggregate"
	KindTop       Kind = "top"
	KindSink      Kind = "sink"
)

// Backend names. The optimizer itself never switches on these: backends
// declare their capabilities. They exist for pins, plan output and state.
const (
	BackendBroker = "broker"
	BackendNative = "native"
	BackendBeam   = "beam"
)

// Delivery guarantees.
const (
	AtLeastOnce = "at_least_once"
	ExactlyOnce = "exactly_once"
)

// Pipeline is the logical pipeline: what the spec means, with nothing decided
// about where it runs.
type Pipeline struct {
	Name            string `json:"name"`
	Description     string `json:"description,omitempty"`
	Optimize        string `json:"optimize"` // cost | latency | throughput
	DeadLetterTopic string `json:"dead_letter_topic"`

	// Vars and Locals are resolved at plan time; expressions refer to them as
	// var.NAME and local.NAME and the evaluator folds them as constants.
	Vars   map[string]Const `json:"vars,omitempty"`
	Locals map[string]Const `json:"locals,omitempty"`

	Broker *Broker `json:"broker,omitempty"` // nil: embedded broker
	// SchemaRegistries are the schema_registry blocks, sorted by Name.
	SchemaRegistries []*SchemaRegistry `json:"schema_registries,omitempty"`
	Backends         []*Backend        `json:"backends"` // sorted by Name; native always present

	// Operators in a deterministic topological order (inputs before users,
	// ties broken by ID).
	Operators []*Operator `json:"operators"`
	Tests     []*Test     `json:"tests,omitempty"`
	// Moved are the spec's moved blocks: operators renamed since an earlier
	// apply whose state, consumer group and offsets follow the new name.
	Moved []Moved `json:"moved,omitempty"`
}

// Moved is a moved block: the operator From was renamed To. The command
// that compares a spec with the applied state checks that From existed and
// gives To From's identity (Operator.Identity).
type Moved struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Range     Range  `json:"range"`
	FromRange Range  `json:"from_range"`
	ToRange   Range  `json:"to_range"`
}

// Broker is a Kafka-protocol cluster.
type Broker struct {
	Name    string   `json:"name"`
	Brokers []string `json:"brokers"`
	SASL    *SASL    `json:"sasl,omitempty"`
	TLS     *TLS     `json:"tls,omitempty"`
}

// SASL authentication. Password is sensitive and redacted for display.
type SASL struct {
	Mechanism string `json:"mechanism"` // PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
	Username  string `json:"username"`
	Password  string `json:"password,omitempty"`
}

// TLS settings.
type TLS struct {
	Enabled            bool   `json:"enabled"`
	CAFile             string `json:"ca_file,omitempty"`
	CertFile           string `json:"cert_file,omitempty"`
	KeyFile            string `json:"key_file,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
}

// SchemaRegistry is a Confluent-compatible Schema Registry (Confluent,
// Redpanda's, Apicurio's or Karapace's REST API). Password and Token are
// sensitive: redacted for display and sealed out of saved plans.
type SchemaRegistry struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Username string `json:"username,omitempty"` // basic auth, with Password
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"` // bearer token
	TLS      *TLS   `json:"tls,omitempty"`
	Range    Range  `json:"range"`
}

// SchemaRegistry returns the schema_registry block named name, or nil.
func (p *Pipeline) SchemaRegistry(name string) *SchemaRegistry {
	for _, r := range p.SchemaRegistries {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Backend is an enabled execution backend and its settings, uninterpreted:
// each backend package decodes the attributes it understands.
type Backend struct {
	Name       string           `json:"name"`
	Attributes map[string]Const `json:"attributes,omitempty"`
	Range      Range            `json:"range"`
}

// Stats are optimizer hints from a stats block. Zero means "not given".
type Stats struct {
	Rate           float64 `json:"rate,omitempty"`         // records/s (sources)
	RecordBytes    float64 `json:"record_bytes,omitempty"` // bytes/record
	Selectivity    float64 `json:"selectivity,omitempty"`  // fraction kept (filters, joins)
	KeyCardinality float64 `json:"key_cardinality,omitempty"`
	Partitions     int     `json:"partitions,omitempty"`
}

// Operator is one node of the logical DAG.
type Operator struct {
	ID   string `json:"id"` // kind.name
	Kind Kind   `json:"kind"`
	Name string `json:"name"`

	// Inputs are the IDs of the streams this operator reads: an operator ID,
	// or a route output ID (route.NAME.OUTPUT). A join has exactly two:
	// left then right.
	Inputs []string `json:"inputs,omitempty"`

	// Schema is the type of every record this operator emits (all outputs of
	// a route share it).
	Schema Schema `json:"schema"`

	Backend string `json:"backend,omitempty"` // pin; "" = optimizer decides
	// Identity is the address the operator's state, and a stage it heads,
	// are known by when that is not ID: it was renamed (a moved block) and
	// keeps the old name's state, consumer group and offsets. "" = ID.
	Identity string `json:"identity,omitempty"`
	Stats    Stats  `json:"stats"`
	Range    Range  `json:"range"` // the block's declaration

	// Changelog is set when the operator emits a changelog rather than an
	// append-only stream: a continuous aggregate or top, or a filter, map
	// or route over one (a sink of one is an upsert sink). Each record
	// then carries a row kind (eval.RowKind: insert, update_before,
	// update_after, delete) and the stream means the table obtained by
	// applying the changes in order, keyed by ChangelogKey.
	Changelog bool `json:"changelog,omitempty"`
	// ChangelogKey names the output fields that key a changelog's rows (a
	// continuous aggregate's key fields; none for one without a key: a
	// single row). ChangelogByRow instead keys each row by the whole row (a
	// top's rows, whose delete names the row that left).
	ChangelogKey   []string `json:"changelog_key,omitempty"`
	ChangelogByRow bool     `json:"changelog_by_row,omitempty"`

	// Exactly one of these is set, matching Kind.
	Source    *Source    `json:"source,omitempty"`
	Filter    *Filter    `json:"filter,omitempty"`
	Map       *Map       `json:"map,omitempty"`
	Route     *Route     `json:"route,omitempty"`
	Join      *Join      `json:"join,omitempty"`
	Dedupe    *Dedupe    `json:"dedupe,omitempty"`
	Aggregate *Aggregate `json:"aggregate,omitempty"`
	Top       *Top       `json:"top,omitempty"`
	Sink      *Sink      `json:"sink,omitempty"`
}

// Source reads records from a topic or a JSON-lines file.
type Source struct {
	Topic  string `json:"topic,omitempty"`
	File   string `json:"file,omitempty"` // bounded
	Format string `json:"format"`         // json
	// Table reads the topic as a table: the latest value per Key. A table
	// is global, as Kafka Streams' GlobalKTable: every partition group of
	// a stage that also reads streams receives all partitions of the
	// table, so a stream–table join finds a row whatever partition it was
	// written to and needs no repartitioning.
	Table bool `json:"table,omitempty"`
	// Key is the record's key. A stream source's topic is taken to be
	// partitioned by it: a keyed operator whose only key has the same
	// source text reads the source without a repartition channel.
	Key       *Expr `json:"key,omitempty"`
	EventTime *Expr `json:"event_time,omitempty"` // RFC 3339 string or epoch ms; nil: record timestamp
	// MaxFutureMs bounds how far ahead of the greatest event time seen
	// (or the wall clock, when later) a record's event time may be; a
	// record past it is dead-lettered as "future" and does not move the
	// watermark. 0: DefaultMaxFutureMs.
	MaxFutureMs int64 `json:"max_future_ms,omitempty"`
	// StartFrom is where a consumer group that has no committed offset
	// for a partition of Topic starts reading it: StartEarliest (""),
	// StartLatest, or an RFC 3339 time (the first record at or after it).
	StartFrom string `json:"start_from,omitempty"`
	// MaxRecordBytes bounds the size of one record's value (a file
	// source's line); a bigger one is dead-lettered as "too_large" without
	// being decoded, and a file source stops buffering a line at it. 0:
	// DefaultMaxRecordBytes.
	MaxRecordBytes int64 `json:"max_record_bytes,omitempty"`

	// SchemaFormat settings: the reader's schema (resolved from the lock
	// file's pin of SchemaSubject, or read from SchemaFile) and where it
	// came from. Nil for format json.
	SchemaDoc      *SchemaDoc `json:"schema_doc,omitempty"`
	SchemaRegistry string     `json:"schema_registry,omitempty"`
	SchemaSubject  string     `json:"schema_subject,omitempty"`
	SchemaVersion  int        `json:"schema_version,omitempty"` // 0: the pinned latest
	SchemaFile     string     `json:"schema_file,omitempty"`
	// WriterSchemas are the other pinned versions of the subject, so a
	// record framed with an older version's ID is read with the schema it
	// was written with.
	WriterSchemas []*SchemaDoc `json:"writer_schemas,omitempty"`
	// Coerce converts drifted scalars ("100" for a number) instead of
	// dead-lettering the record (json_schema).
	Coerce bool `json:"coerce,omitempty"`
}

// WriterSchema returns the pinned schema registered under id, for
// eval.CodecSpec.WriterSchema.
func (s *Source) WriterSchema(id int) (*SchemaDoc, error) {
	if s.SchemaDoc != nil && s.SchemaDoc.ID == id {
		return s.SchemaDoc, nil
	}
	for _, w := range s.WriterSchemas {
		if w.ID == id {
			return w, nil
		}
	}
	return nil, fmt.Errorf("schema ID %d is not pinned in the lock file for subject %q (run pipeline schemas pull)", id, s.SchemaSubject)
}

// Source start positions (Source.StartFrom); anything else is a time.
const (
	StartEarliest = "earliest"
	StartLatest   = "latest"
)

// StartPosition is s's start_from, "earliest" when unset.
func (s *Source) StartPosition() string {
	if s == nil || s.StartFrom == "" {
		return StartEarliest
	}
	return s.StartFrom
}

// StateAddress is the address op's state and identity derive from: its
// Identity when it was renamed with a moved block, else its ID.
func (op *Operator) StateAddress() string {
	if op.Identity != "" {
		return op.Identity
	}
	return op.ID
}

// DefaultMaxRecordBytes is a source's max_record_bytes when the spec sets
// none: 1 MiB, Kafka's default largest message.
const DefaultMaxRecordBytes = 1 << 20

// RecordLimit is s's bound on one record's value, in bytes.
func (s *Source) RecordLimit() int64 {
	if s == nil || s.MaxRecordBytes <= 0 {
		return DefaultMaxRecordBytes
	}
	return s.MaxRecordBytes
}

// DefaultMaxFutureMs is a source's max_future when the spec sets none: 1h.
const DefaultMaxFutureMs = 3_600_000

// MaxFuture is s's bound on event times ahead of the watermark, in ms.
func (s *Source) MaxFuture() int64 {
	if s == nil || s.MaxFutureMs <= 0 {
		return DefaultMaxFutureMs
	}
	return s.MaxFutureMs
}

// ChannelMaxFuture is max_future for a stream read from a channel: the
// largest of the pipeline's sources', so a record its source accepted is
// not rejected downstream for a stricter bound than its own.
func (p *Pipeline) ChannelMaxFuture() int64 {
	ms := int64(0)
	for _, op := range p.Operators {
		if op.Source != nil {
			ms = max(ms, op.Source.MaxFuture())
		}
	}
	if ms == 0 {
		return DefaultMaxFutureMs
	}
	return ms
}

// Filter keeps records for which Where is true.
type Filter struct {
	Where Expr `json:"where"`
}

// Map replaces each record with an object of Fields.
type Map struct {
	Fields []Field `json:"fields"`
}

// Route sends each record to the first output whose When is true, else to
// the default output if there is one, else drops it (counted).
type Route struct {
	Outputs []RouteOutput `json:"outputs"`
}

// RouteOutput is one named output of a route; its stream ID is
// route.NAME.OUTPUT.
type RouteOutput struct {
	Name    string `json:"name"`
	When    *Expr  `json:"when,omitempty"`
	Default bool   `json:"default,omitempty"`
	Range   Range  `json:"range"`
}

// Join types.
const (
	JoinInner = "inner"
	JoinLeft  = "left"
)

// Join combines Inputs[0] (left) with Inputs[1] (right). When the right input
// is a table source it is a stream–table join; otherwise a stream–stream join
// within WithinMs of event time.
type Join struct {
	Type string `json:"type"` // inner | left
	On   Expr   `json:"on"`
	// LeftKeys[i] (over left) equals RightKeys[i] (over right): On
	// decomposed into its equality conjuncts, so every backend can shard.
	LeftKeys  []Expr  `json:"left_keys"`
	RightKeys []Expr  `json:"right_keys"`
	Fields    []Field `json:"fields"`
	WithinMs  int64   `json:"within_ms,omitempty"` // 0 for stream–table
}

// Dedupe drops a record whose Key was already seen within WithinMs.
type Dedupe struct {
	Key      Expr  `json:"key"`
	WithinMs int64 `json:"within_ms"`
}

// Window kinds.
const (
	WindowTumbling = "tumbling"
	WindowHopping  = "hopping"
	WindowSession  = "session"
)

// Window assigns records to event-time windows.
type Window struct {
	Kind    string `json:"kind"`
	SizeMs  int64  `json:"size_ms,omitempty"`  // tumbling, hopping
	SlideMs int64  `json:"slide_ms,omitempty"` // hopping
	GapMs   int64  `json:"gap_ms,omitempty"`   // session
	// Time is the clock the windows follow: "" (event time, the records'
	// event_time) or WindowProcessingTime (the wall clock when a record
	// reaches the operator).
	Time  string `json:"time,omitempty"`
	Range Range  `json:"range"`
}

// WindowProcessingTime is Window.Time for windows over arrival time
// (an aggregate's window_time = "processing").
const WindowProcessingTime = "processing"

// Aggregate functions.
const (
	AggCount         = "count"
	AggSum           = "sum"
	AggMin           = "min"
	AggMax           = "max"
	AggAvg           = "avg"
	AggCountDistinct = "count_distinct"
	AggFirst         = "first"
	AggLast          = "last"
)

// AggIfSuffix turns an aggregate function into its conditional form:
// sum_if(x, cond) is sum(x) over the records where cond is true, count_if(cond)
// is count() over them. The spec writes the suffixed name; the IR keeps the
// base function in Func and the condition in Where.
const AggIfSuffix = "_if"

// AggField is one output column of an aggregate: Func applied to Arg (nil
// for count()), over the records where Where is true (every record when
// Where is nil; a false or null condition skips the record for this field
// only).
type AggField struct {
	Name  string `json:"name"`
	Func  string `json:"func"`
	Arg   *Expr  `json:"arg,omitempty"`
	Where *Expr  `json:"where,omitempty"`
	Range Range  `json:"range"`
}

// Call is the field's aggregate call as a spec writes it: sum(x), count(),
// count_distinct_if(x, cond).
func (f AggField) Call() string {
	var args []string
	if f.Arg != nil {
		args = append(args, f.Arg.Source)
	}
	name := f.Func
	if f.Where != nil {
		name += AggIfSuffix
		args = append(args, f.Where.Source)
	}
	return name + "(" + strings.Join(args, ", ") + ")"
}

// Aggregate groups records by Key within Window and emits one record per key
// and window when the watermark passes the window's end: the key fields, the
// aggregate fields, window_start and window_end.
type Aggregate struct {
	Key               []Field    `json:"key"`
	Window            Window     `json:"window"` // Kind "": continuous
	AllowedLatenessMs int64      `json:"allowed_lateness_ms"`
	Fields            []AggField `json:"fields"`
}

// Continuous reports whether the aggregate has no window: it folds its
// input over all time and emits a changelog (Operator.Changelog), one
// update of the group's row per input record that changes it.
func (a *Aggregate) Continuous() bool { return a.Window.Kind == "" }

// Top keeps, per Key and window, the Limit best records by OrderBy, ties
// kept (rank semantics: every record tied with the Limit-th is emitted, so
// a group may emit more than Limit). A group is emitted, best first, once the
// watermark passes its window: Window when set (tumbling or hopping, by the
// record's event time), else the input's own windows (records of a windowed
// result, grouped by their window_end and event time). Records pass
// unchanged.
type Top struct {
	Key     []Expr     `json:"key,omitempty"`
	OrderBy []OrderKey `json:"order_by"`
	Limit   int        `json:"limit"`
	Window  *Window    `json:"window,omitempty"`
	// Continuous: no window and an un-windowed input. The top ranks over
	// all time and emits a changelog: an insert for a record entering its
	// group's ranking, a delete for each record it pushes out.
	Continuous bool `json:"continuous,omitempty"`
}

// OrderKey is one sort key of a top: Expr, largest first when Desc.
type OrderKey struct {
	Expr Expr `json:"expr"`
	Desc bool `json:"desc"`
}

// String is the key as a spec writes it: desc(record.price).
func (o OrderKey) String() string {
	if o.Desc {
		return "desc(" + o.Expr.Source + ")"
	}
	return "asc(" + o.Expr.Source + ")"
}

// Sink writes records to a topic or a JSON-lines file.
type Sink struct {
	Topic    string `json:"topic,omitempty"`
	File     string `json:"file,omitempty"`
	Format   string `json:"format"`
	Key      *Expr  `json:"key,omitempty"`
	Delivery string `json:"delivery"` // at_least_once | exactly_once
	// PartitionBy names fields of the sink's input: a file sink writes each
	// record to File's name inside the Hive-style directories of their
	// values under File's directory (out/dt=2026-01-01/hm=10%3A15/part.jsonl
	// for file = "out/part.jsonl"). Empty: one file.
	PartitionBy []string `json:"partition_by,omitempty"`

	// Schema-format settings: the writer's schema, derived from the input's
	// type (eval.DeriveSchema), registered under SchemaSubject of
	// SchemaRegistry. SchemaDoc.ID is the ID the lock file knows it by
	// (0 until apply registers it). Nil for format json.
	SchemaDoc       *SchemaDoc `json:"schema_doc,omitempty"`
	SchemaRegistry  string     `json:"schema_registry,omitempty"`
	SchemaSubject   string     `json:"schema_subject,omitempty"`
	SubjectStrategy string     `json:"subject_strategy,omitempty"` // topic_name | record_name
}

// Subject naming strategies of sinks.
const (
	SubjectTopicName  = "topic_name"
	SubjectRecordName = "record_name"
)

// Test is a test block: given records on sources, expected records on sinks
// (or any operator output), compared as multisets after JSON normalization.
type Test struct {
	Name   string     `json:"name"`
	Given  []TestData `json:"given"`
	Expect []TestData `json:"expect"`
	Range  Range      `json:"range"`
}

// TestData is the records given to or expected from one stream.
type TestData struct {
	Target  string            `json:"target"` // stream ID, e.g. source.orders
	Records []json.RawMessage `json:"records"`
	Range   Range             `json:"range"`
}

// Operator returns the operator with the given ID, or nil.
func (p *Pipeline) Operator(id string) *Operator {
	for _, op := range p.Operators {
		if op.ID == id {
			return op
		}
	}
	return nil
}

// Backend returns the enabled backend with the given name, or nil.
func (p *Pipeline) Backend(name string) *Backend {
	for _, b := range p.Backends {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// StreamOperator splits a stream ID into the operator that produces it and,
// for a route output, the output name: "route.r.gold" → ("route.r", "gold").
func StreamOperator(stream string) (opID, output string) {
	dots := 0
	for i := 0; i < len(stream); i++ {
		if stream[i] == '.' {
			dots++
			if dots == 2 {
				return stream[:i], stream[i+1:]
			}
		}
	}
	return stream, ""
}

// Streams returns the IDs of the streams op emits: its own ID, or one per
// route output.
func (op *Operator) Streams() []string {
	if op.Route != nil {
		out := make([]string, len(op.Route.Outputs))
		for i, o := range op.Route.Outputs {
			out[i] = op.ID + "." + o.Name
		}
		return out
	}
	if op.Kind == KindSink {
		return nil
	}
	return []string{op.ID}
}

// Consumers returns, for every stream ID, the IDs of the operators that read
// it, sorted.
func (p *Pipeline) Consumers() map[string][]string {
	m := map[string][]string{}
	for _, op := range p.Operators {
		for _, in := range op.Inputs {
			m[in] = append(m[in], op.ID)
		}
	}
	for _, v := range m {
		sort.Strings(v)
	}
	return m
}
