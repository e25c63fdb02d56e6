package worker

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/files"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// pollWait bounds one poll, so that idle detection and watermark advances
// happen without input.
const (
	pollWait      = 250 * time.Millisecond
	advanceEvery  = time.Second
	fileBatchSize = 4096
	// joinGrace is the least idle time before a worker that has not been
	// assigned partitions yet gives up.
	joinGrace = 30 * time.Second
)

func (r *stageRunner) run(ctx context.Context) error {
	defer r.done.Store(true)
	// Fail fast, before touching the broker, if the engine cannot be built.
	probe, err := r.newEngine(ctx)
	if err != nil {
		return fmt.Errorf("build engine: %w", err)
	}
	probe.Close()
	if len(r.fileInputs) > 0 {
		err = r.runFiles(ctx)
	} else {
		err = r.runTopics(ctx)
	}
	if cerr := r.closeFiles(); err == nil {
		err = cerr
	}
	if err != nil && ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, kgo.ErrClientClosed)) {
		// Stopped from outside: uncommitted work is redone on restart.
		return nil
	}
	return err
}

func (r *stageRunner) hasBroker() bool {
	return len(r.cfg.brokers) > 0 || len(r.cfg.clientOpts) > 0
}

func (r *stageRunner) clientOpts() []kgo.Opt {
	opts := []kgo.Opt{kgo.WithLogger(kgoLogger{r.log})}
	if len(r.cfg.brokers) > 0 {
		opts = append(opts, kgo.SeedBrokers(r.cfg.brokers...))
	}
	return append(opts, r.cfg.clientOpts...)
}

// producer tracks the outcome of asynchronous produces.
type producer struct {
	cl  *kgo.Client
	mu  sync.Mutex
	err error
}

func (p *producer) produce(ctx context.Context, recs []*kgo.Record) {
	for _, rec := range recs {
		p.cl.Produce(ctx, rec, p.promise)
	}
}

func (p *producer) promise(rec *kgo.Record, err error) {
	if err == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = fmt.Errorf("produce to %s: %w", rec.Topic, err)
	}
}

