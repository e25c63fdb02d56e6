package native

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/cockroachdb/pebble/vfs"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/runtime/internal/fsutil"
)

// Engine runs the operators of one native stage for one partition group.
// It is not safe for concurrent use: run one Engine per goroutine.
type Engine struct {
	plan  *ir.Plan
	stage *ir.Stage
	cfg   config

	nodes   []node            // topological order
	routes  map[string]*route // by stream ID
	inputs  map[string]*inputStream
	layouts map[string]*eval.Layout
	last    *inputStream // the previous input's stream, to skip a map lookup

	parts   []*partState
	wm      int64 // stage watermark: min over active partitions of their max event time
	now     int64 // last Advance wall clock
	nowSet  bool
	dropped map[string]int64

	out    Emitter
	cur    Input // the input being processed, for dead letters
	hasCur bool

	fs    vfs.FS
	dbDir string
	st    *store

	buf  []byte // scratch
	slab []byte // memory that Output bytes are carved from (see keep)
}

// slabSize is the size of the blocks that keep carves outputs from.
const slabSize = 32 << 10

// keep returns a copy of b that the receiver of an Output may keep. Copies
// are carved from shared blocks, capacity-limited so that appending to one
// cannot overwrite the next, which makes one allocation per block instead
// of one per output.
func (e *Engine) keep(b []byte) []byte {
	if len(b) == 0 {
		return []byte{} // not nil: an empty key is not a null key
	}
	if len(b) > slabSize/8 {
		return append([]byte(nil), b...)
	}
	if cap(e.slab)-len(e.slab) < len(b) {
		e.slab = make([]byte, 0, slabSize)
	}
	i := len(e.slab)
	e.slab = append(e.slab, b...)
	return e.slab[i:len(e.slab):len(e.slab)]
}

// rec is a record flowing between operators with its event time.
type rec struct {
	r  *eval.Record
	ts int64
}

// node is one operator in the stage.
type node interface {
	operator() *ir.Operator
	// push delivers a record on input port (0, or 1 for a join's right side).
	// Evaluation failures go to the dead-letter queue; an error is fatal.
	push(e *Engine, port int, x rec) error
	// advance tells the operator the stage watermark moved to wm.
	advance(e *Engine, wm int64) error
	// drain fires everything that waits for time.
	drain(e *Engine) error
	// save writes in-memory state to the store before a checkpoint.
	save(e *Engine) error
	// load replaces in-memory state from the store after a restore.
	load(e *Engine) error
}

type edge struct {
	n    node
	port int
}

// route is where the records of one stream go: operators in the stage, and
// the stage's outputs when the stream leaves the stage or is tapped.
// Operators hold their output routes, so emitting costs no lookups.
type route struct {
	stream    string
	export    bool
	consumers []edge
	channels  []channelOut // keyed channels leaving the stage (channelkeys.go)
}

// route returns the route of stream, creating it.
func (e *Engine) route(stream string) *route {
	rt := e.routes[stream]
	if rt == nil {
		rt = &route{stream: stream}
		e.routes[stream] = rt
	}
	return rt
}

// inputStream is how the stage reads one input stream.
type inputStream struct {
	stream    string
	out       *route
	opID      string // source operator, or the channel's consumer
	layout    *eval.Layout
	eventTime *eval.Program
	// eventTimeExpr is eventTime's source, for pruneInputs.
	eventTimeExpr *ir.Expr
	table         bool
	// needed is the decode mask: the attributes the stage reads (nil: all).
	needed []bool
	codec  eval.Codec  // the source's format; channels carry JSON
	rec    eval.Record // reused: operators that keep a record copy it
}

// decode decodes one input value into the stream's reused record.
func (s *inputStream) decode(b []byte) (*eval.Record, error) {
	if err := s.codec.Decode(s.layout, s.needed, b, &s.rec); err != nil {
		return nil, err
	}
	return &s.rec, nil
}

// partState is the event-time progress of one input partition.
type partState struct {
	Stream    string `json:"stream"`
	Partition int32  `json:"partition"`
	MaxTs     int64  `json:"max_ts"`
	Seen      bool   `json:"seen"`
	Table     bool   `json:"table,omitempty"`
	// NextOffset is the offset after the last record processed from the
	// partition (0 before any).
	NextOffset int64 `json:"next_offset"`
	lastWall   int64
	wallSet    bool
	idle       bool
}

