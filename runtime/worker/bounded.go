package worker

import (
	"context"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// OffsetRange is a half-open range of offsets [Start, End) of one
// partition.
type OffsetRange struct{ Start, End int64 }

// Bounded makes a bounded run over past input (pipeline replay): partition
// p of topic t in ranges starts at its first record at or after fromMs
// where the stage's group has no committed offset (a fresh group: every
// partition), which is ranges[t][p].Start as Kafka's time index gave it to
// the caller, and its records at or past End are not processed; once a
// partition has reached End it is paused. (The start is given as a time,
// not as Start: kgo takes an exact start offset for a committed one, and a
// stateful stage would then look for a checkpoint at it.) A stage that reads only bounded topics drains (every
// open window fires), commits and finishes as soon as all their partitions
// have reached their ends; a stage reading channel topics finishes as with
// ExitWhenIdle, once its upstream stages have finished (give ExitWhenIdle
// too). A partition whose range ends in transaction markers, which a
// read_committed consumer never receives, ends by ExitWhenIdle as well.
//
// Global table topics are not bounded: they are read whole.
func Bounded(fromMs int64, ranges map[string]map[int32]OffsetRange) Option {
	return func(c *config) { c.bounds, c.boundsFromMs = ranges, fromMs }
}

// boundedTopics are the stage's group topics that Bounded bounds, and
// whether all of them are (the stage then knows when its input ends).
func (r *stageRunner) boundedTopics() (ts []string, all bool) {
	all = true
	for _, t := range r.groupTopics() {
		if _, ok := r.cfg.bounds[t]; ok {
			ts = append(ts, t)
		} else {
			all = false
		}
	}
	return ts, all && len(ts) > 0
}

// bounds tracks, for one topic loop, which bounded partitions have reached
// their end offsets.
type bounds struct {
	ranges  map[string]map[int32]OffsetRange // of the stage's bounded topics
	fromMs  int64
	all     bool // every group topic is bounded
	mu      sync.Mutex
	pending map[string]map[int32]bool // partitions not at their end yet
}

func newBounds(r *stageRunner) *bounds {
	ts, all := r.boundedTopics()
	if len(ts) == 0 {
		return nil
	}
	b := &bounds{ranges: map[string]map[int32]OffsetRange{}, fromMs: r.cfg.boundsFromMs, all: all, pending: map[string]map[int32]bool{}}
	for _, t := range ts {
		b.ranges[t] = r.cfg.bounds[t]
		for p, rg := range r.cfg.bounds[t] {
			if rg.Start < rg.End {
				if b.pending[t] == nil {
					b.pending[t] = map[int32]bool{}
				}
				b.pending[t][p] = true
			}
		}
	}
	return b
}

// adjust wraps a kgo.AdjustFetchOffsetsFn (nil: none): a bounded partition
// with no committed offset starts at the first record at or after fromMs.
func (b *bounds) adjust(next func(context.Context, map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error)) func(context.Context, map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	return func(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
		if next != nil {
			var err error
			if offsets, err = next(ctx, offsets); err != nil {
				return nil, err
			}
		}
		for topic, parts := range offsets {
			for p, o := range parts {
				if _, ok := b.ranges[topic][p]; ok && o.EpochOffset().Offset < 0 { // no commit
					parts[p] = kgo.NewOffset().AfterMilli(b.fromMs)
				}
			}
		}
		return offsets, nil
	}
}

// cut returns the records of partition p of topic that are before its
// end, and records whether it has reached the end (the client should then
// pause it).
func (b *bounds) cut(topic string, p int32, recs []*kgo.Record) (kept []*kgo.Record, reached bool) {
	rg, ok := b.ranges[topic][p]
	if !ok {
		return recs, false
	}
	kept = recs
	for i, rec := range recs {
		if rec.Offset >= rg.End {
			kept = recs[:i]
			reached = true
			break
		}
	}
	if n := len(kept); n > 0 && kept[n-1].Offset >= rg.End-1 {
		reached = true
	}
	if reached {
		b.mu.Lock()
		delete(b.pending[topic], p)
		b.mu.Unlock()
	}
	return kept, reached
}

// done reports whether every bounded partition reached its end and every
// input of the stage is bounded: the stage's input is over.
func (b *bounds) done() bool {
	if b == nil || !b.all {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ps := range b.pending {
		if len(ps) > 0 {
			return false
		}
	}
	return true
}

// endOf is where partition p of topic ends for lag: its bound's end when
// that comes before the high watermark hw (records past it are not read).
func (b *bounds) endOf(topic string, p int32, hw int64) int64 {
	if b == nil {
		return hw
	}
	if rg, ok := b.ranges[topic][p]; ok {
		return min(hw, rg.End)
	}
	return hw
}