// flush waits for every produce and returns the first failure.
func (p *producer) flush(ctx context.Context) error {
	if err := p.cl.Flush(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (r *stageRunner) ensureTopics(ctx context.Context, cl *kgo.Client, topics []string) error {
	return kafka.EnsureTopics(ctx, kadm.NewClient(cl), topics, r.cfg.partitions)
}

// runFiles runs a stage whose inputs are bounded files: every file is read
// once (tables first) into one engine, which is then drained.
func (r *stageRunner) runFiles(ctx context.Context) error {
	g, err := r.newGroup(ctx, 0, nil, "")
	if err != nil {
		return err
	}
	defer g.eng.Close()

	var prod *producer
	if r.hasBroker() {
		admin, err := kgo.NewClient(r.clientOpts()...)
		if err != nil {
			return fmt.Errorf("kafka client: %w", err)
		}
		err = r.ensureTopics(ctx, admin, r.outputTopics())
		if err == nil {
			r.limits = r.topicLimits(ctx, admin, r.outputTopics())
		}
		admin.Close()
		if err != nil {
			return err
		}
		cl, err := kgo.NewClient(append(r.clientOpts(), r.batchLimit()...)...)
		if err != nil {
			return fmt.Errorf("kafka client: %w", err)
		}
		defer cl.Close()
		prod = &producer{cl: cl}
	}
	write := func(b *batch) error {
		if err := r.writeFiles(b); err != nil {
			return err
		}
		if prod != nil {
			prod.produce(ctx, b.records)
		} else if err := r.writeWithoutBroker(b.records); err != nil {
			return err
		}
		r.account(b)
		return nil
	}

	// Files carry no timestamps: every line gets the time the run started,
	// so that a run is deterministic within itself.
	startMs := time.Now().UnixMilli()
	b := newBatch(r)
	for _, fi := range r.fileInputs {
		src, err := files.Open(fi.path)
		if err != nil {
			return err
		}
		limit := r.plan.Pipeline.Operator(fi.stream).Source.RecordLimit()
		src.SetLimit(int(limit))
		counter := r.m.recordsIn.WithLabelValues(r.pipeline, r.stage.ID, fi.stream)
		for {
			// A view: the engine keeps no input bytes (runtime/record), and
			// what the batch keeps it copies.
			line, err := src.NextView()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				src.Close()
				return err
			}
			in := native.Input{Stream: fi.stream, Offset: line.Offset, Value: line.Value, TimestampMs: startMs}
			if line.Truncated() {
				// Only its start was read: dead-letter that much.
				b.addDead(&kgo.Record{Topic: r.dlqTopic, Value: bytes.Clone(line.Value), Timestamp: RecordTimestamp(startMs),
					Headers: append([]kgo.RecordHeader{
						{Key: record.HeaderError, Value: fmt.Appendf(nil, "%s line %d is %d bytes long, more than the source's max_record_bytes (%d); reading goes on after it", fi.path, line.Offset+1, line.Size, limit)},
						{Key: record.HeaderReason, Value: []byte(record.ReasonTooLarge)},
						{Key: record.HeaderOperator, Value: []byte(fi.stream)},
					}, r.originHeaders(fi.stream, 0, line.Offset)...)}, fi.stream, record.ReasonTooLarge, line.Size)
			} else if err := g.eng.Process(ctx, in, b); err != nil {
				src.Close()
				return fmt.Errorf("process %s line %d: %w", fi.path, line.Offset+1, err)
			}
			r.in.Add(1)
			counter.Inc()
			if len(b.records)+len(b.files) >= fileBatchSize {
				if err := flush(ctx, g.eng, b); err != nil {
					src.Close()
					return fmt.Errorf("process %s: %w", fi.path, err)
				}
				if err := write(b); err != nil {
					src.Close()
					return err
				}
				b = b.next()
				if err := ctx.Err(); err != nil {
					src.Close()
					return err
				}
			}
		}
		src.Close()
	}
	if err := flush(ctx, g.eng, b); err != nil {
		return fmt.Errorf("process: %w", err)
	}
	if err := g.eng.Drain(ctx, b); err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	if err := write(b); err != nil {
		return err
	}
	if prod != nil {
		if err := prod.flush(ctx); err != nil {
			return err
		}
	}
	if err := r.flushFiles(); err != nil {
		return err
	}
	r.log.Info("file inputs done", "records_in", r.in.Load(), "records_out", r.out.Load(), "dead_letters", r.dead.Load())
	return nil
}

// writeWithoutBroker handles topic records of a run with no broker at all:
// dead letters go to a JSON-lines file next to the state (never dropped);
// anything else is an error, since a topic sink needs a broker.
func (r *stageRunner) writeWithoutBroker(recs []*kgo.Record) error {
	for _, rec := range recs {
		if rec.Topic != r.dlqTopic {
			return fmt.Errorf("topic %q: no broker configured", rec.Topic)
		}
		path := r.cfg.deadLetterFile
		if path == "" {
			path = filepath.Join(r.cfg.stateDir, r.dlqTopic+".jsonl")
		}
		s, err := r.fileSink(path)
		if err != nil {
			return err
		}
		dl := deadLetterLine{Headers: map[string]string{}, Key: string(rec.Key), Value: string(rec.Value)}
		for _, h := range rec.Headers {
			dl.Headers[h.Key] = string(h.Value)
		}
		line, err := json.Marshal(dl)
		if err != nil {
			return fmt.Errorf("dead letter: %w", err)
		}
		if err := s.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// deadLetterLine is a dead letter written to a file when there is no broker.
type deadLetterLine struct {
	Headers map[string]string `json:"headers"`
	Key     string            `json:"key,omitempty"`
	Value   string            `json:"value"`
}

// consumer is the part of kgo.Client and kgo.GroupTransactSession the topic
// loop uses.
type consumer interface {
	PollRecords(ctx context.Context, n int) kgo.Fetches
	AllowRebalance()
	Close()
}

// runTopics consumes the stage's topics in its consumer group until ctx is
// cancelled or the stage has been idle for the configured time.
func (r *stageRunner) runTopics(ctx context.Context) error {
	l, err := r.setupTopics(ctx)
	if err != nil {
		return err
	}
	defer l.close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.rebalance()
		t, err := l.poll(ctx)
		if err != nil {
			return err
		}
		if t.done {
			return nil
		}
		if !t.work() {
			l.cons.AllowRebalance()
			continue
		}
		touched, err := l.process(ctx, t)
		if err != nil {
			return err
		}
		committed, err := l.commit(ctx, touched)
		if err != nil {
			return err
		}
		if !committed {
			continue
		}
		if t.drain {
			r.log.Info("idle; drained and committed", "idle", r.cfg.idle,
				"records_in", r.in.Load(), "records_out", r.out.Load(), "dead_letters", r.dead.Load())
			return nil
		}
	}
}

// topicLoop is one consuming run of a stage over its topics: the consumer
// group client, the producer and the engines of the partition groups it
// holds. Each iteration is rebalance → poll → process → commit.
type topicLoop struct {
	r          *stageRunner
	sess       *kgo.GroupTransactSession // nil unless exactly once
	cl         *kgo.Client
	cons       consumer
	prod       *producer
	revoked    *revocations
	assignedAt *atomic.Int64 // unix nanos of the last assignment
	stopTables func()

	bounds *bounds // nil unless Bounded bounds an input topic

	groups      map[int32]*pgroup
	lags        map[string]int64
	lastInput   time.Time
	lastAdvance time.Time
}

// tick is what one poll asks the loop to do.
type tick struct {
	byPG      map[int32][]*kgo.Record
	now       time.Time
	advance   bool // move watermarks by the wall clock
	drain     bool // idle: drain every engine, commit and stop
	done      bool // idle with nothing to drain: stop
	committed map[string]map[int32]kgo.EpochOffset
	// snapshots holds the committed offsets' metadata, fetched at most
	// once per tick by committedSnapshot.
	snapshots kadm.OffsetResponses
}

// work reports whether the tick needs a transaction.
func (t *tick) work() bool { return len(t.byPG) > 0 || t.advance || t.drain }

// setupTopics creates the topics, reads the global tables and joins the
// consumer group, transactionally when a sink is exactly once.
func (r *stageRunner) setupTopics(ctx context.Context) (_ *topicLoop, err error) {
	admin, err := kgo.NewClient(r.clientOpts()...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	err = r.ensureTopics(ctx, admin, append(r.inputTopics(), r.outputTopics()...))
	if err == nil {
		err = r.countOrigins(ctx, admin)
	}
	if err == nil {
		r.limits = r.topicLimits(ctx, admin, r.outputTopics())
	}
	admin.Close()
	if err != nil {
		return nil, err
	}
	// Global tables are read to their end before any stream record.
	stopTables, err := r.tables.start(ctx, r)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			stopTables()
		}
	}()

	l := &topicLoop{
		r:          r,
		revoked:    &revocations{},
		assignedAt: &atomic.Int64{},
		stopTables: stopTables,
		groups:     map[int32]*pgroup{},
		lags:       map[string]int64{},
	}
	// A short transaction timeout bounds how long a crashed predecessor with
	// another instance ID can hold back read_committed consumers; the
	// caller's client options may override it.
	opts := append([]kgo.Opt{kgo.TransactionTimeout(10 * time.Second)}, r.clientOpts()...)
	opts = append(opts, r.batchLimit()...)
	opts = append(opts,
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			l.assignedAt.Store(time.Now().UnixNano())
		}),
		kgo.ConsumerGroup(r.group),
		kgo.ConsumeTopics(r.groupTopics()...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.Balancers(kgo.RangeBalancer()),
		kgo.OnPartitionsRevoked(l.revoked.add),
		kgo.OnPartitionsLost(l.revoked.add),
	)
	if r.cfg.static {
		opts = append(opts, kgo.InstanceID(TransactionalID(r.plan, r.stage, r.cfg.instance)))
	}
	starts, err := r.startOffsets()
	if err != nil {
		return nil, err
	}
	var adjust func(context.Context, map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error)
	if starts != nil {
		adjust = adjustStart(starts)
	}
	if l.bounds = newBounds(r); l.bounds != nil {
		adjust = l.bounds.adjust(adjust)
	}
	if adjust != nil {
		opts = append(opts, kgo.AdjustFetchOffsetsFn(adjust))
	}
	if r.exactlyOnce {
		txnID := TransactionalID(r.plan, r.stage, r.cfg.instance)
		sess, err := kgo.NewGroupTransactSession(append(opts,
			kgo.TransactionalID(txnID),
			kgo.RequireStableFetchOffsets(),
		)...)
		if err != nil {
			return nil, fmt.Errorf("kafka transact session: %w", err)
		}
		l.sess, l.cl, l.cons = sess, sess.Client(), sess
		// Initialize the producer ID now, not at the first produce: that
		// fences a crashed predecessor with the same transactional ID and
		// aborts its open transaction, whose offset commit would otherwise
		// hold back our own (stable) offset fetch until it times out.
		if _, _, err := l.cl.ProducerID(ctx); err != nil {
			sess.Close()
			return nil, fmt.Errorf("init transactional producer %s: %w", txnID, err)
		}
		r.log.Info("consuming", "group", r.group, "topics", r.inputTopics(), "delivery", "exactly_once", "transactional_id", txnID)
	} else {
		cl, err := kgo.NewClient(append(opts, kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll())...)
		if err != nil {
			return nil, fmt.Errorf("kafka client: %w", err)
		}
		l.cl, l.cons = cl, cl
		r.log.Info("consuming", "group", r.group, "topics", r.inputTopics(), "delivery", "at_least_once")
	}
	l.prod = &producer{cl: l.cl}
	l.lastInput = time.Now()
	l.lastAdvance = l.lastInput
	return l, nil
}

