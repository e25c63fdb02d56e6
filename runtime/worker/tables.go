package worker

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
)

// globalTableTopics returns the input topics of the stage that are read as
// global tables: topics carrying a table source whose only consumers in the
// stage are stream–table joins (as their right input), in a stage that also
// reads a stream topic. Every partition group receives all of their
// partitions. A stage that reads nothing but tables, or a table that also
// feeds other operators (whose outputs would be repeated by every partition
// group), is read through the consumer group like a stream.
func (r *stageRunner) globalTableTopics() map[string]bool {
	pl := r.plan.Pipeline
	inStage := map[string]bool{}
	for _, id := range r.stage.Operators {
		inStage[id] = true
	}
	tables := map[string]bool{}
	streams := 0
	for topic, stream := range r.topicStreams {
		if !isTableSource(pl, stream) {
			streams++
			continue
		}
		global := true
		for _, op := range pl.Operators {
			if !inStage[op.ID] {
				continue
			}
			for k, in := range op.Inputs {
				if in == stream && (op.Join == nil || k != 1) {
					global = false
				}
			}
		}
		if global {
			tables[topic] = true
		}
	}
	if streams == 0 {
		return nil
	}
	return tables
}

// groupTopics returns the input topics consumed through the consumer group:
// all but the global tables, sorted.
func (r *stageRunner) groupTopics() []string {
	var ts []string
	for _, t := range r.inputTopics() {
		if !r.tables.topics[t] {
			ts = append(ts, t)
		}
	}
	return ts
}

// globalTables follows the global table topics of a stage by direct
// partition assignment (outside the consumer group, whose offsets it never
// commits) and keeps every table record read, in order, so that any
// partition group's engine, new or restored from a checkpoint, can be
// brought up to date by replaying them: a table holds the latest value per
// key, so replaying a prefix it has already seen changes nothing.
//
// The records are kept in memory for the life of the stage: a table must
// fit in memory once per worker (and once per partition group in the
// engines' state).
type globalTables struct {
	topics map[string]bool // nil: no global tables

	mu       sync.Mutex
	log      []*kgo.Record
	reported int             // dead letters of log[:reported] were emitted
	pos      map[*pgroup]int // per engine: log[:pos] was fed to it
	caughtUp chan struct{}   // closed once the tables were read to their end
	next     map[string]map[int32]int64
}

