package stateless

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// Option configures a Processor.
type Option func(*Processor)

// WithTaps also emits every record of the given streams as an Output with
// that stream as Target and no Topic, for tests that expect records on an
// operator that is not a sink.
func WithTaps(streams ...string) Option {
	return func(p *Processor) { p.taps = append(p.taps, streams...) }
}

// WithOperators lets the processor run operators of kinds it does not run
// itself (the native engine's aggregate, join and dedupe), and table
// sources: build is called for each such operator of the stage, in
// pipeline order, with the layouts of its inputs. It returns the Consumer
// that the operator's input records are pushed to (port i for input i) and
// the layout of the records on the operator's streams. The operator emits
// through Processor.Emit and Processor.DeadLetter.
func WithOperators(build BuildFunc) Option {
	return func(p *Processor) { p.build = build }
}

// BuildFunc builds an operator the processor does not run itself; see
// WithOperators.
type BuildFunc func(p *Processor, op *ir.Operator, in []*eval.Layout, c eval.Consts) (Consumer, *eval.Layout, error)

// Rec is a record flowing between operators, with its event time. R is
// owned by the operator that produced it and valid during the push: a
// consumer that keeps a record copies it.
type Rec struct {
	R  *eval.Record
	TS int64
	// Kind is the change a record of a changelog stream makes (the zero
	// value, Insert, on append-only streams).
	Kind eval.RowKind
}

// Consumer is an operator that reads a stream: the processor pushes each
// record of the stream to it, on the port of the input it reads.
// Evaluation failures go to Processor.DeadLetter; an error is fatal.
type Consumer interface {
	Push(port int, x Rec) error
}

// Processor runs the operators of one stage over one record at a time:
// decoding, event time, the stateless operators (filter, map, route, sink)
// and the stage's exports (channels and taps). Other operators plug in
// through WithOperators. It is not safe for concurrent use.
type Processor struct {
	plan    *ir.Plan
	stage   *ir.Stage
	taps    []string
	build   BuildFunc
	routes  map[string]*Route
	inputs  map[string]*Stream
	layouts map[string]*eval.Layout
	ops     []*ir.Operator // the stage's operators, in pipeline order
	rts     []*routeNode   // for Dropped
	last    *Stream

	future   func(s *Stream, ts int64) error // see SetFutureCheck
	counters *Counters                       // see WithCounters; nil counts nothing

	out    record.Emitter
	cur    record.Input // the input being processed, for dead letters
	hasCur bool

	buf  []byte // value scratch
	kbuf []byte // key scratch

	// scope shares common subexpressions between the stage's expressions:
	// each record a stateless operator produces (a decoded input, a map's
	// output) is tracked in it when its values are set.
	scope *eval.Scope
}

// noteExprs notes in p.scope every expression the stage's stateless
// operators and exports evaluate, before any is compiled.
func (p *Processor) noteExprs(inStage map[string]bool) {
	for _, op := range p.plan.Pipeline.Operators {
		if !inStage[op.ID] {
			continue
		}
		switch {
		case op.Filter != nil:
			p.scope.Note(op.Filter.Where)
		case op.Map != nil:
			for _, f := range op.Map.Fields {
				p.scope.Note(f.Expr)
			}
		case op.Route != nil:
			for _, o := range op.Route.Outputs {
				if o.When != nil {
					p.scope.Note(*o.When)
				}
			}
		case op.Sink != nil && op.Sink.Key != nil:
			p.scope.Note(*op.Sink.Key)
		case op.Source != nil && op.Source.EventTime != nil:
			p.scope.Note(*op.Source.EventTime)
		}
	}
	for _, ch := range p.plan.Channels {
		for _, k := range ch.Key {
			p.scope.Note(k)
		}
	}
}

// Stream is how the stage reads one input stream: a source, or a channel
// from another stage.
type Stream struct {
	name      string
	opID      string // the source operator, or the channel's consumer
	out       *Route
	layout    *eval.Layout
	codec     eval.Codec
	eventTime *eval.Program
	table     bool
	maxFuture int64         // the source's max_future in ms (channels: ir.Pipeline.ChannelMaxFuture)
	maxBytes  int           // the source's max_record_bytes; 0 (channels): none
	needed    []bool        // decode mask (nil: every attribute)
	pushed    *atomic.Int64 // Counters: records pushed (nil: not counted)
	rec       eval.Record   // reused: operators that keep a record copy it
}

