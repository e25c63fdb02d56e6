package beam

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// channelFormat is the format of records on channels between stages.
const channelFormat = "json"

// encodePlan serializes the part of the plan the DoFns need: the pipeline's
// operators, variables and locals, the stages and the channels. Broker
// credentials, backend settings and tests stay out of the payload that is
// shipped to the runner with every DoFn.
func encodePlan(p *ir.Plan) ([]byte, error) {
	if p == nil || p.Pipeline == nil {
		return nil, fmt.Errorf("beam: plan has no pipeline")
	}
	pl := *p.Pipeline
	pl.Broker, pl.Backends, pl.Tests = nil, nil, nil
	c := ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: &pl, Stages: p.Stages, Channels: p.Channels}
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("beam: encode plan: %w", err)
	}
	return b, nil
}

// stage is a stage compiled for evaluation: every operator's programs and
// the layout of every stream. Programs and layouts are immutable, so one
// stage is shared by every DoFn instance of a process.
type stage struct {
	plan    *ir.Plan
	id      string
	in      map[string]bool // operator IDs in the stage
	consts  eval.Consts
	layouts map[string]*eval.Layout // by stream ID
	inputs  map[string]*inputSpec   // by stream ID
	order   []string                // input stream IDs in Inputs order
	ops     []*compiledOp           // stage operators in topological order
	byID    map[string]*compiledOp
}

// inputSpec is how the stage decodes one input stream.
type inputSpec struct {
	Input
	opID      string // the source, or the channel's consumer
	layout    *eval.Layout
	codec     eval.CodecSpec // a source's format and pinned schemas, as runtime/stateless decodes it
	eventTime *eval.Program
}

// compiledOp is one keyed operator's compiled programs, or, for a
// stateless operator, just its layouts (runtime/stateless runs those).
type compiledOp struct {
	op  *ir.Operator
	in  []*eval.Layout
	out *eval.Layout
	key *eval.Program // dedupe key

	// joins
	table               bool
	tableKey            *eval.Program // the table source's key: rows are indexed by it (tableindex.go)
	leftKeys, rightKeys []*eval.Program
	on                  *eval.Program
	fields              *eval.ObjectProgram
	nullL, nullR        *eval.Record

	agg *eval.Aggregator

	ranker *eval.Ranker // top
}

// isStateless reports whether runtime/stateless runs the operator, as
// ir.Properties says (sources, tables included, are read before it).
func isStateless(op *ir.Operator) bool { return op.Properties().PerRecord() }

var stages sync.Map // string(payload)+"\x00"+stageID → *stage

// compileStage decodes a plan payload and compiles stage stageID,
// memoized per process: every DoFn instance of a stage shares one.
func compileStage(payload []byte, stageID string) (*stage, error) {
	ck := string(payload) + "\x00" + stageID
	if st, ok := stages.Load(ck); ok {
		return st.(*stage), nil
	}
	var p ir.Plan
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("beam: decode plan: %w", err)
	}
	st, err := newStage(&p, stageID)
	if err != nil {
		return nil, err
	}
	got, _ := stages.LoadOrStore(ck, st)
	return got.(*stage), nil
}

