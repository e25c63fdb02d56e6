package worker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Progress is a snapshot of the counts of a Run.
type Progress struct {
	Elapsed time.Duration
	Stages  []StageProgress
}

// StageProgress is the counts of one stage.
type StageProgress struct {
	Stage       string
	RecordsIn   int64
	RecordsOut  int64
	DeadLetters int64
	// Lag is the sum over assigned input partitions of high watermark minus
	// the next offset to process, as of the last fetch.
	Lag int64
	// WatermarkMs is the least watermark over the stage's partition groups
	// (epoch milliseconds, native.Engine.Watermark); HasWatermark is false
	// until every running group has seen event time.
	WatermarkMs  int64
	HasWatermark bool
	// StateResets counts partition groups started with empty state because
	// no checkpoint matched their committed offsets (only with ResetState).
	StateResets int64
	Done        bool
	// Operators are the records in and out of each native operator of the
	// stage, in stage order, summed over its partition groups in this
	// process (stateless.Counters).
	Operators []OperatorProgress
}

// OperatorProgress is one operator's records in and out.
type OperatorProgress struct {
	Operator   string
	RecordsIn  int64
	RecordsOut int64
}

// Run runs the native stages of plan, and those of the backends given
// StageEngines, until ctx is cancelled, or until every stage has finished:
// a stage whose inputs are all files finishes at their end, and with
// ExitWhenIdle a stage with topic inputs finishes after being idle. Missing topics are created first.
// Run returns nil after a clean stop, including one caused by cancelling
// ctx; it returns the first stage error otherwise, after stopping the other
// stages.
func Run(ctx context.Context, plan *ir.Plan, opts ...Option) error {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if plan == nil || plan.Pipeline == nil {
		return errors.New("worker: no plan")
	}
	if cfg.metrics == nil {
		cfg.metrics = NewMetrics()
	}
	runners, err := newRunners(plan, &cfg)
	if err != nil {
		return err
	}
	if len(runners) == 0 {
		cfg.logger.Info("no stages to run", "pipeline", plan.Pipeline.Name)
		return nil
	}
	for _, r := range runners {
		defer cfg.metrics.operators.track(r)()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	report := func() {
		if len(cfg.progress) == 0 {
			return
		}
		p := Progress{Elapsed: time.Since(start)}
		for _, r := range runners {
			p.Stages = append(p.Stages, r.progress())
		}
		for _, fn := range cfg.progress {
			fn(p)
		}
	}
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if len(cfg.progress) == 0 {
			return
		}
		t := time.NewTicker(cfg.progressTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				report()
			}
		}
	}()

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.run(ctx); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("stage %s: %w", r.stage.ID, err)
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	cancel()
	<-progressDone
	report()
	return firstErr
}

func newRunners(plan *ir.Plan, cfg *config) ([]*stageRunner, error) {
	want := map[string]bool{}
	for _, id := range cfg.stages {
		want[id] = true
	}
	var runners []*stageRunner
	missing := maps.Clone(want)
	for _, st := range plan.Stages {
		// want, not missing: a Stages list is a filter to the end.
		if !cfg.runs(st.Backend) || (len(want) > 0 && !want[st.ID]) {
			continue
		}
		delete(missing, st.ID)
		r, err := newStageRunner(plan, st, cfg)
		if err != nil {
			return nil, err
		}
		runners = append(runners, r)
	}
	for id := range missing {
		return nil, fmt.Errorf("worker: no stage %q in the plan that this worker runs", id)
	}
	linkUpstream(runners)
	return runners, nil
}
