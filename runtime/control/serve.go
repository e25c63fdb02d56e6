package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// Resolver puts the sensitive values an order left out (o.Secrets) back
// into p, from the worker's own variables; an error means this worker
// cannot run the order, and is reported as the pipeline's error.
type Resolver func(o *Order, p *ir.Plan) error

// Config configures Serve.
type Config struct {
	// ClientOptions reach the broker (seed brokers, SASL, TLS); they are
	// also given to every stage.
	ClientOptions []kgo.Opt
	WorkerID      string
	Host          string
	// Only restricts the worker to one pipeline ("" = every pipeline).
	Only     string
	StateDir string
	// Interval is the report interval (default DefaultInterval).
	Interval time.Duration
	Resolve  Resolver
	// StageOptions are given to every stage's worker.Run (metrics, engine
	// options, instance ID, topic partitions).
	StageOptions []worker.Option
	// Metrics, when set, gets each pipeline's running plan version
	// (pipeline_plan_version); give the stages the same through
	// worker.WithMetrics in StageOptions.
	Metrics *worker.Metrics
	Logger  *slog.Logger
	// RestartAfter is how long a failed stage waits before it runs again
	// (default 5s).
	RestartAfter time.Duration
	// Ready is called once the worker has read the control topic to its
	// end and started what it found.
	Ready func()
}

