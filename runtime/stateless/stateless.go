package stateless

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// Input is one record arriving at the stage.
type Input struct {
	// Stream is the stream the record belongs to: a source operator ID or,
	// for a stage fed by a channel, the channel's stream ID.
	Stream string
	Key    []byte
	Value  []byte
	// TimestampMs is the record timestamp: the event time unless the
	// source has an event_time expression.
	TimestampMs int64
}

// Output is one record leaving the stage. Key and Value are only valid
// during the Emit call: the processor reuses their memory.
type Output struct {
	// Target is the sink operator ID, or the stream ID of a channel to
	// another stage or of a tapped stream.
	Target string
	// Topic is where the record goes: the sink's topic, the channel's
	// topic, or "" for a tap and for a file sink.
	Topic       string
	Key         []byte // nil: no key
	Value       []byte
	TimestampMs int64 // event time
}

// DeadLetter is an input record that failed to decode or evaluate; the
// caller knows the input and attaches it.
type DeadLetter struct {
	Operator string // the operator that rejected it
	Reason   string // ReasonDecode or ReasonEval
	Err      string
}

// Dead-letter reasons, as the native runtime names them.
const (
	ReasonDecode = "decode"
	ReasonEval   = "eval"
)

// Emitter receives a processor's outputs. An error it returns stops the
// Process call and is returned.
type Emitter interface {
	Emit(Output) error
	DeadLetter(DeadLetter) error
}

// Option configures a Processor.
type Option func(*Processor)

// WithTaps also emits every record of the given streams as an Output with
// that stream as Target and no Topic, for tests that expect records on an
// operator that is not a sink.
func WithTaps(streams ...string) Option {
	return func(p *Processor) { p.taps = append(p.taps, streams...) }
}

// Processor runs the operators of one stateless stage. It is not safe for
// concurrent use.
type Processor struct {
	plan    *ir.Plan
	stage   *ir.Stage
	taps    []string
	routes  map[string]*route
	inputs  map[string]*input
	layouts map[string]*eval.Layout
	last    *input
	buf     []byte // value scratch
	kbuf    []byte // key scratch
}

// input is how the stage reads one input stream.
type input struct {
	stream    string
	opID      string // the source operator, or the channel's consumer
	out       *route
	layout    *eval.Layout
	codec     eval.Codec
	eventTime *eval.Program
	rec       eval.Record // reused
}

// rec is a record flowing between operators with its event time.
type rec struct {
	r  *eval.Record
	ts int64
}

// node is one operator in the stage.
type node interface {
	push(p *Processor, out Emitter, x rec) error
}

// route is where the records of one stream go: the operators in the stage
// that read it, and the stage outputs it feeds (channels, taps).
type route struct {
	stream    string
	consumers []node
	exports   []export
}

// export is a stream leaving the stage: one channel topic (with the
// channel's key, if the consumer needs its records partitioned), or a tap.
type export struct {
	topic    string
	consumer string // the channel's consumer, named in dead letters
	key      []*eval.Program
}

// ChannelFormat is the record format of channel topics between stages.
const ChannelFormat = "json"

// New builds the processor for stage stageID of plan. Every operator of the
// stage must be a source, filter, map, route or sink.
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
		routes:  map[string]*route{},
		inputs:  map[string]*input{},
		layouts: map[string]*eval.Layout{},
	}
	for _, o := range opts {
		o(p)
	}
	if err := p.build(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Processor) route(stream string) *route {
	rt := p.routes[stream]
	if rt == nil {
		rt = &route{stream: stream}
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
		if err := checkOperator(op); err != nil {
			return err
		}
	}
	return nil
}

func checkOperator(op *ir.Operator) error {
	switch op.Kind {
	case ir.KindFilter, ir.KindMap, ir.KindRoute, ir.KindSink:
		return nil
	case ir.KindSource:
		if op.Source != nil && op.Source.Table {
			return fmt.Errorf("%s is a table source, which keeps state", op.ID)
		}
		return nil
	}
	return fmt.Errorf("%s keeps state across records", op.ID)
}