// close leaves the group and releases the engines and table readers.
func (l *topicLoop) close() {
	l.closeGroups(func(int32) bool { return true })
	// With BlockRebalanceOnPoll, leaving the group waits for
	// AllowRebalance: a stop between a poll and its commit must allow it,
	// or Close never returns.
	l.cons.AllowRebalance()
	l.cons.Close()
	l.stopTables()
}

func (l *topicLoop) closeGroups(which func(int32) bool) {
	for pg, g := range l.groups {
		if which(pg) {
			g.eng.Close()
			l.r.tables.forget(g)
			delete(l.groups, pg)
		}
	}
}

// rebalance drops the engines of partitions revoked or lost since the last
// iteration; a later assignment restores them from their checkpoints.
func (l *topicLoop) rebalance() {
	if pgs := l.revoked.take(); len(pgs) > 0 {
		l.closeGroups(func(pg int32) bool { return pgs[pg] })
	}
}

// poll fetches the next records, updates lag and idle tracking, and
// decides whether this iteration advances, drains or stops.
func (l *topicLoop) poll(ctx context.Context) (*tick, error) {
	r := l.r
	pollCtx, cancel := context.WithTimeout(ctx, pollWait)
	fetches := l.cons.PollRecords(pollCtx, r.cfg.pollMax)
	cancel()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if fetches.IsClientClosed() {
		return nil, kgo.ErrClientClosed
	}
	fetches.EachError(func(topic string, p int32, err error) {
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			r.log.Warn("fetch", "topic", topic, "partition", p, "err", err)
		}
	})
	t := &tick{byPG: map[int32][]*kgo.Record{}, now: time.Now()}
	var ended map[string][]int32
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if l.bounds != nil {
			var reached bool
			if p.Records, reached = l.bounds.cut(p.Topic, p.Partition, p.Records); reached {
				if ended == nil {
					ended = map[string][]int32{}
				}
				ended[p.Topic] = append(ended[p.Topic], p.Partition)
			}
		}
		if len(p.Records) == 0 {
			return
		}
		t.byPG[p.Partition] = append(t.byPG[p.Partition], p.Records...)
		last := p.Records[len(p.Records)-1]
		lag := max(l.bounds.endOf(p.Topic, p.Partition, p.HighWatermark)-(last.Offset+1), 0)
		l.lags[p.Topic+"/"+strconv.Itoa(int(p.Partition))] = lag
		r.m.lag.WithLabelValues(r.pipeline, r.stage.ID, p.Topic, strconv.Itoa(int(p.Partition))).Set(float64(lag))
		r.m.recordsIn.WithLabelValues(r.pipeline, r.stage.ID, r.topicStreams[p.Topic]).Add(float64(len(p.Records)))
		r.in.Add(int64(len(p.Records)))
	})
	if ended != nil {
		l.cl.PauseFetchPartitions(ended) // past the end of a bounded run
	}
	var totalLag int64
	for _, lag := range l.lags {
		totalLag += lag
	}
	r.lag.Store(totalLag)

	if len(t.byPG) > 0 {
		l.lastInput = t.now
	}
	idleAfter := r.cfg.idle
	if at := l.assignedAt.Load(); at == 0 {
		// Not in the group yet: joining can take a rebalance.
		idleAfter = max(idleAfter, joinGrace)
	} else if a := time.Unix(0, at); a.After(l.lastInput) {
		l.lastInput = a // idle time counts from the last assignment
	}
	t.advance = len(l.groups) > 0 && t.now.Sub(l.lastAdvance) >= advanceEvery
	t.drain = r.cfg.idle > 0 && len(t.byPG) == 0 && t.now.Sub(l.lastInput) >= idleAfter && r.upstreamDone()
	// A bounded run's input is over once every partition reached its end.
	t.drain = t.drain || len(t.byPG) == 0 && l.bounds.done()
	t.committed = l.cl.CommittedOffsets()
	if t.drain {
		// Partition groups without new input may still hold state
		// restored from a checkpoint (open windows): drain them too.
		for pg := range r.assignedGroups(t.committed) {
			if err := l.ensureGroup(ctx, t, pg); err != nil {
				return nil, err
			}
		}
		if len(l.groups) == 0 {
			r.log.Info("idle; nothing to drain", "idle", r.cfg.idle)
			t.done = true
		}
	}
	return t, nil
}

