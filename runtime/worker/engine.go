package worker

import (
	"context"
	"slices"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
)

// Engine runs the operators of one stage for one partition group: the part
// of *native.Engine the worker drives. Other backends plug their local
// runtimes in with StageEngines, and their stages get the worker's consumer
// groups, commits, checkpoints, idle exit and metrics.
type Engine interface {
	Process(ctx context.Context, in native.Input, out native.Emitter) error
	Advance(ctx context.Context, wallMs int64, out native.Emitter) error
	Drain(ctx context.Context, out native.Emitter) error
	Checkpoint(dir string) error
	Restore(dir string) error
	AddPartitions(stream string, partitions ...int32)
	Close() error
}

// Flusher is an Engine that buffers inputs (to run them in batches): the
// worker calls Flush after feeding each poll's records and before every
// commit, so that no committed offset has unprocessed inputs behind it.
type Flusher interface {
	Flush(ctx context.Context, out native.Emitter) error
}

// EngineFactory builds the engine of one partition group of a stage.
type EngineFactory func(ctx context.Context, plan *ir.Plan, stageID string) (Engine, error)

// StageEngines runs the stages placed on backend with engines from
// factory. Native stages always run on native.Engine.
func StageEngines(backend string, factory EngineFactory) Option {
	return func(c *config) {
		if c.engines == nil {
			c.engines = map[string]EngineFactory{}
		}
		c.engines[backend] = factory
	}
}

// runs reports whether the worker runs stages placed on backend.
func (c *config) runs(backend string) bool {
	return backend == ir.BackendNative || c.engines[backend] != nil
}

// newEngine builds an engine for the runner's stage; opts are native
// engine options added by the caller (the state directory).
func (r *stageRunner) newEngine(ctx context.Context, opts ...native.Option) (Engine, error) {
	if f := r.cfg.engines[r.stage.Backend]; f != nil && r.stage.Backend != ir.BackendNative {
		return f(ctx, r.plan, r.stage.ID)
	}
	opts = append(append(slices.Clone(r.cfg.engineOpts), native.WithCounters(r.counters)), opts...)
	return native.New(r.plan, r.stage.ID, opts...)
}

// flush runs an engine's buffered inputs, if it buffers.
func flush(ctx context.Context, eng Engine, out native.Emitter) error {
	if f, ok := eng.(Flusher); ok {
		return f.Flush(ctx, out)
	}
	return nil
}