// Serve runs the worker until ctx is cancelled: it follows the control
// topic, reconciles the stages it runs with each pipeline's latest order,
// and publishes a Report every interval (and at once after a change). It
// returns an error only when the broker cannot be used at all; a pipeline
// that cannot run is reported and the others keep running.
func Serve(ctx context.Context, cfg Config) error {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.RestartAfter <= 0 {
		cfg.RestartAfter = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cl, err := kgo.NewClient(append(slices.Clone(cfg.ClientOptions),
		kgo.ConsumeTopics(ControlTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.ProducerLinger(0),
	)...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	clusterID, err := ClusterID(pctx, cl)
	if err == nil {
		err = EnsureTopics(pctx, cl)
	}
	cancel()
	if err != nil {
		return fmt.Errorf("cannot use the broker: %w", err)
	}
	s := &server{cfg: cfg, cl: cl, clusterID: clusterID, pipes: map[string]*pipe{}, started: time.Now().UTC(), changed: make(chan struct{}, 1)}
	defer s.stopAll()
	return s.loop(ctx)
}

type server struct {
	cfg       Config
	cl        *kgo.Client
	clusterID string
	started   time.Time
	pipes     map[string]*pipe
	changed   chan struct{} // a stage failed or recovered: report now
}

// pipe is one pipeline this worker serves.
type pipe struct {
	name    string
	version int64 // latest order seen
	running int64 // the order the stages run
	err     error
	stages  map[string]*stageRun // by identity
}

// stageRun is one stage running in this worker.
type stageRun struct {
	id, identity string
	fp, stateFP  string
	cancel       context.CancelFunc
	done         chan struct{}

	mu       sync.Mutex
	progress worker.StageProgress
	err      error
	failed   bool
}

func (s *server) loop(ctx context.Context) error {
	log := s.cfg.Logger
	// Catch up first: the compacted topic may hold several orders per
	// pipeline; only the latest of each is acted on.
	end, err := endOffset(ctx, s.cl, ControlTopic)
	if err != nil {
		return fmt.Errorf("cannot use the broker: %w", err)
	}
	var next int64
	latest := map[string]*kgo.Record{}
	var order []string
	// The last offsets may be gone (compacted tombstones): a few empty
	// polls in a row also mean the end.
	for empty := 0; next < end && empty < 8; {
		fs := s.poll(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if fs.NumRecords() == 0 {
			empty++
		} else {
			empty = 0
		}
		fs.EachRecord(func(rec *kgo.Record) {
			next = rec.Offset + 1
			k := string(rec.Key)
			if _, ok := latest[k]; !ok {
				order = append(order, k)
			}
			latest[k] = rec
		})
	}
	for _, k := range order {
		s.handle(ctx, latest[k])
	}
	log.Info("serving", "worker", s.cfg.WorkerID, "pipelines", len(s.pipes), "cluster", s.clusterID)
	if s.cfg.Ready != nil {
		s.cfg.Ready()
	}
	s.report(ctx, false)
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		fs := s.poll(ctx)
		if ctx.Err() != nil {
			s.stopAll()
			s.report(context.WithoutCancel(ctx), true)
			return nil
		}
		handled := false
		fs.EachRecord(func(rec *kgo.Record) {
			s.handle(ctx, rec)
			handled = true
		})
		select {
		case <-s.changed:
			handled = true
		default:
		}
		select {
		case <-tick.C:
			s.report(ctx, false)
		default:
			if handled {
				s.report(ctx, false)
			}
		}
	}
}

func (s *server) poll(ctx context.Context) kgo.Fetches {
	pctx, cancel := context.WithTimeout(ctx, min(s.cfg.Interval, 250*time.Millisecond))
	defer cancel()
	fs := s.cl.PollFetches(pctx)
	fs.EachError(func(topic string, _ int32, err error) {
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			s.cfg.Logger.Warn("read control topic", "topic", topic, "err", err)
		}
	})
	return fs
}

// handle acts on one control record.
func (s *server) handle(ctx context.Context, rec *kgo.Record) {
	name := string(rec.Key)
	log := s.cfg.Logger.With("pipeline", name)
	if s.cfg.Only != "" && name != s.cfg.Only {
		return
	}
	p := s.pipes[name]
	if rec.Value == nil {
		if p == nil {
			return
		}
		log.Info("pipeline destroyed: stopping its stages and deleting its state")
		s.stopStages(p, func(*stageRun) bool { return true })
		if err := worker.RemovePipelineState(s.cfg.StateDir, name); err != nil {
			log.Warn("delete state", "err", err)
		}
		delete(s.pipes, name)
		s.cfg.Metrics.SetPlanVersion(name, 0)
		return
	}
	if p == nil {
		p = &pipe{name: name, stages: map[string]*stageRun{}}
		s.pipes[name] = p
	}
	o, plan, err := DecodeOrder(rec.Key, rec.Value)
	if err != nil {
		// Nothing is lost: the stages keep running the last good order.
		log.Error("cannot read order", "err", err)
		p.err = err
		return
	}
	if o.Version <= p.running && p.err == nil {
		return // replayed or older
	}
	p.version, p.err = o.Version, nil
	if o.ClusterID != "" && s.clusterID != "" && o.ClusterID != s.clusterID {
		p.err = fmt.Errorf("version %d was applied to cluster %s, but this worker is connected to cluster %s", o.Version, o.ClusterID, s.clusterID)
		log.Error("cannot run order", "err", p.err)
		return
	}
	if s.cfg.Resolve != nil {
		if err := s.cfg.Resolve(o, plan); err != nil {
			p.err = fmt.Errorf("cannot run version %d: %w", o.Version, err)
			log.Error("cannot run order", "err", p.err)
			return
		}
	}
	s.reconcile(ctx, p, plan, o.Version)
}

// reconcile makes p run plan: stages whose operators and channels are
// unchanged keep running, with their consumer groups and state; changed
// ones stop (uncommitted work is redone from the last checkpoint) and start
// on the new plan, keeping their state unless a stateful operator changed;
// removed ones stop; new ones start.
func (s *server) reconcile(ctx context.Context, p *pipe, plan *ir.Plan, version int64) {
	log := s.cfg.Logger.With("pipeline", p.name, "version", version)
	want := map[string]*ir.Stage{}
	fps := map[string][2]string{}
	for _, st := range sortedStages(plan) {
		id := plan.Pipeline.StageIdentity(st)
		fp, stateFP, err := fingerprints(plan, st)
		if err != nil {
			p.err = fmt.Errorf("version %d: %w", version, err)
			return
		}
		want[id], fps[id] = st, [2]string{fp, stateFP}
	}
	s.stopStages(p, func(r *stageRun) bool {
		st := want[r.identity]
		return st == nil || fps[r.identity][0] != r.fp
	})
	for _, id := range slices.Sorted(maps.Keys(want)) {
		st := want[id]
		if old := p.stages[id]; old != nil {
			old.id = st.ID // numbering may have moved; identity did not
			continue
		}
		if err := s.checkState(plan, st, fps[id][1]); err != nil {
			log.Warn("state of changed stateful operators", "stage", st.ID, "err", err)
		}
		s.start(ctx, p, plan, st, fps[id][0], fps[id][1])
	}
	p.running = version
	s.cfg.Metrics.SetPlanVersion(p.name, version)
	log.Info("running", "stages", len(p.stages))
}

func (s *server) start(ctx context.Context, p *pipe, plan *ir.Plan, st *ir.Stage, fp, stateFP string) {
	sctx, cancel := context.WithCancel(ctx)
	r := &stageRun{id: st.ID, identity: plan.Pipeline.StageIdentity(st), fp: fp, stateFP: stateFP, cancel: cancel, done: make(chan struct{})}
	p.stages[r.identity] = r
	go s.runStage(sctx, p.name, plan, st, r)
}

// checkState deletes the stage's state when a stateful operator it held
// changed its state shape (ir.StateShape): the shape of every stateful
// operator the state was built for is kept beside it (state.fingerprint,
// JSON: state address → shape hash), shared by the workers of a state
// directory and across restarts. An added operator starts with no state of
// its own and a removed one's entry stays (should the address come back
// with another shape, its old keys are not read), so neither resets the
// others: the rule plan reports with.
func (s *server) checkState(plan *ir.Plan, st *ir.Stage, stateFP string) error {
	if s.cfg.StateDir == "" {
		return nil
	}
	var now map[string]string
	if err := json.Unmarshal([]byte(stateFP), &now); err != nil {
		return err
	}
	dir := worker.StageStateDir(s.cfg.StateDir, plan, st)
	file := filepath.Join(dir, "state.fingerprint")
	var was map[string]string
	b, err := os.ReadFile(file)
	switch {
	case err == nil:
		if json.Unmarshal(b, &was) != nil {
			was = map[string]string{"": "unreadable"} // not ours: reset
		}
	case errors.Is(err, os.ErrNotExist):
		// Written by an older worker: its fingerprint covered the stateful
		// operators whole. Equal means unchanged, so the state is kept.
		legacy := filepath.Join(dir, "operators.fingerprint")
		if old, lerr := os.ReadFile(legacy); lerr == nil {
			was = map[string]string{"": "legacy"}
			if fp, ferr := legacyStateFingerprint(plan, st); ferr == nil && string(old) == fp {
				was = now
			}
			_ = os.Remove(legacy)
		}
	default:
		return err
	}
	changed := was[""] != ""
	for addr, h := range now {
		if old, ok := was[addr]; ok && old != h {
			changed = true
		}
	}
	merged := map[string]string{}
	if changed {
		s.cfg.Logger.Info("a stateful operator changed: the stage starts with empty state", "pipeline", plan.Pipeline.Name, "stage", st.ID)
		if err := worker.RemoveStageState(s.cfg.StateDir, plan, st); err != nil {
			return err
		}
	} else {
		maps.Copy(merged, was)
	}
	maps.Copy(merged, now)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	out, err := json.Marshal(merged)
	if err != nil {
		return err
	}
	return os.WriteFile(file, out, 0o600) // state is private (issue 17 item 13)
}

func (s *server) runStage(ctx context.Context, pipeline string, plan *ir.Plan, st *ir.Stage, r *stageRun) {
	defer close(r.done)
	log := s.cfg.Logger.With("pipeline", pipeline, "stage", st.ID)
	for {
		opts := append(slices.Clone(s.cfg.StageOptions),
			worker.ClientOptions(s.cfg.ClientOptions...),
			worker.StateDir(s.cfg.StateDir),
			worker.Stages(st.ID),
			worker.OnProgress(func(pr worker.Progress) {
				for _, sp := range pr.Stages {
					r.mu.Lock()
					r.progress = sp
					if r.failed && sp.RecordsIn > 0 {
						r.failed = false
					}
					r.mu.Unlock()
				}
			}),
		)
		err := worker.Run(ctx, plan, opts...)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("stopped unexpectedly")
		}
		log.Error("stage failed; restarting", "err", err, "after", s.cfg.RestartAfter)
		r.mu.Lock()
		r.err, r.failed = err, true
		r.mu.Unlock()
		select {
		case s.changed <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.RestartAfter):
		}
	}
}

