package worker

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir"
)

// HeaderOrigin names, on a channel record, the partition group of the
// producing stage that emitted it.
//
// Every partition group of a producing stage writes to every partition of a
// channel topic (a repartition channel sends each key where it hashes), so
// one channel partition interleaves several event-time sequences, each in
// order, with no order between them. A consumer that took one partition's
// greatest event time as its progress would see one producer run ahead and
// declare the others' records late. The consumer therefore tracks event time
// per channel partition and origin: the engine sees each (partition, origin)
// pair as an input partition of its own (see subPartition), and its
// watermark waits for every origin the producing stage has.
const HeaderOrigin = "pipeline.origin"

// Sub-partition numbering: partition p of a channel topic, written by origin
// o, is engine partition o<<originShift | p. Channel topics have fewer than
// 1<<originShift partitions.
const originShift = 16

func subPartition(p, origin int32) int32 { return origin<<originShift | p }

// realPartition is the channel partition of an engine partition.
func realPartition(sub int32) int32 { return sub & (1<<originShift - 1) }

// origins describes the channel topics a stage reads and writes.
type origins struct {
	out map[string]bool  // channel topics the stage produces to
	in  map[string]bool  // channel topics the stage consumes
	n   map[string]int32 // per consumed channel stream: the producer's partition groups
}

// initOrigins finds the stage's channel topics.
func (r *stageRunner) initOrigins() {
	r.origins = origins{out: map[string]bool{}, in: map[string]bool{}, n: map[string]int32{}}
	inStage := map[string]bool{}
	for _, id := range r.stage.Operators {
		inStage[id] = true
	}
	for _, ch := range r.plan.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		switch {
		case inStage[prod] && !inStage[ch.To]:
			r.origins.out[ch.Topic] = true
		case inStage[ch.To] && !inStage[prod]:
			r.origins.in[ch.Topic] = true
			r.origins.n[ch.Stream] = 1
		}
	}
}

// countOrigins asks the broker how many partition groups produce each
// channel stream the stage reads: the greatest partition count among the
// group topics of the producing stage (one for a stage that reads files,
// and for stages of backends this worker does not run, which do not mark
// origins).
func (r *stageRunner) countOrigins(ctx context.Context, cl *kgo.Client) error {
	if len(r.origins.n) == 0 {
		return nil
	}
	adm := kadm.NewClient(cl)
	for stream := range r.origins.n {
		prod, _ := ir.StreamOperator(stream)
		st := r.plan.StageOf(prod)
		if st == nil || !r.cfg.runs(st.Backend) {
			continue
		}
		up, err := newStageRunner(r.plan, st, r.cfg)
		if err != nil || len(up.fileInputs) > 0 {
			continue
		}
		topics := up.groupTopics()
		if len(topics) == 0 {
			continue
		}
		details, err := adm.ListTopics(ctx, topics...)
		if err != nil {
			return fmt.Errorf("list topics of stage %s: %w", st.ID, err)
		}
		n := int32(1)
		for _, d := range details {
			n = max(n, int32(len(d.Partitions)))
		}
		r.origins.n[stream] = n
	}
	return nil
}

// enginePartitions returns the engine partitions of stream in partition
// group pg: pg itself, or for a channel stream one per origin.
func (r *stageRunner) enginePartitions(stream string, pg int32) []int32 {
	n, ok := r.origins.n[stream]
	if !ok {
		return []int32{pg}
	}
	ps := make([]int32, n)
	for o := range n {
		ps[o] = subPartition(pg, o)
	}
	return ps
}

// inputPartition is the engine partition of a consumed record.
func (r *stageRunner) inputPartition(rec *kgo.Record) int32 {
	if !r.origins.in[rec.Topic] {
		return rec.Partition
	}
	var origin int32
	for _, h := range rec.Headers {
		if h.Key == HeaderOrigin {
			if o, err := strconv.ParseInt(string(h.Value), 10, 32); err == nil && o >= 0 && o < 1<<(31-originShift) {
				origin = int32(o)
			}
			break
		}
	}
	return subPartition(rec.Partition, origin)
}

// sourcePartition is the topic partition of an engine input partition, for
// dead-letter headers.
func (r *stageRunner) sourcePartition(stream string, p int32) int32 {
	if _, ok := r.origins.n[stream]; ok {
		return realPartition(p)
	}
	return p
}

// originHeader marks a record produced to a channel topic with its origin.
func (r *stageRunner) originHeader(topic string, pg int32) []kgo.RecordHeader {
	if !r.origins.out[topic] {
		return nil
	}
	return []kgo.RecordHeader{{Key: HeaderOrigin, Value: []byte(strconv.Itoa(int(pg)))}}
}

// linkUpstream records, for every runner, the runners of the same Run that
// produce its channel inputs. With ExitWhenIdle a stage drains only once
// they have finished: a producing stage's last outputs (the windows its
// own drain fires) arrive after it went idle, and a consumer that had
// already drained and exited would lose them.
func linkUpstream(runners []*stageRunner) {
	byStage := map[string]*stageRunner{}
	for _, r := range runners {
		byStage[r.stage.ID] = r
	}
	for _, r := range runners {
		for _, ch := range r.plan.Channels {
			if !r.origins.in[ch.Topic] {
				continue
			}
			prod, _ := ir.StreamOperator(ch.From)
			st := r.plan.StageOf(prod)
			if st == nil || st.ID == r.stage.ID {
				continue
			}
			if up := byStage[st.ID]; up != nil && !slices.Contains(r.upstream, up) {
				r.upstream = append(r.upstream, up)
			}
		}
	}
}

// upstreamDone reports whether every upstream runner of this Run, and
// every external upstream stage (ExternalUpstream) this stage reads
// channels of, finished.
func (r *stageRunner) upstreamDone() bool {
	for _, up := range r.upstream {
		if !up.done.Load() {
			return false
		}
	}
	for _, ch := range r.plan.Channels {
		if !r.origins.in[ch.Topic] {
			continue
		}
		prod, _ := ir.StreamOperator(ch.From)
		st := r.plan.StageOf(prod)
		if st == nil {
			continue
		}
		if done := r.cfg.external[st.ID]; done != nil {
			select {
			case <-done:
			default:
				return false
			}
		}
	}
	return true
}