// Name returns the stream ID.
func (s *Stream) Name() string { return s.name }

// Layout returns the layout of the stream's records.
func (s *Stream) Layout() *eval.Layout { return s.layout }

// MaxFuture is how far, in ms, a record's event time may be ahead of the
// watermark's reference (see SetFutureCheck).
func (s *Stream) MaxFuture() int64 { return s.maxFuture }

// Table reports whether the stream is a table source's changelog.
func (s *Stream) Table() bool { return s.table }

// Needed returns the decode mask (nil: every attribute is decoded).
func (s *Stream) Needed() []bool { return s.needed }

// SetNeeded decodes only the attributes whose mask entry is true, so that
// an attribute nothing reads costs nothing and cannot fail.
func (s *Stream) SetNeeded(mask []bool) { s.needed = mask }

// Route is where the records of one stream go: the operators in the stage
// that read it, and the stage outputs it feeds (channels, taps). Operators
// hold their output routes, so emitting costs no lookups.
type Route struct {
	stream    string
	emitted   *atomic.Int64 // Counters: records emitted (nil: not counted)
	consumers []edge
	exports   []export
}

// Stream returns the ID of the route's stream.
func (rt *Route) Stream() string { return rt.stream }

type edge struct {
	c    Consumer
	port int
}

// export is a stream leaving the stage: one channel topic (with the
// channel's key, if the consumer needs its records partitioned), or a tap.
type export struct {
	topic    string
	consumer string // the channel's consumer, named in dead letters
	key      []*eval.Program
}

// ChannelFormat is the record format of channel topics between stages:
// every runtime writes them and reads them back, whatever the sources'
// formats.
const ChannelFormat = "json"

// New builds the processor for stage stageID of plan. Without
// WithOperators every operator of the stage must be a (non-table) source,
// filter, map, route or sink.
func New(plan *ir.Plan, stageID string, opts ...Option) (*Processor, error) {
	if plan == nil || plan.Pipeline == nil {
		return nil, errors.New("stateless: plan has no pipeline")
	}
	st := plan.Stage(stageID)
	if st == nil {
		return nil, fmt.Errorf("stateless: plan has no stage %q", stageID)
	}
	p := &Processor{
		plan:    plan,
		stage:   st,
		routes:  map[string]*Route{},
		inputs:  map[string]*Stream{},
		layouts: map[string]*eval.Layout{},
	}
	for _, o := range opts {
		o(p)
	}
	if err := p.buildStage(); err != nil {
		return nil, err
	}
	return p, nil
}

// Route returns the route of stream, creating it.
func (p *Processor) Route(stream string) *Route {
	rt := p.routes[stream]
	if rt == nil {
		rt = &Route{stream: stream, emitted: p.counters.emittedCounter(stream)}
		p.routes[stream] = rt
	}
	return rt
}

// InStage returns the set of operator IDs in stage st.
func InStage(st *ir.Stage) map[string]bool {
	m := make(map[string]bool, len(st.Operators))
	for _, id := range st.Operators {
		m[id] = true
	}
	return m
}

// Check reports the first operator of stage st that a stateless processor
// cannot run, or nil.
func Check(pl *ir.Pipeline, st *ir.Stage) error {
	for _, id := range st.Operators {
		op := pl.Operator(id)
		if op == nil {
			return fmt.Errorf("stage %s: unknown operator %q", st.ID, id)
		}
		if !runs(op) {
			if op.Kind == ir.KindSource {
				return fmt.Errorf("%s is a table source, which keeps state", op.ID)
			}
			return fmt.Errorf("%s keeps state across records", op.ID)
		}
	}
	return nil
}