func (e *Engine) build() error {
	pl := e.plan.Pipeline
	consts := eval.ConstsOf(pl)
	inStage := map[string]bool{}
	for _, id := range e.stage.Operators {
		inStage[id] = true
	}
	e.routes = map[string]*route{}
	e.inputs = map[string]*inputStream{}
	e.layouts = map[string]*eval.Layout{}
	e.dropped = map[string]int64{}

	// Streams fed by channels from other stages: decode with the producing
	// operator's schema.
	for _, ch := range e.plan.Channels {
		if inStage[ch.To] {
			if _, ok := e.inputs[ch.Stream]; ok {
				continue
			}
			prodID, _ := ir.StreamOperator(ch.Stream)
			prod := pl.Operator(prodID)
			if prod == nil {
				return fmt.Errorf("native: channel %s: no operator %s", ch.Stream, prodID)
			}
			l := eval.NewLayout(prod.Schema.Type)
			table := prod.Source != nil && prod.Source.Table
			codec, err := eval.NewCodec(channelFormat)
			if err != nil {
				return err
			}
			e.inputs[ch.Stream] = &inputStream{stream: ch.Stream, out: e.route(ch.Stream), opID: ch.To, layout: l, table: table, codec: codec}
			e.layouts[ch.Stream] = l
		}
		prodID, _ := ir.StreamOperator(ch.From)
		if inStage[prodID] {
			e.route(ch.Stream).export = true
		}
	}
	for _, t := range e.cfg.taps {
		e.route(t).export = true
	}

	for _, op := range pl.Operators {
		if !inStage[op.ID] {
			continue
		}
		n, err := e.buildNode(op, consts)
		if err != nil {
			return err
		}
		e.nodes = append(e.nodes, n)
		for port, in := range op.Inputs {
			rt := e.route(in)
			rt.consumers = append(rt.consumers, edge{n: n, port: port})
		}
	}
	if len(e.nodes) != len(e.stage.Operators) {
		return fmt.Errorf("native: stage %s names operators missing from the pipeline", e.stage.ID)
	}
	if err := e.buildChannelKeys(consts); err != nil {
		return err
	}
	e.pruneInputs()
	return nil
}

func diagErr(op *ir.Operator, what string, diags interface {
	HasErrors() bool
	Error() string
}) error {
	if diags != nil && diags.HasErrors() {
		return fmt.Errorf("native: %s %s: %s", op.ID, what, diags.Error())
	}
	return nil
}

// layoutOf returns the layout of the records on stream, which an operator
// earlier in the stage produced or a channel feeds.
func (e *Engine) layoutOf(op *ir.Operator, stream string) (*eval.Layout, error) {
	if l, ok := e.layouts[stream]; ok {
		return l, nil
	}
	prodID, _ := ir.StreamOperator(stream)
	prod := e.plan.Pipeline.Operator(prodID)
	if prod == nil {
		return nil, fmt.Errorf("native: %s reads unknown stream %s", op.ID, stream)
	}
	return nil, fmt.Errorf("native: %s reads %s, which is neither in stage %s nor fed by a channel", op.ID, stream, e.stage.ID)
}