// ensureGroup builds partition group pg's engine, restored at the
// committed offsets, unless it is already running.
func (l *topicLoop) ensureGroup(ctx context.Context, t *tick, pg int32) error {
	if l.groups[pg] != nil {
		return nil
	}
	committed := l.r.groupOffsets(t.committed, pg)
	var snapID string
	if l.r.cfg.stateDir != "" && len(committed) > 0 {
		var err error
		if snapID, err = l.committedSnapshot(ctx, t, pg); err != nil {
			return err
		}
	}
	g, err := l.r.newGroup(ctx, pg, committed, snapID)
	if err != nil {
		return err
	}
	g.offsets = committed
	l.groups[pg] = g
	return nil
}

// process runs one transaction's worth of work: it feeds the polled
// records to the engines, produces their output and checkpoints the groups
// that changed. It returns those groups; on error the transaction is
// aborted.
func (l *topicLoop) process(ctx context.Context, t *tick) ([]*pgroup, error) {
	r := l.r
	if t.advance {
		l.lastAdvance = t.now
	}
	for pg := range t.byPG {
		if err := l.ensureGroup(ctx, t, pg); err != nil {
			return nil, err
		}
	}
	if l.sess != nil {
		if err := l.sess.Begin(); err != nil {
			return nil, fmt.Errorf("begin transaction: %w", err)
		}
	}
	touched, batches, err := r.process(ctx, l.groups, t.byPG, t.advance, t.drain, t.now.UnixMilli())
	if err == nil {
		for _, b := range batches {
			if err = r.writeFiles(b); err != nil {
				break
			}
			l.prod.produce(ctx, b.records)
			r.account(b)
		}
	}
	if err == nil {
		err = l.prod.flush(ctx)
	}
	if err == nil {
		// An Advance that emitted nothing needs no snapshot: no committed
		// output depends on it, and replay calls Advance again.
		var changed []*pgroup
		for i, g := range touched {
			if t.drain || len(t.byPG[g.id]) > 0 || len(batches[i].records)+len(batches[i].files) > 0 {
				changed = append(changed, g)
			}
		}
		touched = changed
		err = r.checkpoint(touched, l.cl.UncommittedOffsets())
	}
	if err != nil {
		if l.sess != nil {
			if _, aerr := l.sess.End(context.WithoutCancel(ctx), kgo.TryAbort); aerr != nil {
				r.log.Warn("abort transaction", "err", aerr)
			}
		}
		return nil, err
	}
	return touched, nil
}