// runs reports whether the processor runs op itself.
func runs(op *ir.Operator) bool {
	switch op.Kind {
	case ir.KindFilter, ir.KindMap, ir.KindRoute, ir.KindSink:
		return true
	case ir.KindSource:
		return op.Source == nil || !op.Source.Table
	}
	return false
}

func (p *Processor) buildStage() error {
	pl := p.plan.Pipeline
	consts := eval.ConstsOf(pl)
	inStage := InStage(p.stage)
	p.scope = eval.NewScope(consts)
	p.noteExprs(inStage)
	if p.build == nil {
		if err := Check(pl, p.stage); err != nil {
			return fmt.Errorf("stateless: %w", err)
		}
	}
	// Streams fed by channels from other stages: decoded with the
	// producing operator's schema.
	for _, ch := range p.plan.Channels {
		if !inStage[ch.To] {
			continue
		}
		if _, ok := p.inputs[ch.Stream]; ok {
			continue
		}
		prodID, _ := ir.StreamOperator(ch.Stream)
		prod := pl.Operator(prodID)
		if prod == nil {
			return fmt.Errorf("stateless: channel %s: no operator %s", ch.Stream, prodID)
		}
		codec, err := eval.NewCodec(ChannelFormat)
		if err != nil {
			return err
		}
		l := eval.NewLayout(prod.Schema.Type)
		table := prod.Source != nil && prod.Source.Table
		p.inputs[ch.Stream] = &Stream{name: ch.Stream, opID: ch.To, out: p.Route(ch.Stream), layout: l, codec: codec, table: table, maxFuture: pl.ChannelMaxFuture(), pushed: p.counters.pushedCounter(ch.Stream)}
		p.layouts[ch.Stream] = l
	}
	for _, op := range pl.Operators {
		if !inStage[op.ID] {
			continue
		}
		c, err := p.buildOperator(op, consts)
		if err != nil {
			return err
		}
		p.ops = append(p.ops, op)
		if c == nil {
			continue // a source: Push feeds its route
		}
		for port, in := range op.Inputs {
			rt := p.Route(in)
			rt.consumers = append(rt.consumers, edge{c: c, port: port})
		}
	}
	if len(p.ops) != len(p.stage.Operators) {
		return fmt.Errorf("stateless: stage %s names operators missing from the pipeline", p.stage.ID)
	}
	return p.buildExports(inStage, consts)
}

// buildExports compiles the channels leaving the stage and the taps. It
// runs after the operators are built, when every stream produced in the
// stage has its layout.
func (p *Processor) buildExports(inStage map[string]bool, c eval.Consts) error {
	for _, ch := range p.plan.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if !inStage[prod] || inStage[ch.To] {
			continue
		}
		rt := p.Route(ch.From)
		if slices.ContainsFunc(rt.exports, func(x export) bool { return x.topic == ch.Topic }) {
			continue
		}
		l, ok := p.layouts[ch.From]
		if !ok {
			return fmt.Errorf("stateless: channel %s → %s: stream %s has no layout in stage %s", ch.From, ch.To, ch.From, p.stage.ID)
		}
		x := export{topic: ch.Topic, consumer: ch.To}
		for _, k := range ch.Key {
			prog, diags := eval.Compile(k, []eval.Root{{Name: "record", Layout: l}}, c, eval.InScope(p.scope))
			if diags.HasErrors() {
				return fmt.Errorf("stateless: key of channel %s → %s: %s", ch.From, ch.To, diags.Error())
			}
			x.key = append(x.key, prog)
		}
		rt.exports = append(rt.exports, x)
	}
	for _, t := range p.taps {
		if _, ok := p.layouts[t]; !ok {
			return fmt.Errorf("stateless: tap %s: no such stream in stage %s", t, p.stage.ID)
		}
		p.Route(t).exports = append(p.Route(t).exports, export{})
	}
	return nil
}

// Diagnostics is what eval.Compile reports (hcl.Diagnostics).
type Diagnostics interface {
	HasErrors() bool
	Error() string
}

// CompileError is the error of expression what of op that failed to
// compile (diags has errors), or nil.
func CompileError(op *ir.Operator, what string, diags Diagnostics) error {
	if diags != nil && diags.HasErrors() {
		return fmt.Errorf("%s %s: %s", op.ID, what, diags.Error())
	}
	return nil
}