func (e *Engine) buildNode(op *ir.Operator, c eval.Consts) (node, error) {
	var in []*eval.Layout
	for _, s := range op.Inputs {
		l, err := e.layoutOf(op, s)
		if err != nil {
			return nil, err
		}
		in = append(in, l)
	}
	record := func() []eval.Root { return []eval.Root{{Name: "record", Layout: in[0]}} }
	setOut := func(l *eval.Layout) {
		for _, s := range op.Streams() {
			e.layouts[s] = l
		}
	}
	switch op.Kind {
	case ir.KindSource:
		if op.Source == nil {
			return nil, fmt.Errorf("native: %s has no source settings", op.ID)
		}
		l := eval.NewLayout(op.Schema.Type)
		codec, err := eval.NewCodec(op.Source.Format)
		if err != nil {
			return nil, fmt.Errorf("native: %s: %w", op.ID, err)
		}
		s := &inputStream{stream: op.ID, out: e.route(op.ID), opID: op.ID, layout: l, table: op.Source.Table, codec: codec}
		if !op.Source.EventTime.IsZero() {
			p, diags := eval.Compile(*op.Source.EventTime, []eval.Root{{Name: "record", Layout: l}}, c)
			if err := diagErr(op, "event_time", diags); err != nil {
				return nil, err
			}
			s.eventTime, s.eventTimeExpr = p, op.Source.EventTime
		}
		e.inputs[op.ID] = s
		setOut(l)
		return &sourceNode{op: op}, nil
	case ir.KindFilter:
		p, diags := eval.Compile(op.Filter.Where, record(), c)
		if err := diagErr(op, "where", diags); err != nil {
			return nil, err
		}
		setOut(in[0])
		return &filterNode{op: op, where: p, out: e.route(op.ID)}, nil
	case ir.KindMap:
		o, diags := eval.CompileObject(op.Map.Fields, record(), c)
		if err := diagErr(op, "fields", diags); err != nil {
			return nil, err
		}
		setOut(o.Layout())
		return &mapNode{op: op, fields: o, out: e.route(op.ID)}, nil
	case ir.KindRoute:
		n := &routeNode{op: op}
		for _, o := range op.Route.Outputs {
			ro := routeOut{out: e.route(op.ID + "." + o.Name), def: o.Default}
			if !o.When.IsZero() {
				p, diags := eval.Compile(*o.When, record(), c)
				if err := diagErr(op, "output "+o.Name, diags); err != nil {
					return nil, err
				}
				ro.when = p
			}
			n.outs = append(n.outs, ro)
		}
		setOut(in[0])
		return n, nil
	case ir.KindDedupe:
		p, diags := eval.Compile(op.Dedupe.Key, record(), c)
		if err := diagErr(op, "key", diags); err != nil {
			return nil, err
		}
		setOut(in[0])
		return &dedupeNode{op: op, key: p, out: e.route(op.ID), within: op.Dedupe.WithinMs, prefix: opPrefix(op.ID), nextSweep: math.MinInt64}, nil
	case ir.KindJoin:
		if len(in) != 2 {
			return nil, fmt.Errorf("native: %s: a join needs two inputs", op.ID)
		}
		n, err := newJoin(e, op, in[0], in[1], c)
		if err != nil {
			return nil, err
		}
		setOut(n.outLayout())
		return n, nil
	case ir.KindAggregate:
		n, err := newAggregate(op, in[0], c, e.cfg.cacheLimit)
		if err != nil {
			return nil, err
		}
		n.emit = e.route(op.ID)
		setOut(n.outLayout())
		return n, nil
	case ir.KindSink:
		codec, err := eval.NewCodec(op.Sink.Format)
		if err != nil {
			return nil, fmt.Errorf("native: %s: %w", op.ID, err)
		}
		n := &sinkNode{op: op, codec: codec}
		if op.Sink != nil && !op.Sink.Key.IsZero() {
			p, diags := eval.Compile(*op.Sink.Key, record(), c)
			if err := diagErr(op, "key", diags); err != nil {
				return nil, err
			}
			n.key = p
		}
		return n, nil
	}
	return nil, fmt.Errorf("native: %s: unsupported operator kind %q", op.ID, op.Kind)
}

// opPrefix is the state key prefix of an operator.
func opPrefix(id string) []byte { return append([]byte(id), 0) }

func (e *Engine) partition(stream string, p int32) *partState {
	for _, ps := range e.parts {
		if ps.Partition == p && ps.Stream == stream {
			return ps
		}
	}
	ps := &partState{Stream: stream, Partition: p, MaxTs: math.MinInt64}
	if s := e.inputs[stream]; s != nil {
		ps.Table = s.table
	}
	e.parts = append(e.parts, ps)
	return ps
}