// commit commits the offsets (and the transaction) of what process
// produced, then prunes old checkpoints of the touched groups. It returns
// false when a rebalance aborted the transaction: the engines are then
// dropped, to be rebuilt at the committed offsets.
func (l *topicLoop) commit(ctx context.Context, touched []*pgroup) (bool, error) {
	r := l.r
	ids := checkpointIDs(touched)
	if l.sess != nil {
		committed, err := l.sess.End(kgo.PreTxnCommitFnContext(ctx, l.txnMetadata(ids)), kgo.TryCommit)
		if err != nil {
			return false, fmt.Errorf("end transaction: %w", err)
		}
		if !committed {
			// A rebalance aborted the transaction: the session rewinds
			// to the committed offsets, so the engines must rewind too.
			r.m.commits.WithLabelValues(r.pipeline, r.stage.ID, "aborted").Inc()
			r.log.Info("transaction aborted by a rebalance; replaying from the committed offsets")
			l.closeGroups(func(int32) bool { return true })
			return false, nil
		}
	} else if err := l.commitOffsets(ctx, ids); err != nil {
		return false, fmt.Errorf("commit offsets: %w", err)
	}
	r.m.commits.WithLabelValues(r.pipeline, r.stage.ID, "committed").Inc()
	if err := r.flushFiles(); err != nil {
		return false, err
	}
	for _, g := range touched {
		if err := g.prune(); err != nil {
			r.log.Warn("prune checkpoints", "err", err)
		}
	}
	l.cons.AllowRebalance()
	return true, nil
}