func diagErr(op *ir.Operator, what string, diags Diagnostics) error {
	if err := CompileError(op, what, diags); err != nil {
		return fmt.Errorf("stateless: %w", err)
	}
	return nil
}

// buildOperator builds op and sets the layout of its streams. A source
// returns no consumer: it has no input, Push feeds its route.
func (p *Processor) buildOperator(op *ir.Operator, c eval.Consts) (Consumer, error) {
	var in []*eval.Layout
	for _, s := range op.Inputs {
		l, ok := p.layouts[s]
		if !ok {
			return nil, fmt.Errorf("stateless: %s reads %s, which is neither in stage %s nor fed by a channel", op.ID, s, p.stage.ID)
		}
		in = append(in, l)
	}
	setOut := func(l *eval.Layout) {
		for _, s := range op.Streams() {
			p.layouts[s] = l
		}
	}
	if op.Kind == ir.KindSource {
		return nil, p.buildSource(op, c, setOut)
	}
	if !runs(op) {
		if p.build == nil {
			return nil, fmt.Errorf("stateless: %s: unsupported operator kind %q", op.ID, op.Kind)
		}
		n, l, err := p.build(p, op, in, c)
		if err != nil {
			return nil, err
		}
		setOut(l)
		return n, nil
	}
	if len(in) != 1 {
		return nil, fmt.Errorf("stateless: %s: a %s reads one input, not %d", op.ID, op.Kind, len(in))
	}
	record := []eval.Root{{Name: "record", Layout: in[0]}}
	switch op.Kind {
	case ir.KindFilter:
		prog, diags := eval.Compile(op.Filter.Where, record, c, eval.InScope(p.scope))
		if err := diagErr(op, "where", diags); err != nil {
			return nil, err
		}
		setOut(in[0])
		return &filterNode{p: p, id: op.ID, where: prog, out: p.Route(op.ID), changelog: op.Changelog}, nil
	case ir.KindMap:
		o, diags := eval.CompileObject(op.Map.Fields, record, c, eval.InScope(p.scope))
		if err := diagErr(op, "fields", diags); err != nil {
			return nil, err
		}
		setOut(o.Layout())
		return &mapNode{p: p, id: op.ID, fields: o, out: p.Route(op.ID)}, nil
	case ir.KindRoute:
		n := &routeNode{p: p, id: op.ID}
		for _, o := range op.Route.Outputs {
			ro := routeOut{out: p.Route(op.ID + "." + o.Name), def: o.Default}
			if !o.When.IsZero() {
				prog, diags := eval.Compile(*o.When, record, c, eval.InScope(p.scope))
				if err := diagErr(op, "output "+o.Name, diags); err != nil {
					return nil, err
				}
				ro.when = prog
			}
			n.outs = append(n.outs, ro)
		}
		p.rts = append(p.rts, n)
		setOut(in[0])
		return n, nil
	case ir.KindSink:
		if op.Sink == nil {
			return nil, fmt.Errorf("stateless: %s has no sink settings", op.ID)
		}
		codec, err := eval.NewCodecFor(eval.SinkCodecSpec(op.Sink))
		if err != nil {
			return nil, fmt.Errorf("stateless: %s: %w", op.ID, err)
		}
		n := &sinkNode{p: p, id: op.ID, topic: op.Sink.Topic, codec: codec, written: p.counters.emittedCounter(op.ID)}
		if op.Changelog {
			n.changelog, n.byRow = true, op.ChangelogByRow
			_, checked := codec.(eval.CheckedAppender)
			n.keyIsValue = n.byRow && codec.Format() == "json" && !checked // the value is Record.AppendJSON
			for _, k := range op.ChangelogKey {
				i, ok := in[0].Index(k)
				if !ok {
					return nil, fmt.Errorf("stateless: %s: changelog key field %q is not in its input", op.ID, k)
				}
				n.ckey, n.cnames = append(n.ckey, i), append(n.cnames, k)
			}
		}
		for _, name := range op.Sink.PartitionBy {
			i, ok := in[0].Index(name)
			if !ok {
				return nil, fmt.Errorf("stateless: %s: partition_by field %q is not in its input", op.ID, name)
			}
			n.parts = append(n.parts, sinkPart{name: name, slot: i})
		}
		if !op.Sink.Key.IsZero() {
			prog, diags := eval.Compile(*op.Sink.Key, record, c, eval.InScope(p.scope))
			if err := diagErr(op, "key", diags); err != nil {
				return nil, err
			}
			n.key = prog
		}
		return n, nil
	}
	return nil, fmt.Errorf("stateless: %s: unsupported operator kind %q", op.ID, op.Kind)
}