func (e *Engine) process(in Input) error {
	if e.st == nil {
		return errors.New("native: engine is closed")
	}
	s := e.last
	if s == nil || s.stream != in.Stream {
		s = e.inputs[in.Stream]
		e.last = s
	}
	if s == nil {
		return fmt.Errorf("native: stage %s has no input stream %q", e.stage.ID, in.Stream)
	}
	e.cur, e.hasCur = in, true
	defer func() { e.hasCur = false }()

	ps := e.partition(in.Stream, in.Partition)
	ps.idle = false
	ps.lastWall, ps.wallSet = e.now, e.nowSet
	ps.NextOffset = in.Offset + 1

	r, err := s.decode(in.Value)
	if err != nil {
		return e.deadLetter(s.opID, ReasonDecode, err)
	}
	ts := in.TimestampMs
	if s.eventTime != nil {
		v, err := s.eventTime.Eval(eval.Frame{r})
		if err == nil {
			ts, err = eval.EventTimeMs(v)
		}
		if err != nil {
			return e.deadLetter(s.opID, ReasonEval, fmt.Errorf("event_time: %w", err))
		}
	}
	if err := e.emit(s.out, rec{r: r, ts: ts}); err != nil {
		return err
	}
	if !ps.Table && (!ps.Seen || ts > ps.MaxTs) {
		ps.MaxTs, ps.Seen = ts, true
		if err := e.updateWatermark(); err != nil {
			return err
		}
	}
	return e.st.maybeFlush()
}

// emit hands a record on stream to its consumers in the stage, and to the
// stage's outputs when the stream leaves the stage or is tapped.
func (e *Engine) emit(rt *route, x rec) error {
	if rt.export {
		if err := e.export(rt, x); err != nil {
			return err
		}
	}
	for _, ed := range rt.consumers {
		if err := ed.n.push(e, ed.port, x); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) deadLetter(opID, reason string, err error) error {
	dl := DeadLetter{Operator: opID, Reason: reason, Err: err.Error()}
	if e.hasCur {
		dl.Input = e.cur
	}
	return e.out.DeadLetter(dl)
}

func (e *Engine) updateWatermark() error {
	wm, any := int64(math.MaxInt64), false
	for _, ps := range e.parts {
		if ps.Table || ps.idle {
			continue
		}
		any = true
		if ps.MaxTs < wm {
			wm = ps.MaxTs
		}
	}
	if !any || wm <= e.wm {
		return nil
	}
	e.wm = wm
	for _, n := range e.nodes {
		if err := n.advance(e, wm); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) advanceWall(wallMs int64) error {
	e.now, e.nowSet = wallMs, true
	for _, ps := range e.parts {
		if !ps.wallSet {
			ps.lastWall, ps.wallSet = wallMs, true
			continue
		}
		if wallMs-ps.lastWall >= e.cfg.idleMs {
			ps.idle = true
		}
	}
	if err := e.updateWatermark(); err != nil {
		return err
	}
	return e.st.maybeFlush()
}

func (e *Engine) drain() error {
	for _, n := range e.nodes {
		if err := n.drain(e); err != nil {
			return err
		}
	}
	return nil
}

// meta is the engine state kept next to the Pebble checkpoint.
type meta struct {
	Version    int          `json:"version"`
	Stage      string       `json:"stage"`
	Watermark  int64        `json:"watermark"`
	Partitions []*partState `json:"partitions"`
}

const metaFile = "native-engine.json"

func (e *Engine) checkpoint(dir string) error {
	if e.st == nil {
		return errors.New("native: engine is closed")
	}
	for _, n := range e.nodes {
		if err := n.save(e); err != nil {
			return fmt.Errorf("native: checkpoint %s: %w", n.operator().ID, err)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("native: checkpoint dir %s already exists", dir)
	}
	if e.fs == vfs.Default {
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			return fmt.Errorf("native: checkpoint: %w", err)
		}
		if err := e.st.checkpoint(dir); err != nil {
			return fmt.Errorf("native: %w", err)
		}
	} else {
		// In-memory state: checkpoint inside the memory FS, then copy out.
		tmp := "checkpoint"
		if err := e.st.checkpoint(tmp); err != nil {
			return fmt.Errorf("native: %w", err)
		}
		err := copyTree(e.fs, tmp, vfs.Default, dir)
		if rerr := e.fs.RemoveAll(tmp); err == nil && rerr != nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("native: checkpoint: %w", err)
		}
	}
	b, err := json.Marshal(meta{Version: 1, Stage: e.stage.ID, Watermark: e.wm, Partitions: e.parts})
	if err != nil {
		return fmt.Errorf("native: checkpoint: %w", err)
	}
	if err := fsutil.WriteFileSync(filepath.Join(dir, metaFile), b); err != nil {
		return fmt.Errorf("native: checkpoint: %w", err)
	}
	return nil
}

func readMeta(dir string) (*meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, err
	}
	var m meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", metaFile, err)
	}
	return &m, nil
}