func (p *Processor) build() error {
	pl := p.plan.Pipeline
	consts := eval.ConstsOf(pl)
	inStage := InStage(p.stage)
	if err := Check(pl, p.stage); err != nil {
		return fmt.Errorf("stateless: %w", err)
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
		p.inputs[ch.Stream] = &input{stream: ch.Stream, opID: ch.To, out: p.route(ch.Stream), layout: l, codec: codec}
		p.layouts[ch.Stream] = l
	}
	for _, op := range pl.Operators {
		if !inStage[op.ID] {
			continue
		}
		n, err := p.buildNode(op, consts)
		if err != nil {
			return err
		}
		if n == nil {
			continue // a source: Process feeds its route
		}
		for _, in := range op.Inputs {
			rt := p.route(in)
			rt.consumers = append(rt.consumers, n)
		}
	}
	return p.buildExports(inStage, consts)
}

// buildExports compiles the channels leaving the stage and the taps.
func (p *Processor) buildExports(inStage map[string]bool, c eval.Consts) error {
	for _, ch := range p.plan.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if !inStage[prod] || inStage[ch.To] {
			continue
		}
		rt := p.route(ch.From)
		if slices.ContainsFunc(rt.exports, func(x export) bool { return x.topic == ch.Topic }) {
			continue
		}
		l, ok := p.layouts[ch.From]
		if !ok {
			return fmt.Errorf("stateless: channel %s → %s: stream %s has no layout in stage %s", ch.From, ch.To, ch.From, p.stage.ID)
		}
		x := export{topic: ch.Topic, consumer: ch.To}
		for _, k := range ch.Key {
			prog, diags := eval.Compile(k, []eval.Root{{Name: "record", Layout: l}}, c)
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
		p.route(t).exports = append(p.route(t).exports, export{})
	}
	return nil
}

func diagErr(op *ir.Operator, what string, diags interface {
	HasErrors() bool
	Error() string
}) error {
	if diags != nil && diags.HasErrors() {
		return fmt.Errorf("stateless: %s %s: %s", op.ID, what, diags.Error())
	}
	return nil
}

