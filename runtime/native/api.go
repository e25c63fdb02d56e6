package native

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/cockroachdb/pebble/vfs"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// The engine speaks the one record vocabulary of package record (which
// also says who owns the bytes of an Input and an Output); these are its
// names in this package.
type (
	Input      = record.Input
	Output     = record.Output
	DeadLetter = record.DeadLetter
	Emitter    = record.Emitter
)

// Dead-letter reasons.
const (
	ReasonDecode    = record.ReasonDecode
	ReasonEval      = record.ReasonEval
	ReasonLate      = record.ReasonLate
	ReasonFuture    = record.ReasonFuture
	ReasonEventTime = record.ReasonEventTime
	ReasonNullKey   = record.ReasonNullKey
)

// ErrNotImplemented is kept for callers written against the placeholder API;
// the engine no longer returns it.
var ErrNotImplemented = errors.New("native: not implemented")

// Option configures an Engine.
type Option func(*config)

type config struct {
	stateDir   string
	taps       []string
	idleMs     int64
	cacheLimit int
	counters   *stateless.Counters
	// clock is processing time in epoch milliseconds; eventClock makes
	// processing time the event time (see WithEventTimeClock).
	clock      func() int64
	eventClock bool
}

// WithStateDir keeps operator state in an embedded key-value store in dir
// (default: in memory). The database under dir is the engine's working
// copy and is replaced on New and Restore; durable state is what Checkpoint
// writes.
func WithStateDir(dir string) Option { return func(c *config) { c.stateDir = dir } }

// WithTaps also emits every record of the given streams as
// Output{Target: streamID}, for tests that expect records on an operator
// that is not a sink.
func WithTaps(streamIDs ...string) Option {
	return func(c *config) { c.taps = append(c.taps, streamIDs...) }
}

// WithIdleTimeout sets how long (in Advance wall-clock time) a partition may
// go without input before it stops holding the watermark back. Default 30s.
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) { c.idleMs = d.Milliseconds() }
}

// WithCacheEntries bounds the number of state entries (dedupe keys, table
// rows) cached in memory, and the number of keys each aggregate holds in
// memory, before they are written to the store and evicted.
func WithCacheEntries(n int) Option { return func(c *config) { c.cacheLimit = n } }

// WithCounters counts the records in and out of every operator of the
// stage in c (stateless.Counters), which several engines may share.
// Default: nothing is counted.
func WithCounters(c *stateless.Counters) Option { return func(cfg *config) { cfg.counters = c } }

// WithClock sets the clock processing-time windows follow (epoch
// milliseconds). Default: the system's wall clock. Windows open and fire on
// it: at each Advance, every processing-time window whose end the clock
// has passed fires.
func WithClock(now func() int64) Option { return func(c *config) { c.clock = now } }

// WithEventTimeClock simulates the clock for tests, which must not depend
// on when they run: a record arrives at its event time, and the clock
// reads the stage watermark when windows fire. Processing-time windows
// then group and fire as event-time windows without allowed_lateness.
func WithEventTimeClock() Option { return func(c *config) { c.eventClock = true } }

// New builds the engine for stage stageID of plan.
func New(plan *ir.Plan, stageID string, opts ...Option) (*Engine, error) {
	cfg := config{idleMs: 30_000, clock: func() int64 { return time.Now().UnixMilli() }}
	for _, o := range opts {
		o(&cfg)
	}
	if plan == nil || plan.Pipeline == nil {
		return nil, errors.New("native: plan has no pipeline")
	}
	stage := plan.Stage(stageID)
	if stage == nil {
		return nil, fmt.Errorf("native: plan has no stage %q", stageID)
	}
	e := &Engine{
		plan:    plan,
		stage:   stage,
		cfg:     cfg,
		wm:      math.MinInt64,
		maxSeen: math.MinInt64,
	}
	if err := e.build(stageID); err != nil {
		return nil, err
	}
	if cfg.stateDir == "" {
		e.fs, e.dbDir = vfs.NewMem(), "state"
	} else {
		e.fs, e.dbDir = diskFS, filepath.Join(cfg.stateDir, "work")
		if err := e.fs.RemoveAll(e.dbDir); err != nil {
			return nil, fmt.Errorf("native: reset state dir: %w", err)
		}
	}
	st, err := openStore(e.fs, e.dbDir, cfg.cacheLimit)
	if err != nil {
		return nil, fmt.Errorf("native: %w", err)
	}
	e.st = st
	return e, nil
}

// AddPartitions declares input partitions the engine will receive records
// from, so the watermark waits for them (until they are idle) even before
// their first record arrives. The I/O layer calls it on partition
// assignment; the test runner calls it for every given stream.
func (e *Engine) AddPartitions(stream string, partitions ...int32) {
	for _, p := range partitions {
		e.partition(stream, p)
	}
}

// Process pushes one input record through the stage.
func (e *Engine) Process(ctx context.Context, in Input, out Emitter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.g.SetEmitter(out)
	return e.process(in)
}

// Advance tells the engine that no input with an earlier timestamp than
// wallMs is pending for idle partitions, letting watermarks progress: a
// partition that has had no input for the idle timeout no longer holds the
// stage's watermark back.
func (e *Engine) Advance(ctx context.Context, wallMs int64, out Emitter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.g.SetEmitter(out)
	return e.advanceWall(wallMs)
}

// Drain fires every open window and flushes all state that waits for time,
// as at the end of a bounded input or a stop with drain.
func (e *Engine) Drain(ctx context.Context, out Emitter) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.g.SetEmitter(out)
	return e.drain()
}

// Checkpoint writes a consistent snapshot of operator state to dir, which
// must not exist yet. Source offsets are recorded by the caller alongside it.
func (e *Engine) Checkpoint(dir string) error { return e.checkpoint(dir) }

// Restore loads the snapshot in dir, replacing current state. The snapshot
// itself is not modified, so it can be restored again.
func (e *Engine) Restore(dir string) error { return e.restore(dir) }

// Close releases the state store.
func (e *Engine) Close() error {
	if e.st == nil {
		return nil
	}
	err := e.st.close()
	e.st = nil
	return err
}

// Watermark returns the stage's current event-time watermark (before any
// operator's allowed lateness), math.MinInt64 before the first record.
func (e *Engine) Watermark() int64 { return e.wm }

// Dropped returns, per route operator, how many records matched no output
// and had no default output.
func (e *Engine) Dropped() map[string]int64 { return e.g.Dropped() }