// start reads every partition of the table topics from its start until
// ctx is done; start returns once the tables have been read to the end
// offsets they had when it was called.
// The returned stop ends the following.
func (t *globalTables) start(ctx context.Context, r *stageRunner) (stop func(), err error) {
	if len(t.topics) == 0 {
		return func() {}, nil
	}
	ctx, stop = context.WithCancel(ctx)
	defer func() {
		if err != nil {
			stop()
		}
	}()
	t.pos = map[*pgroup]int{}
	t.caughtUp = make(chan struct{})
	var topics []string
	for topic := range t.topics {
		topics = append(topics, topic)
	}
	sort.Strings(topics)

	admCl, err := kgo.NewClient(r.clientOpts()...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	adm := kadm.NewClient(admCl)
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err == nil {
		err = starts.Error()
	}
	var ends kadm.ListedOffsets
	if err == nil {
		// The last stable offset: what a read_committed reader can reach.
		ends, err = adm.ListCommittedOffsets(ctx, topics...)
	}
	if err == nil {
		err = ends.Error()
	}
	admCl.Close()
	if err != nil {
		return nil, fmt.Errorf("list offsets of tables %v: %w", topics, err)
	}
	assign := map[string]map[int32]kgo.Offset{}
	end := map[string]map[int32]int64{}
	t.next = map[string]map[int32]int64{}
	starts.Each(func(o kadm.ListedOffset) {
		if assign[o.Topic] == nil {
			assign[o.Topic], end[o.Topic], t.next[o.Topic] = map[int32]kgo.Offset{}, map[int32]int64{}, map[int32]int64{}
		}
		assign[o.Topic][o.Partition] = kgo.NewOffset().At(o.Offset)
		t.next[o.Topic][o.Partition] = o.Offset
		end[o.Topic][o.Partition] = o.Offset
		if e, ok := ends.Lookup(o.Topic, o.Partition); ok {
			end[o.Topic][o.Partition] = e.Offset
		}
	})
	cl, err := kgo.NewClient(append(r.clientOpts(),
		kgo.ConsumePartitions(assign),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Control records (transaction markers) take offsets too: without
		// them the reader could not tell it reached the end offset.
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	r.log.Info("following global tables", "topics", topics)
	done := func() bool {
		for topic, parts := range end {
			for p, e := range parts {
				if t.next[topic][p] < e {
					return false
				}
			}
		}
		return true
	}
	if done() {
		close(t.caughtUp)
	}
	go func() {
		defer cl.Close()
		caught := done()
		for {
			fetches := cl.PollFetches(ctx)
			if ctx.Err() != nil || fetches.IsClientClosed() {
				return
			}
			fetches.EachError(func(topic string, p int32, err error) {
				if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
					r.log.Warn("fetch table", "topic", topic, "partition", p, "err", err)
				}
			})
			t.mu.Lock()
			fetches.EachPartition(func(p kgo.FetchTopicPartition) {
				n := 0
				for _, rec := range p.Records {
					t.next[p.Topic][p.Partition] = rec.Offset + 1
					if !rec.Attrs.IsControl() {
						t.log = append(t.log, rec)
						n++
					}
				}
				r.m.recordsIn.WithLabelValues(r.pipeline, r.stage.ID, r.topicStreams[p.Topic]).Add(float64(n))
				r.m.lag.WithLabelValues(r.pipeline, r.stage.ID, p.Topic, strconv.Itoa(int(p.Partition))).
					Set(float64(max(p.HighWatermark-t.next[p.Topic][p.Partition], 0)))
			})
			if !caught && done() {
				caught = true
				close(t.caughtUp)
			}
			t.mu.Unlock()
		}
	}()
	select {
	case <-t.caughtUp:
		t.mu.Lock()
		n := len(t.log)
		t.mu.Unlock()
		r.log.Info("global tables read to their end", "records", n)
		return stop, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// catchUp feeds the engine of g every table record it has not seen yet.
// A table record's dead letter is emitted by the first engine fed it, not
// by every partition group.
func (t *globalTables) catchUp(ctx context.Context, g *pgroup, r *stageRunner, b *batch) error {
	if len(t.topics) == 0 {
		return nil
	}
	t.mu.Lock()
	from, to := t.pos[g], len(t.log)
	recs := t.log[from:to]
	report := max(t.reported, from)
	t.reported = max(t.reported, to)
	t.pos[g] = to
	t.mu.Unlock()
	em := &tableEmitter{b: b}
	for i, rec := range recs {
		em.report = from+i >= report
		in := native.Input{
			Stream:      r.topicStreams[rec.Topic],
			Partition:   rec.Partition,
			Offset:      rec.Offset,
			Key:         rec.Key,
			Value:       rec.Value,
			TimestampMs: eventTimeOf(rec),
		}
		if err := g.eng.Process(ctx, in, em); err != nil {
			return fmt.Errorf("process table %s/%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err)
		}
	}
	return nil
}

// forget drops the position of an engine that was closed.
func (t *globalTables) forget(g *pgroup) {
	if len(t.topics) == 0 {
		return
	}
	t.mu.Lock()
	delete(t.pos, g)
	t.mu.Unlock()
}

// tableEmitter passes a table record's outputs on, and its dead letters
// only when they were not reported by another partition group.
type tableEmitter struct {
	b      *batch
	report bool
}

func (e *tableEmitter) Emit(o native.Output) error { return e.b.Emit(o) }

func (e *tableEmitter) DeadLetter(dl native.DeadLetter) error {
	if !e.report {
		return nil
	}
	return e.b.DeadLetter(dl)
}

// isTableSource reports whether stream is a table source of the pipeline.
func isTableSource(pl *ir.Pipeline, stream string) bool {
	src := pl.Operator(stream)
	return src != nil && src.Source != nil && src.Source.Table
}