func (p *Processor) buildNode(op *ir.Operator, c eval.Consts) (node, error) {
	var in []*eval.Layout
	for _, s := range op.Inputs {
		l, ok := p.layouts[s]
		if !ok {
			return nil, fmt.Errorf("stateless: %s reads %s, which is neither in stage %s nor fed by a channel", op.ID, s, p.stage.ID)
		}
		in = append(in, l)
	}
	record := func() []eval.Root { return []eval.Root{{Name: "record", Layout: in[0]}} }
	setOut := func(l *eval.Layout) {
		for _, s := range op.Streams() {
			p.layouts[s] = l
		}
	}
	switch op.Kind {
	case ir.KindSource:
		if op.Source == nil {
			return nil, fmt.Errorf("stateless: %s has no source settings", op.ID)
		}
		l := eval.NewLayout(op.Schema.Type)
		codec, err := eval.NewCodec(op.Source.Format)
		if err != nil {
			return nil, fmt.Errorf("stateless: %s: %w", op.ID, err)
		}
		s := &input{stream: op.ID, opID: op.ID, out: p.route(op.ID), layout: l, codec: codec}
		if !op.Source.EventTime.IsZero() {
			prog, diags := eval.Compile(*op.Source.EventTime, []eval.Root{{Name: "record", Layout: l}}, c)
			if err := diagErr(op, "event_time", diags); err != nil {
				return nil, err
			}
			s.eventTime = prog
		}
		p.inputs[op.ID] = s
		setOut(l)
		return nil, nil
	case ir.KindFilter:
		prog, diags := eval.Compile(op.Filter.Where, record(), c)
		if err := diagErr(op, "where", diags); err != nil {
			return nil, err
		}
		setOut(in[0])
		return &filterNode{id: op.ID, where: prog, out: p.route(op.ID)}, nil
	case ir.KindMap:
		o, diags := eval.CompileObject(op.Map.Fields, record(), c)
		if err := diagErr(op, "fields", diags); err != nil {
			return nil, err
		}
		setOut(o.Layout())
		return &mapNode{id: op.ID, fields: o, out: p.route(op.ID)}, nil
	case ir.KindRoute:
		n := &routeNode{id: op.ID}
		for _, o := range op.Route.Outputs {
			ro := routeOut{out: p.route(op.ID + "." + o.Name), def: o.Default}
			if !o.When.IsZero() {
				prog, diags := eval.Compile(*o.When, record(), c)
				if err := diagErr(op, "output "+o.Name, diags); err != nil {
					return nil, err
				}
				ro.when = prog
			}
			n.outs = append(n.outs, ro)
		}
		setOut(in[0])
		return n, nil
	case ir.KindSink:
		codec, err := eval.NewCodec(op.Sink.Format)
		if err != nil {
			return nil, fmt.Errorf("stateless: %s: %w", op.ID, err)
		}
		n := &sinkNode{id: op.ID, topic: op.Sink.Topic, codec: codec}
		if !op.Sink.Key.IsZero() {
			prog, diags := eval.Compile(*op.Sink.Key, record(), c)
			if err := diagErr(op, "key", diags); err != nil {
				return nil, err
			}
			n.key = prog
		}
		return n, nil
	}
	return nil, fmt.Errorf("stateless: %s: unsupported operator kind %q", op.ID, op.Kind)
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

// Process pushes one input record through the stage. Records that fail to
// decode or evaluate go to out.DeadLetter; an error is the Emitter's, or
// an input on a stream the stage does not read.
func (p *Processor) Process(in Input, out Emitter) error {
	s := p.last
	if s == nil || s.stream != in.Stream {
		s = p.inputs[in.Stream]
		if s == nil {
			return fmt.Errorf("stateless: stage %s has no input stream %q", p.stage.ID, in.Stream)
		}
		p.last = s
	}
	if err := s.codec.Decode(s.layout, nil, in.Value, &s.rec); err != nil {
		return deadLetter(out, s.opID, ReasonDecode, err)
	}
	ts := in.TimestampMs
	if s.eventTime != nil {
		v, err := s.eventTime.Eval(eval.Frame{&s.rec})
		if err == nil {
			ts, err = eval.EventTimeMs(v)
		}
		if err != nil {
			return deadLetter(out, s.opID, ReasonEval, fmt.Errorf("event_time: %w", err))
		}
	}
	return p.emit(out, s.out, rec{r: &s.rec, ts: ts})
}

func deadLetter(out Emitter, opID, reason string, err error) error {
	return out.DeadLetter(DeadLetter{Operator: opID, Reason: reason, Err: err.Error()})
}

// emit hands a record on a stream to the stage outputs it feeds and to its
// consumers in the stage.
func (p *Processor) emit(out Emitter, rt *route, x rec) error {
	if len(rt.exports) > 0 {
		if err := p.export(out, rt, x); err != nil {
			return err
		}
	}
	for _, n := range rt.consumers {
		if err := n.push(p, out, x); err != nil {
			return err
		}
	}
	return nil
}

func (p *Processor) export(out Emitter, rt *route, x rec) error {
	p.buf = x.r.AppendJSON(p.buf[:0]) // ChannelFormat
	for i := range rt.exports {
		ex := &rt.exports[i]
		o := Output{Target: rt.stream, Topic: ex.topic, Value: p.buf, TimestampMs: x.ts}
		if len(ex.key) > 0 {
			key, err := AppendChannelKey(p.kbuf[:0], ex.key, eval.Frame{x.r})
			if err != nil {
				if err := deadLetter(out, ex.consumer, ReasonEval, fmt.Errorf("repartition key: %w", err)); err != nil {
					return err
				}
				continue
			}
			p.kbuf, o.Key = key, key
		}
		if err := out.Emit(o); err != nil {
			return err
		}
	}
	return nil
}