func newStage(p *ir.Plan, stageID string) (*stage, error) {
	sg := p.Stage(stageID)
	if sg == nil {
		return nil, fmt.Errorf("beam: plan has no stage %q", stageID)
	}
	pl := p.Pipeline
	st := &stage{
		plan: p, id: stageID, in: map[string]bool{}, consts: eval.ConstsOf(pl),
		layouts: map[string]*eval.Layout{}, inputs: map[string]*inputSpec{}, byID: map[string]*compiledOp{},
	}
	for _, id := range sg.Operators {
		st.in[id] = true
	}
	for _, op := range pl.Operators {
		if st.in[op.ID] && op.Kind == ir.KindSource {
			if err := st.addSource(op); err != nil {
				return nil, err
			}
		}
	}
	for _, ch := range p.Channels {
		if !st.in[ch.To] || st.inputs[ch.Stream] != nil {
			continue
		}
		prodID, _ := ir.StreamOperator(ch.Stream)
		prod := pl.Operator(prodID)
		if prod == nil {
			return nil, fmt.Errorf("beam: channel %s: no operator %s", ch.Stream, prodID)
		}
		l := eval.NewLayout(prod.Schema.Type)
		table := prod.Source != nil && prod.Source.Table
		st.inputs[ch.Stream] = &inputSpec{
			Input:  Input{Stream: ch.Stream, Channel: ch, Topic: ch.Topic, Table: table},
			opID:   ch.To,
			layout: l,
			codec:  eval.CodecSpec{Format: channelFormat},
		}
		st.order = append(st.order, ch.Stream)
		st.layouts[ch.Stream] = l
	}
	for _, op := range pl.Operators {
		if !st.in[op.ID] {
			continue
		}
		c, err := st.compile(op)
		if err != nil {
			return nil, err
		}
		st.ops = append(st.ops, c)
		st.byID[op.ID] = c
		for _, s := range op.Streams() {
			st.layouts[s] = c.out
		}
	}
	if len(st.ops) != len(sg.Operators) {
		return nil, fmt.Errorf("beam: stage %s names operators missing from the pipeline", stageID)
	}
	return st, nil
}

// Inputs returns the stage's inputs: sources, then channel streams.
func (st *stage) Inputs() []Input {
	out := make([]Input, 0, len(st.order))
	for _, s := range st.order {
		out = append(out, st.inputs[s].Input)
	}
	return out
}

func (st *stage) addSource(op *ir.Operator) error {
	src := op.Source
	if src == nil {
		return fmt.Errorf("beam: %s has no source settings", op.ID)
	}
	l := eval.NewLayout(op.Schema.Type)
	spec := eval.SourceCodecSpec(src)
	if _, err := eval.NewCodecFor(spec); err != nil {
		return fmt.Errorf("beam: %s: %w", op.ID, err)
	}
	in := &inputSpec{
		Input:  Input{Stream: op.ID, Source: op, Topic: src.Topic, File: src.File, Table: src.Table},
		opID:   op.ID,
		layout: l,
		codec:  spec,
	}
	if !src.EventTime.IsZero() {
		p, diags := eval.Compile(*src.EventTime, []eval.Root{{Name: "record", Layout: l}}, st.consts)
		if err := diagErr(op, "event_time", diags); err != nil {
			return err
		}
		in.eventTime = p
	}
	st.inputs[op.ID] = in
	st.order = append(st.order, op.ID)
	st.layouts[op.ID] = l
	return nil
}

func diagErr(op *ir.Operator, what string, diags stateless.Diagnostics) error {
	if err := stateless.CompileError(op, what, diags); err != nil {
		return fmt.Errorf("beam: %w", err)
	}
	return nil
}

// compile compiles one operator over the layouts of its inputs.
func (st *stage) compile(op *ir.Operator) (*compiledOp, error) {
	c := &compiledOp{op: op}
	for _, s := range op.Inputs {
		l, ok := st.layouts[s]
		if !ok {
			return nil, fmt.Errorf("beam: %s reads %s, which is neither in stage %s nor fed by a channel", op.ID, s, st.id)
		}
		c.in = append(c.in, l)
	}
	record := func() []eval.Root { return []eval.Root{{Name: "record", Layout: c.in[0]}} }
	switch op.Kind {
	case ir.KindSource:
		c.out = st.layouts[op.ID]
	case ir.KindFilter, ir.KindRoute:
		c.out = c.in[0]
	case ir.KindMap:
		// Only for the layout of its output: runtime/stateless runs it.
		o, diags := eval.CompileObject(op.Map.Fields, record(), st.consts)
		if err := diagErr(op, "fields", diags); err != nil {
			return nil, err
		}
		c.out = o.Layout()
	case ir.KindDedupe:
		p, diags := eval.Compile(op.Dedupe.Key, record(), st.consts)
		if err := diagErr(op, "key", diags); err != nil {
			return nil, err
		}
		c.key, c.out = p, c.in[0]
	case ir.KindJoin:
		if err := st.compileJoin(c); err != nil {
			return nil, err
		}
	case ir.KindTop:
		rk, diags := eval.NewRanker(op.Top, c.in[0], st.consts)
		if err := diagErr(op, "top", diags); err != nil {
			return nil, err
		}
		c.ranker, c.out = rk, c.in[0]
	case ir.KindAggregate:
		agg, diags := eval.NewAggregator(op.Aggregate, c.in[0], st.consts)
		if err := diagErr(op, "fields", diags); err != nil {
			return nil, err
		}
		c.agg, c.out = agg, agg.OutputLayout()
	case ir.KindSink:
	default:
		return nil, fmt.Errorf("beam: %s: unsupported operator kind %q", op.ID, op.Kind)
	}
	return c, nil
}

