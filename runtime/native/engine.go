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
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// Engine runs the operators of one native stage for one partition group.
// It is not safe for concurrent use: run one Engine per goroutine.
//
// Decoding, event time, routing between operators, the stateless
// operators (filter, map, route, sink) and the stage's exports are the
// stateless core's (runtime/stateless), the same code the broker and Beam
// backends run; the engine adds its stateful operators to it
// (stateless.WithOperators), and owns their state, the watermark and
// checkpoints.
type Engine struct {
	plan  *ir.Plan
	stage *ir.Stage
	cfg   config

	g     *stateless.Processor
	nodes []node // the stateful operators, in topological order

	parts   []*partState
	wm      int64   // stage watermark: min over active partitions of their max event time
	maxSeen int64   // greatest event time seen on a stream partition (max_future's reference)
	wmIn    [][]int // per node: the nodes feeding its input watermark (-1: stage input)
	outWm   []int64 // per node: its output watermark at the last propagate
	now     int64   // last Advance wall clock
	nowSet  bool

	fs    vfs.FS
	dbDir string
	st    *store
}

// rec is a record flowing between operators with its event time.
type rec struct {
	r    *eval.Record
	ts   int64
	kind eval.RowKind // a changelog's row kind; Insert on append-only streams
}

// node is one stateful operator in the stage.
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

// consumer plugs a stateful node into the stateless core's routes.
type consumer struct {
	e *Engine
	n node
}

func (c *consumer) Push(port int, x stateless.Rec) error {
	return c.n.push(c.e, port, rec{r: x.R, ts: x.TS, kind: x.Kind})
}

// route is where the records of one stream go (the core's routes).
type route = stateless.Route

// route returns the route of stream, creating it.
func (e *Engine) route(stream string) *route { return e.g.Route(stream) }

// emit hands a record on a route's stream to its consumers in the stage,
// and to the stage's outputs when the stream leaves the stage or is tapped.
func (e *Engine) emit(rt *route, x rec) error {
	return e.g.Emit(rt, stateless.Rec{R: x.r, TS: x.ts, Kind: x.kind})
}