func (p *Processor) buildSource(op *ir.Operator, c eval.Consts, setOut func(*eval.Layout)) error {
	if op.Source == nil {
		return fmt.Errorf("stateless: %s has no source settings", op.ID)
	}
	l := eval.NewLayout(op.Schema.Type)
	codec, err := eval.NewCodecFor(eval.SourceCodecSpec(op.Source))
	if err != nil {
		return fmt.Errorf("stateless: %s: %w", op.ID, err)
	}
	s := &Stream{name: op.ID, opID: op.ID, out: p.Route(op.ID), layout: l, codec: codec, table: op.Source.Table, maxFuture: op.Source.MaxFuture(), pushed: p.counters.pushedCounter(op.ID), maxBytes: int(op.Source.RecordLimit())}
	if !op.Source.EventTime.IsZero() {
		prog, diags := eval.Compile(*op.Source.EventTime, []eval.Root{{Name: "record", Layout: l}}, c, eval.InScope(p.scope))
		if err := diagErr(op, "event_time", diags); err != nil {
			return err
		}
		s.eventTime = prog
	}
	p.inputs[op.ID] = s
	setOut(l)
	return nil
}

// Streams returns the IDs of the input streams the stage reads, sorted.
func (p *Processor) Streams() []string {
	out := make([]string, 0, len(p.inputs))
	for s := range p.inputs {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Stream returns the input stream named id, or nil.
func (p *Processor) Stream(id string) *Stream {
	if s := p.last; s != nil && s.name == id {
		return s
	}
	s := p.inputs[id]
	if s != nil {
		p.last = s
	}
	return s
}

// Stage returns the stage the processor runs.
func (p *Processor) Stage() *ir.Stage { return p.stage }

// Operators returns the stage's operators in pipeline order.
func (p *Processor) Operators() []*ir.Operator { return p.ops }

// Leaves reports whether records of stream leave the stage (on a channel
// or as a tap).
func (p *Processor) Leaves(stream string) bool {
	rt := p.routes[stream]
	return rt != nil && len(rt.exports) > 0
}

// Dropped returns, per route operator, how many records matched no output
// and had no default output.
func (p *Processor) Dropped() map[string]int64 {
	m := make(map[string]int64, len(p.rts))
	for _, n := range p.rts {
		if n.dropped > 0 {
			m[n.id] = n.dropped
		}
	}
	return m
}

// SetEmitter sets where outputs and dead letters go until the next call.
// Process sets it itself; a runtime that drives Push, or emits from its own
// operators outside Push (a window firing), sets it first.
func (p *Processor) SetEmitter(out record.Emitter) { p.out = out }

// Process pushes one input record through the stage. Records that fail to
// decode or evaluate go to out.DeadLetter; an error is the Emitter's, or
// an input on a stream the stage does not read.
func (p *Processor) Process(in record.Input, out record.Emitter) error {
	p.out = out
	s := p.Stream(in.Stream)
	if s == nil {
		return fmt.Errorf("stateless: stage %s has no input stream %q", p.stage.ID, in.Stream)
	}
	_, _, err := p.Push(s, in)
	return err
}

// Push decodes in (a record of s), works out its event time and pushes it
// through the stage. It reports the event time and whether the record got
// that far: false when it went to the dead-letter queue instead. Dead
// letters raised during the call carry in.
func (p *Processor) Push(s *Stream, in record.Input) (ts int64, ok bool, err error) {
	p.cur, p.hasCur = in, true
	defer func() { p.hasCur = false }()
	if s.pushed != nil {
		s.pushed.Add(1)
	}
	if s.maxBytes > 0 && len(in.Value) > s.maxBytes {
		// Not decoded: a huge record would cost its size again as values.
		return 0, false, p.DeadLetter(s.opID, record.ReasonTooLarge,
			fmt.Errorf("record of %d bytes is larger than the source's max_record_bytes (%d)", len(in.Value), s.maxBytes))
	}
	p.scope.Track(&s.rec)
	if err := s.codec.Decode(s.layout, s.needed, in.Value, &s.rec); err != nil {
		return 0, false, p.DeadLetter(s.opID, record.ReasonDecode, err)
	}
	ts = in.TimestampMs
	if s.eventTime != nil {
		v, err := s.eventTime.Eval(eval.Frame{&s.rec})
		if err == nil {
			ts, err = eval.EventTimeMs(v)
		}
		if err != nil {
			reason := record.ReasonEval
			if errors.Is(err, eval.ErrEventTimeRange) {
				reason = record.ReasonEventTime
			}
			return 0, false, p.DeadLetter(s.opID, reason, fmt.Errorf("event_time: %w", err))
		}
	} else if err := eval.CheckEventTime(ts); err != nil {
		return 0, false, p.DeadLetter(s.opID, record.ReasonEventTime, err)
	}
	if p.future != nil && !s.table {
		if err := p.future(s, ts); err != nil {
			return 0, false, p.DeadLetter(s.opID, record.ReasonFuture, err)
		}
	}
	return ts, true, p.Emit(s.out, Rec{R: &s.rec, TS: ts, Kind: eval.RowKind(in.Kind)})
}

// SetFutureCheck makes Push dead-letter as "future", before it goes
// anywhere, a stream record for which check returns an error: a runtime
// that keeps a watermark rejects event times too far ahead of it
// (max_future). Without one (the broker, which keeps no watermark) every
// event time passes.
func (p *Processor) SetFutureCheck(check func(s *Stream, ts int64) error) { p.future = check }

// DeadLetter reports that operator opID rejected the record being
// processed, with the input that carried it (none outside Push).
func (p *Processor) DeadLetter(opID, reason string, err error) error {
	dl := record.DeadLetter{Operator: opID, Reason: reason, Err: err.Error()}
	if p.hasCur {
		dl.Input = p.cur
	}
	return p.out.DeadLetter(dl)
}

// Emit hands a record on a route's stream to the stage outputs it feeds
// and to its consumers in the stage.
func (p *Processor) Emit(rt *Route, x Rec) error {
	if rt.emitted != nil {
		rt.emitted.Add(1)
	}
	if len(rt.exports) > 0 {
		if err := p.export(rt, x); err != nil {
			return err
		}
	}
	for _, e := range rt.consumers {
		if err := e.c.Push(e.port, x); err != nil {
			return err
		}
	}
	return nil
}

// export emits a record of a stream that leaves the stage: once per
// channel topic, keyed by that channel's key, and once per tap.
func (p *Processor) export(rt *Route, x Rec) error {
	p.buf = x.R.AppendJSON(p.buf[:0]) // ChannelFormat
	for i := range rt.exports {
		ex := &rt.exports[i]
		o := record.Output{Target: rt.stream, Topic: ex.topic, Value: p.buf, TimestampMs: x.TS, Kind: uint8(x.Kind)}
		if len(ex.key) > 0 {
			key, err := AppendChannelKey(p.kbuf[:0], ex.key, eval.Frame{x.R})
			if err != nil {
				if err := p.DeadLetter(ex.consumer, record.ReasonEval, fmt.Errorf("repartition key: %w", err)); err != nil {
					return err
				}
				continue
			}
			p.kbuf, o.Key = key, nonNil(key)
		}
		if err := p.out.Emit(o); err != nil {
			return err
		}
	}
	return nil
}

// nonNil returns b, or an empty slice for nil: an empty key is a key.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