func (st *stage) compileJoin(c *compiledOp) error {
	op, j := c.op, c.op.Join
	if j == nil || len(c.in) != 2 {
		return fmt.Errorf("beam: %s: a join needs join settings and two inputs", op.ID)
	}
	if len(j.LeftKeys) != len(j.RightKeys) {
		return fmt.Errorf("beam: %s: %d left keys but %d right keys", op.ID, len(j.LeftKeys), len(j.RightKeys))
	}
	roots := []eval.Root{{Name: "left", Layout: c.in[0]}, {Name: "right", Layout: c.in[1]}}
	if right := st.plan.Pipeline.Operator(op.Inputs[1]); right != nil && right.Source != nil && right.Source.Table {
		c.table = true
		if right.Source.Key != nil {
			p, diags := eval.Compile(*right.Source.Key, []eval.Root{{Name: "record", Layout: c.in[1]}}, st.consts)
			if err := diagErr(op, "table key", diags); err != nil {
				return err
			}
			c.tableKey = p
		}
	}
	for i := range j.LeftKeys {
		p, diags := eval.Compile(j.LeftKeys[i], roots, st.consts)
		if err := diagErr(op, "left key", diags); err != nil {
			return err
		}
		c.leftKeys = append(c.leftKeys, p)
		p, diags = eval.Compile(j.RightKeys[i], roots, st.consts)
		if err := diagErr(op, "right key", diags); err != nil {
			return err
		}
		c.rightKeys = append(c.rightKeys, p)
	}
	if !(&j.On).IsZero() {
		p, diags := eval.Compile(j.On, roots, st.consts)
		if err := diagErr(op, "on", diags); err != nil {
			return err
		}
		c.on = p
	}
	o, diags := eval.CompileObject(j.Fields, roots, st.consts)
	if err := diagErr(op, "fields", diags); err != nil {
		return err
	}
	c.fields, c.out = o, o.Layout()
	c.nullL, c.nullR = eval.NewRecord(c.in[0]), eval.NewRecord(c.in[1])
	return nil
}

// eventTimeOf decodes rec and returns its event time: the source's
// event_time, else the record timestamp. A failure names its dead-letter
// reason. Sequence and the Kafka IO's watermark stamping use it; inside
// the pipeline runtime/stateless decodes sources the same way.
func (in *inputSpec) eventTimeOf(codec eval.Codec, rec Record) (int64, *eval.Record, string, error) {
	var r eval.Record
	if err := codec.Decode(in.layout, nil, rec.Value, &r); err != nil {
		return 0, nil, ReasonDecode, err
	}
	ts := rec.TimestampMs
	if in.eventTime != nil {
		v, err := in.eventTime.Eval(eval.Frame{&r})
		if err == nil {
			ts, err = eval.EventTimeMs(v)
		}
		if err != nil {
			reason := ReasonEval
			if errors.Is(err, eval.ErrEventTimeRange) {
				reason = ReasonEventTime
			}
			return 0, nil, reason, fmt.Errorf("event_time: %w", err)
		}
	} else if err := eval.CheckEventTime(ts); err != nil {
		return 0, nil, ReasonEventTime, err
	}
	return ts, &r, "", nil
}