// deadLetter reports a record that operator opID rejected, with the input
// being processed (none while firing at watermark time).
func (e *Engine) deadLetter(opID, reason string, err error) error {
	return e.g.DeadLetter(opID, reason, err)
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

func (e *Engine) build(stageID string) error {
	g, err := stateless.New(e.plan, stageID, stateless.WithTaps(e.cfg.taps...), stateless.WithOperators(e.buildNode), stateless.WithCounters(e.cfg.counters))
	if err != nil {
		return fmt.Errorf("native: %w", err)
	}
	e.g = g
	g.SetFutureCheck(e.checkFuture)
	e.pruneInputs()
	return nil
}

// checkFuture rejects an event time further than its stream's max_future
// ahead of the greatest event time seen (or of the wall clock, when that
// is later): such a record would move the watermark past every later one.
// The stage's first record has nothing to be compared with and passes.
func (e *Engine) checkFuture(s *stateless.Stream, ts int64) error {
	if e.maxSeen == math.MinInt64 {
		return nil // nothing to compare with yet
	}
	ref := e.maxSeen
	if e.nowSet && e.now > ref {
		ref = e.now // after a pause in the input, the clock has moved on
	}
	return eval.CheckFuture(ts, ref, s.MaxFuture())
}

// diagErr is the error of an expression of op that failed to compile.
func diagErr(op *ir.Operator, what string, diags stateless.Diagnostics) error {
	return stateless.CompileError(op, what, diags)
}

// buildNode builds a stateful operator for the stateless core
// (stateless.BuildFunc).
func (e *Engine) buildNode(g *stateless.Processor, op *ir.Operator, in []*eval.Layout, c eval.Consts) (stateless.Consumer, *eval.Layout, error) {
	e.g = g
	var n node
	var out *eval.Layout
	switch op.Kind {
	case ir.KindDedupe:
		p, diags := eval.Compile(op.Dedupe.Key, []eval.Root{{Name: "record", Layout: in[0]}}, c)
		if err := diagErr(op, "key", diags); err != nil {
			return nil, nil, err
		}
		n, out = &dedupeNode{op: op, key: p, out: e.route(op.ID), within: op.Dedupe.WithinMs, prefix: opPrefix(op.StateAddress()), nextSweep: math.MinInt64}, in[0]
	case ir.KindJoin:
		if len(in) != 2 {
			return nil, nil, fmt.Errorf("native: %s: a join needs two inputs", op.ID)
		}
		j, err := newJoin(e, op, in[0], in[1], c)
		if err != nil {
			return nil, nil, err
		}
		n, out = j, j.outLayout()
	case ir.KindTop:
		t, err := newTop(e, op, in[0], c)
		if err != nil {
			return nil, nil, err
		}
		n, out = t, in[0]
	case ir.KindAggregate:
		if op.Aggregate != nil && op.Aggregate.Continuous() {
			a, err := newContinuousAggregate(e, op, in[0], c)
			if err != nil {
				return nil, nil, err
			}
			n, out = a, a.agg.OutputLayout()
			break
		}
		a, err := newAggregate(op, in[0], c, e.cfg.cacheLimit)
		if err != nil {
			return nil, nil, err
		}
		a.emit = e.route(op.ID)
		n, out = a, a.outLayout()
	default:
		return nil, nil, fmt.Errorf("native: %s: unsupported operator kind %q", op.ID, op.Kind)
	}
	e.nodes = append(e.nodes, n)
	return &consumer{e: e, n: n}, out, nil
}

// opPrefix is the state key prefix of an operator: its StateAddress, so
// an operator renamed with a moved block finds its state.
func opPrefix(id string) []byte { return append([]byte(id), 0) }

func (e *Engine) partition(stream string, p int32) *partState {
	for _, ps := range e.parts {
		if ps.Partition == p && ps.Stream == stream {
			return ps
		}
	}
	ps := &partState{Stream: stream, Partition: p, MaxTs: math.MinInt64}
	if s := e.g.Stream(stream); s != nil {
		ps.Table = s.Table()
	}
	e.parts = append(e.parts, ps)
	return ps
}

func (e *Engine) process(in Input) error {
	if e.st == nil {
		return errors.New("native: engine is closed")
	}
	s := e.g.Stream(in.Stream)
	if s == nil {
		return fmt.Errorf("native: stage %s has no input stream %q", e.stage.ID, in.Stream)
	}
	ps := e.partition(in.Stream, in.Partition)
	ps.idle = false
	ps.lastWall, ps.wallSet = e.now, e.nowSet
	ps.NextOffset = in.Offset + 1

	if s.Table() && in.Value == nil && in.Key != nil {
		return e.tombstone(s, in.Key)
	}
	ts, ok, err := e.g.Push(s, in)
	if err != nil || !ok {
		return err // !ok: the record went to the dead-letter queue
	}
	if !ps.Table && (!ps.Seen || ts > ps.MaxTs) {
		ps.MaxTs, ps.Seen = ts, true
		e.maxSeen = max(e.maxSeen, ts)
		if err := e.updateWatermark(); err != nil {
			return err
		}
	}
	return e.st.maybeFlush()
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
	return e.propagate()
}

// propagate advances every operator to its input watermark, in
// topological order (README, "Watermarks and event time"): an operator's
// input watermark is the least output watermark of its inputs; the
// stage's inputs (sources, channels) have the stage watermark, and a
// table, the right side of a stream–table join, holds nothing back; an
// operator's output watermark is its input watermark minus what it holds
// back (holdback). An operator fires before its consumers advance, so
// what it emits is never behind them.
func (e *Engine) propagate() error {
	if e.wmIn == nil {
		e.wireWatermarks()
	}
	for i, n := range e.nodes {
		in := int64(math.MaxInt64)
		for _, j := range e.wmIn[i] {
			w := e.wm // a stage input
			if j >= 0 {
				w = e.outWm[j]
			}
			in = min(in, w)
		}
		if in == math.MaxInt64 {
			in = e.wm
		}
		if wallClocked(n.operator()) && !e.cfg.eventClock {
			in = e.cfg.clock() // processing-time windows fire by the clock
		}
		if err := n.advance(e, in); err != nil {
			return err
		}
		e.outWm[i] = satSub(in, holdback(n.operator()))
	}
	return nil
}

// wireWatermarks records, for every node, the nodes whose output
// watermarks make its input watermark (-1: a stage input). Stateless
// operators between them pass the watermark on, so an input they produce
// is traced back through them.
func (e *Engine) wireWatermarks() {
	pl := e.plan.Pipeline
	producer := map[string]int{}
	for i, n := range e.nodes {
		for _, s := range n.operator().Streams() {
			producer[s] = i
		}
	}
	inStage := map[string]bool{}
	for _, id := range e.stage.Operators {
		inStage[id] = true
	}
	var trace func(stream string, out []int, seen map[string]bool) []int
	trace = func(stream string, out []int, seen map[string]bool) []int {
		if seen[stream] {
			return out
		}
		seen[stream] = true
		if j, ok := producer[stream]; ok {
			return append(out, j)
		}
		id, _ := ir.StreamOperator(stream)
		op := pl.Operator(id)
		if op == nil || !inStage[id] || op.Kind == ir.KindSource || e.g.Stream(stream) != nil {
			return append(out, -1) // a source or a channel: the stage watermark
		}
		for _, in := range op.Inputs {
			out = trace(in, out, seen)
		}
		return out
	}
	e.wmIn = make([][]int, len(e.nodes))
	e.outWm = make([]int64, len(e.nodes))
	for i, n := range e.nodes {
		op := n.operator()
		for port, s := range op.Inputs {
			if src := pl.Operator(s); port == 1 && op.Kind == ir.KindJoin && src != nil && src.Source != nil && src.Source.Table {
				continue
			}
			e.wmIn[i] = trace(s, e.wmIn[i], map[string]bool{})
		}
	}
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
	if e.hasWallClocked() {
		// The clock moved although the watermark may not have:
		// processing-time windows that ended fire now.
		if err := e.propagate(); err != nil {
			return err
		}
	}
	return e.st.maybeFlush()
}

// wallClocked reports an operator whose windows follow the wall clock
// (processing time) rather than event time.
func wallClocked(op *ir.Operator) bool {
	return op.Aggregate != nil && op.Aggregate.Window.Time == ir.WindowProcessingTime
}

func (e *Engine) hasWallClocked() bool {
	if e.cfg.eventClock {
		return false
	}
	for _, n := range e.nodes {
		if wallClocked(n.operator()) {
			return true
		}
	}
	return false
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
	if e.fs == diskFS {
		if err := diskFS.MkdirAll(filepath.Dir(dir), privateDirMode); err != nil {
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
		err := copyTree(e.fs, tmp, diskFS, dir)
		if rerr := e.fs.RemoveAll(tmp); err == nil && rerr != nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("native: checkpoint: %w", err)
		}
	}
	b, err := json.Marshal(meta{Version: 1, Stage: e.plan.Pipeline.StageIdentity(e.stage), Watermark: e.wm, Partitions: e.parts})
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
	if id := e.plan.Pipeline.StageIdentity(e.stage); m.Stage != id {
		return fmt.Errorf("native: restore: snapshot is of stage %q, engine runs %q", m.Stage, id)
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
	if err := copyTree(diskFS, dir, e.fs, e.dbDir); err != nil {
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
	e.maxSeen = math.MinInt64
	for _, ps := range e.parts {
		ps.lastWall, ps.wallSet, ps.idle = e.now, e.nowSet, false
		if ps.Seen && !ps.Table {
			e.maxSeen = max(e.maxSeen, ps.MaxTs)
		}
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

// holdback is how far an operator's output watermark trails its input
// watermark: an aggregate emits a window only when its input watermark
// minus allowed_lateness passes the window's end, and a stream–stream join
// emits a pair, or an unmatched left record, up to within after the
// earlier record's time. Every other operator emits as records arrive.
func holdback(op *ir.Operator) int64 {
	switch {
	case op.Aggregate != nil:
		return max(op.Aggregate.AllowedLatenessMs, 0)
	case op.Join != nil && op.Join.WithinMs > 0:
		return op.Join.WithinMs
	}
	return 0
}

// tombstone applies a table's tombstone (a key without a value): the
// stream–table joins reading the table directly drop the row with that key.
func (e *Engine) tombstone(s *stateless.Stream, key []byte) error {
	for _, n := range e.nodes {
		op := n.operator()
		if j, ok := n.(*joinNode); ok && j.table && len(op.Inputs) == 2 && op.Inputs[1] == s.Name() {
			if err := j.tombstone(e, key); err != nil {
				return err
			}
		}
	}
	return e.st.maybeFlush()
}