// stopStages stops the stages of p that which selects and waits for them.
func (s *server) stopStages(p *pipe, which func(*stageRun) bool) {
	var stopped []*stageRun
	for id, r := range p.stages {
		if which(r) {
			r.cancel()
			stopped = append(stopped, r)
			delete(p.stages, id)
		}
	}
	for _, r := range stopped {
		<-r.done
	}
}

func (s *server) stopAll() {
	for _, p := range s.pipes {
		s.stopStages(p, func(*stageRun) bool { return true })
	}
}

// report publishes this worker's status.
func (s *server) report(ctx context.Context, stopped bool) {
	now := time.Now().UTC()
	r := &Report{
		FormatVersion: FormatVersion,
		Worker:        s.cfg.WorkerID,
		Host:          s.cfg.Host,
		Only:          s.cfg.Only,
		StartedAt:     s.started,
		ReportedAt:    now,
		IntervalMs:    s.cfg.Interval.Milliseconds(),
		Stopped:       stopped,
		Pipelines:     []PipelineStatus{},
	}
	for _, name := range slices.Sorted(maps.Keys(s.pipes)) {
		p := s.pipes[name]
		ps := PipelineStatus{Name: name, Version: p.version, Running: p.running, State: "running", Stages: []StageStatus{}}
		if p.err != nil {
			ps.State, ps.Error = "failed", p.err.Error()
		}
		for _, id := range slices.Sorted(maps.Keys(p.stages)) {
			sr := p.stages[id]
			sr.mu.Lock()
			st := StageStatus{ID: sr.id, Identity: sr.identity, State: "running",
				RecordsIn: sr.progress.RecordsIn, RecordsOut: sr.progress.RecordsOut,
				DeadLetters: sr.progress.DeadLetters, Lag: sr.progress.Lag, StateResets: sr.progress.StateResets}
			for _, op := range sr.progress.Operators {
				st.Operators = append(st.Operators, OperatorStatus{ID: op.Operator, RecordsIn: op.RecordsIn, RecordsOut: op.RecordsOut})
			}
			if sr.progress.HasWatermark {
				st.WatermarkMs = sr.progress.WatermarkMs
				st.EventTimeLagMs = max(now.UnixMilli()-sr.progress.WatermarkMs, 0)
			}
			if sr.err != nil {
				st.Error = sr.err.Error()
			}
			if sr.failed {
				st.State = "failed"
				if ps.State == "running" {
					ps.State, ps.Error, ps.FailedStage = "failed", st.Error, st.ID
				}
			}
			sr.mu.Unlock()
			ps.Stages = append(ps.Stages, st)
		}
		r.Pipelines = append(r.Pipelines, ps)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := publishReport(pctx, s.cl, r); err != nil {
		s.cfg.Logger.Warn("publish status", "err", err)
	}
}

// fingerprints hash what a stage runs, without source positions: fp
// covers its operators (and the producers of its inputs, for their
// schemas), channels, variables, locals and dead-letter topic; stateFP
// only its stateful operators, whose state a restart keeps when it is
// unchanged.
func fingerprints(plan *ir.Plan, st *ir.Stage) (fp, stateFP string, err error) {
	pl := plan.Pipeline
	in := map[string]bool{}
	for _, id := range st.Operators {
		in[id] = true
	}
	var ops, stateful []*ir.Operator
	for _, op := range pl.Operators {
		feeds := false
		for _, c := range pl.Operators {
			if in[c.ID] && slices.ContainsFunc(c.Inputs, func(s string) bool { o, _ := ir.StreamOperator(s); return o == op.ID }) {
				feeds = true
			}
		}
		if in[op.ID] || feeds {
			ops = append(ops, op)
		}
		if in[op.ID] && (op.Aggregate != nil || op.Dedupe != nil || op.Join != nil || op.Top != nil) {
			stateful = append(stateful, op)
		}
	}
	var chans []*ir.Channel
	for _, ch := range plan.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if in[prod] || in[ch.To] {
			c := *ch
			c.Cost = 0
			chans = append(chans, &c)
		}
	}
	sort.Slice(chans, func(i, j int) bool { return chans[i].Topic+chans[i].To < chans[j].Topic+chans[j].To })
	whole := struct {
		Identity  string
		Operators []*ir.Operator
		Channels  []*ir.Channel
		Vars      map[string]ir.Const
		Locals    map[string]ir.Const
		DLQ       string
	}{pl.StageIdentity(st), ops, chans, pl.Vars, pl.Locals, pl.DeadLetterTopic}
	if fp, err = hashWithoutPositions(whole); err != nil {
		return "", "", err
	}
	if stateFP, err = stateFingerprint(pl, stateful); err != nil {
		return "", "", err
	}
	return fp, stateFP, nil
}