// Offsets returns, per input stream and partition, the offset after the
// last record processed: the consumer position a snapshot taken now
// corresponds to. After Restore it is the snapshot's.
func (e *Engine) Offsets() map[string]map[int32]int64 {
	return offsetsOf(e.parts)
}

// CheckpointOffsets reads the offsets a snapshot written by Checkpoint
// corresponds to (see Offsets), without opening it, so that the I/O layer
// can pick the snapshot that matches a consumer group's committed offsets.
func CheckpointOffsets(dir string) (map[string]map[int32]int64, error) {
	m, err := readMeta(dir)
	if err != nil {
		return nil, fmt.Errorf("native: checkpoint offsets: %w", err)
	}
	return offsetsOf(m.Partitions), nil
}

func offsetsOf(parts []*partState) map[string]map[int32]int64 {
	out := map[string]map[int32]int64{}
	for _, ps := range parts {
		if out[ps.Stream] == nil {
			out[ps.Stream] = map[int32]int64{}
		}
		out[ps.Stream][ps.Partition] = ps.NextOffset
	}
	return out
}

func (e *Engine) restore(dir string) error {
	m, err := readMeta(dir)
	if err != nil {
		return fmt.Errorf("native: restore: %w", err)
	}
	if m.Stage != e.stage.ID {
		return fmt.Errorf("native: restore: snapshot is of stage %q, engine runs %q", m.Stage, e.stage.ID)
	}
	if e.st != nil {
		if err := e.st.close(); err != nil {
			return fmt.Errorf("native: restore: %w", err)
		}
		e.st = nil
	}
	if err := e.fs.RemoveAll(e.dbDir); err != nil {
		return fmt.Errorf("native: restore: %w", err)
	}
	if err := copyTree(vfs.Default, dir, e.fs, e.dbDir); err != nil {
		return fmt.Errorf("native: restore: %w", err)
	}
	if err := e.fs.Remove(e.fs.PathJoin(e.dbDir, metaFile)); err != nil {
		return fmt.Errorf("native: restore: %w", err)
	}
	st, err := openStore(e.fs, e.dbDir, e.cfg.cacheLimit)
	if err != nil {
		return fmt.Errorf("native: restore: %w", err)
	}
	e.st = st
	e.wm = m.Watermark
	// Partitions declared before the restore (AddPartitions on assignment)
	// that the snapshot does not know start unseen.
	declared := e.parts
	e.parts = m.Partitions
	for _, d := range declared {
		if !slices.ContainsFunc(e.parts, func(ps *partState) bool { return ps.Stream == d.Stream && ps.Partition == d.Partition }) {
			e.parts = append(e.parts, &partState{Stream: d.Stream, Partition: d.Partition, MaxTs: math.MinInt64, Table: d.Table})
		}
	}
	for _, ps := range e.parts {
		ps.lastWall, ps.wallSet, ps.idle = e.now, e.nowSet, false
	}
	for _, n := range e.nodes {
		if err := n.load(e); err != nil {
			return fmt.Errorf("native: restore %s: %w", n.operator().ID, err)
		}
	}
	return nil
}

// saveInt and loadInt keep an operator's small scalar state (such as the
// watermark up to which its windows have fired) in the store.
func (e *Engine) saveInt(prefix []byte, name string, v int64) {
	k := append(append(append([]byte(nil), prefix...), 'm'), name...)
	e.st.set(k, []byte(strconv.FormatInt(v, 10)), nil)
}

func (e *Engine) loadInt(prefix []byte, name string, def int64) (int64, error) {
	k := append(append(append([]byte(nil), prefix...), 'm'), name...)
	en, err := e.st.get(k)
	if err != nil || en == nil {
		return def, err
	}
	return strconv.ParseInt(string(en.val), 10, 64)
}