// process feeds each partition group's records to its engine, one goroutine
// per partition group, and returns the groups it touched with their
// batches.
func (r *stageRunner) process(ctx context.Context, groups map[int32]*pgroup, byPG map[int32][]*kgo.Record, advance, drain bool, nowMs int64) ([]*pgroup, []*batch, error) {
	var touched []*pgroup
	for pg, g := range groups {
		if len(byPG[pg]) > 0 || advance || drain {
			touched = append(touched, g)
		}
	}
	batches := make([]*batch, len(touched))
	errs := make([]error, len(touched))
	var wg sync.WaitGroup
	slots := make(chan struct{}, cmp.Or(r.cfg.parallelism, max(len(touched), 1)))
	for i, g := range touched {
		batches[i] = newBatch(r)
		batches[i].origin = g.id
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			errs[i] = r.feed(ctx, g, byPG[g.id], batches[i], advance, drain, nowMs)
		})
	}
	wg.Wait()
	return touched, batches, errors.Join(errs...)
}

func (r *stageRunner) feed(ctx context.Context, g *pgroup, recs []*kgo.Record, b *batch, advance, drain bool, nowMs int64) error {
	if err := r.tables.catchUp(ctx, g, r, b); err != nil {
		return err
	}
	for _, rec := range recs {
		in := native.Input{
			Stream:      r.topicStreams[rec.Topic],
			Partition:   r.inputPartition(rec),
			Offset:      rec.Offset,
			Key:         rec.Key,
			Value:       rec.Value,
			TimestampMs: eventTimeOf(rec),
			Kind:        rowKindOf(rec),
		}
		b.cur = &in
		if err := g.eng.Process(ctx, in, b); err != nil {
			return fmt.Errorf("process %s/%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
		}
	}
	b.cur = nil
	if err := flush(ctx, g.eng, b); err != nil {
		return fmt.Errorf("process partition group %d: %w", g.id, err)
	}
	if advance {
		if err := g.eng.Advance(ctx, nowMs, b); err != nil {
			return fmt.Errorf("advance partition group %d: %w", g.id, err)
		}
	}
	if drain {
		if err := g.eng.Drain(ctx, b); err != nil {
			return fmt.Errorf("drain partition group %d: %w", g.id, err)
		}
	}
	r.wms.note(g)
	return nil
}

// assignedGroups returns the partition groups with committed offsets in the
// client's view, which covers the partitions assigned to it.
func (r *stageRunner) assignedGroups(offs map[string]map[int32]kgo.EpochOffset) map[int32]bool {
	pgs := map[int32]bool{}
	for topic, parts := range offs {
		if _, ok := r.topicStreams[topic]; !ok {
			continue
		}
		for p, eo := range parts {
			if eo.Offset >= 0 {
				pgs[p] = true
			}
		}
	}
	return pgs
}

// checkpoint snapshots the touched partition groups at the offsets about to
// be committed. uncommitted holds only the partitions consumed since the
// last commit; each group's other partitions keep the offsets it already
// had, so that the snapshot's offsets equal the group's committed offsets
// in full after the commit, which is what a restart looks for.
func (r *stageRunner) checkpoint(touched []*pgroup, uncommitted map[string]map[int32]kgo.EpochOffset) error {
	if r.cfg.stateDir == "" || len(touched) == 0 {
		return nil
	}
	start := time.Now()
	for _, g := range touched {
		offs := maps.Clone(g.offsets)
		if offs == nil {
			offs = map[string]int64{}
		}
		maps.Copy(offs, r.groupOffsets(uncommitted, g.id))
		if err := g.checkpoint(offs); err != nil {
			return err
		}
		g.offsets = offs
	}
	r.m.checkpoint.WithLabelValues(r.pipeline, r.stage.ID).Observe(time.Since(start).Seconds())
	return nil
}

// revocations collects partitions revoked by rebalances, from franz-go's
// callbacks, for the loop to drop their engines.
type revocations struct {
	mu  sync.Mutex
	pgs map[int32]bool
}

func (rv *revocations) add(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.pgs == nil {
		rv.pgs = map[int32]bool{}
	}
	for _, ps := range lost {
		for _, p := range ps {
			rv.pgs[p] = true
		}
	}
}

func (rv *revocations) take() map[int32]bool {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	pgs := rv.pgs
	rv.pgs = nil
	return pgs
}