// stateFingerprint is, as JSON, each stateful operator's state address
// and a hash of its shape (ir.StateShape), the rule plan reports with: a
// change outside the shapes (allowed_lateness, a filter upstream) or a
// rename with a moved block keeps the state; a key or window change does
// not.
func stateFingerprint(pl *ir.Pipeline, stateful []*ir.Operator) (string, error) {
	m := map[string]string{}
	for _, op := range stateful {
		h, err := hashWithoutPositions(pl.ShapeOf(op))
		if err != nil {
			return "", err
		}
		m[op.StateAddress()] = h
	}
	b, err := json.Marshal(m) // keys sorted: the same stage gives the same bytes
	return string(b), err
}

// legacyStateFingerprint is the fingerprint workers wrote before state
// shapes (to operators.fingerprint): the stateful operators whole. A
// worker upgraded in place compares it once, so unchanged operators keep
// their state across the upgrade.
func legacyStateFingerprint(plan *ir.Plan, st *ir.Stage) (string, error) {
	var stateful []*ir.Operator
	for _, id := range st.Operators {
		if op := plan.Pipeline.Operator(id); op != nil && (op.Aggregate != nil || op.Dedupe != nil || op.Join != nil) {
			stateful = append(stateful, op)
		}
	}
	var ordered []*ir.Operator
	for _, op := range plan.Pipeline.Operators { // in pipeline order, as written then
		for _, s := range stateful {
			if s == op {
				ordered = append(ordered, op)
			}
		}
	}
	return hashWithoutPositions(ordered)
}

func hashWithoutPositions(v any) (string, error) {
	b, err := ir.JSONWithoutPositions(v)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}
