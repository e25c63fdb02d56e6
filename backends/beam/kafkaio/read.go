package kafkaio

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/mtime"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir/eval"
)

func init() {
	register.DoFn3x1[context.Context, []byte, func(Partition), error](&partitionsFn{})
	register.Emitter1[Partition]()
	register.DoFn5x2[context.Context, *watermarkEstimator, *sdf.LockRTracker, Partition, func(beam.EventTime, Record), sdf.ProcessContinuation, error](&readFn{})
	register.Emitter2[beam.EventTime, Record]()
}

// ReadConfig says what Read reads and how. Durations are milliseconds:
// the configuration travels to workers as JSON.
type ReadConfig struct {
	Conn  Conn
	Topic string
	// StopWhenIdleMs, when positive, makes the read bounded: a partition's
	// read finishes once no record arrived on it for this long (and every
	// barrier in WaitFor is released). Zero reads forever.
	StopWhenIdleMs int64 `json:",omitempty"`
	// WaitFor names barriers (see Release) a bounded read waits for before
	// it may stop: upstream stages in this process that still write to the
	// topic.
	WaitFor []string `json:",omitempty"`
	// Timestamper names a registered Timestamper (RegisterTimestamper),
	// configured with TimestamperConfig; empty uses the Kafka record
	// timestamps as event times.
	Timestamper       string `json:",omitempty"`
	TimestamperConfig []byte `json:",omitempty"`
	// EventTimeHeader names a header that carries a record's event time
	// exactly, as decimal epoch milliseconds: when a record has it (and the
	// Timestamper gives none), it is the element timestamp and the
	// Record's TimestampMs. Kafka record timestamps hold no time before
	// 1970 and wrap after 2262.
	EventTimeHeader string `json:",omitempty"`
	// WatermarkLagMs holds a partition's watermark this far behind the
	// greatest event time read from it, so that windows fire only once
	// records that much out of order have had their chance (the spec's
	// allowed_lateness).
	WatermarkLagMs int64 `json:",omitempty"`
	// IdleWatermarkMs, when positive, lets a partition that has been
	// caught up for this long advance its watermark to the wall clock minus
	// this much, so that one empty partition does not hold every window
	// back forever (the same trade as Flink's idleness). Records that later
	// arrive on it with older event times are late.
	IdleWatermarkMs int64 `json:",omitempty"`
	// MaxFutureMs, when positive, bounds how far ahead of the partition's
	// watermark reference (the greatest event time read from it, or the
	// wall clock once it is idle) an event time may be: a record beyond it
	// is emitted at the reference time, so that it does not move the
	// watermark, with Record.Future saying why (the spec's max_future).
	// The partition's first record has nothing to compare with and passes.
	MaxFutureMs int64 `json:",omitempty"`
	// PollMs bounds one fetch (default 250).
	PollMs int64 `json:",omitempty"`
	// StartLatest and StartAfterMs say where each partition is read from
	// (the spec's start_from; Beam commits no offsets, so no partition has
	// a committed offset to resume at): its end, or its first record
	// stamped at or after StartAfterMs (epoch ms). Neither: its start.
	StartLatest  bool   `json:",omitempty"`
	StartAfterMs *int64 `json:",omitempty"`
}

// Read reads cfg.Topic from the earliest offset of each partition (or
// where StartLatest or StartAfterMs say), with
// read_committed isolation, and returns a PCollection of Record stamped
// with their event times. It runs unbounded unless cfg.StopWhenIdleMs is
// set.
func Read(s beam.Scope, cfg ReadConfig) beam.PCollection {
	s = s.Scope("kafkaio.Read(" + cfg.Topic + ")")
	imp := beam.Impulse(s)
	parts := beam.ParDo(s, &partitionsFn{Conn: cfg.Conn, Topic: cfg.Topic, StartLatest: cfg.StartLatest, StartAfterMs: cfg.StartAfterMs}, imp)
	return beam.ParDo(s, &readFn{Config: cfg}, parts)
}

// partitionsFn lists the topic's partitions when the pipeline runs (not
// when it is built), so that a job reads the partitions the topic has.
type partitionsFn struct {
	Conn         Conn
	Topic        string
	StartLatest  bool
	StartAfterMs *int64
}

func (fn *partitionsFn) ProcessElement(ctx context.Context, _ []byte, emit func(Partition)) error {
	opts, err := fn.Conn.clientOptions()
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafkaio: client: %w", err)
	}
	defer cl.Close()
	starts, err := startOffsets(ctx, kadm.NewClient(cl), fn.Topic, fn.StartLatest, fn.StartAfterMs)
	if err != nil {
		return err
	}
	for _, o := range starts {
		emit(Partition{Topic: fn.Topic, Partition: o.Partition, Start: o.Offset})
	}
	return nil
}

// startOffsets lists the offset each partition of topic is read from: its
// start, its end (latest), or its first record stamped at or after afterMs
// (its end when it has none), sorted by partition.
func startOffsets(ctx context.Context, adm *kadm.Client, topic string, latest bool, afterMs *int64) ([]kadm.ListedOffset, error) {
	list := func(f func(context.Context, ...string) (kadm.ListedOffsets, error)) (map[int32]kadm.ListedOffset, error) {
		l, err := f(ctx, topic)
		if err == nil {
			err = l.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("kafkaio: list partitions of %s: %w", topic, err)
		}
		return l[topic], nil
	}
	var got map[int32]kadm.ListedOffset
	var err error
	switch {
	case latest:
		got, err = list(adm.ListEndOffsets)
	case afterMs != nil:
		got, err = list(func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
			return adm.ListOffsetsAfterMilli(ctx, *afterMs, topics...)
		})
		if err == nil && slices.ContainsFunc(slices.Collect(maps.Values(got)), func(o kadm.ListedOffset) bool { return o.Offset < 0 }) {
			// A broker that answers -1 for "no record at or after the
			// time": the partition starts at its end.
			var ends map[int32]kadm.ListedOffset
			if ends, err = list(adm.ListEndOffsets); err == nil {
				for p, o := range got {
					if o.Offset < 0 {
						got[p] = ends[p]
					}
				}
			}
		}
	default:
		got, err = list(adm.ListStartOffsets)
	}
	if err != nil {
		return nil, err
	}
	out := slices.Collect(maps.Values(got))
	slices.SortFunc(out, func(a, b kadm.ListedOffset) int { return int(a.Partition - b.Partition) })
	return out, nil
}

// readFn is the splittable DoFn: the element is a partition, the
// restriction a growable range of its offsets.
type readFn struct {
	Config ReadConfig

	ts       Timestamper
	readers  map[Partition]*partReader
	pollWait time.Duration
}

// partReader is a consumer positioned in one partition, kept between
// ProcessElement calls of the same restriction so that resuming does not
// reconnect.
type partReader struct {
	cl       *kgo.Client
	next     int64     // offset the client will return next
	activity time.Time // last record, or when reading started
	caughtUp time.Time // since when polls return nothing (zero: not idle)
}

// maxRun bounds one ProcessElement call, so that the runner can checkpoint
// the restriction and other partitions get their turn.
const maxRun = time.Second

func (fn *readFn) Setup() error {
	ts, err := newTimestamper(fn.Config.Timestamper, fn.Config.TimestamperConfig)
	if err != nil {
		return err
	}
	fn.ts = ts
	fn.readers = map[Partition]*partReader{}
	fn.pollWait = 250 * time.Millisecond
	if fn.Config.PollMs > 0 {
		fn.pollWait = time.Duration(fn.Config.PollMs) * time.Millisecond
	}
	return nil
}

func (fn *readFn) Teardown() {
	for p, r := range fn.readers {
		r.cl.Close()
		delete(fn.readers, p)
	}
}

func (fn *readFn) CreateInitialRestriction(p Partition) offsetrange.Restriction {
	return offsetrange.Restriction{Start: p.Start, End: math.MaxInt64}
}

func (fn *readFn) SplitRestriction(_ Partition, rest offsetrange.Restriction) []offsetrange.Restriction {
	return []offsetrange.Restriction{rest}
}

func (fn *readFn) RestrictionSize(_ Partition, rest offsetrange.Restriction) float64 {
	if rest.End == math.MaxInt64 {
		return 1 // unknown: the end grows
	}
	return float64(rest.End - rest.Start)
}

func (fn *readFn) CreateTracker(rest offsetrange.Restriction) *sdf.LockRTracker {
	if rest.End != math.MaxInt64 {
		return sdf.NewLockRTracker(offsetrange.NewTracker(rest))
	}
	// The end estimate only shapes split fractions; the runner never needs
	// the partition's real high watermark to read it correctly.
	rt, _ := offsetrange.NewGrowableTracker(rest, endEstimate(rest.Start))
	return sdf.NewLockRTracker(rt)
}

// endEstimate is a RangeEndEstimator that assumes nothing is beyond start.
type endEstimate int64

func (e endEstimate) Estimate() int64 { return int64(e) + 1 }

// TruncateRestriction ends the read at once when a streaming job is drained.
func (fn *readFn) TruncateRestriction(rt *sdf.LockRTracker, _ Partition) offsetrange.Restriction {
	start := rt.GetRestriction().(offsetrange.Restriction).Start
	return offsetrange.Restriction{Start: start, End: start}
}

func (fn *readFn) InitialWatermarkEstimatorState(_ beam.EventTime, _ offsetrange.Restriction, _ Partition) int64 {
	return int64(mtime.MinTimestamp)
}

func (fn *readFn) CreateWatermarkEstimator(state int64) *watermarkEstimator {
	return &watermarkEstimator{maxMs: state, lagMs: fn.Config.WatermarkLagMs}
}

func (fn *readFn) WatermarkEstimatorState(we *watermarkEstimator) int64 { return we.maxMs }

func (fn *readFn) ProcessElement(ctx context.Context, we *watermarkEstimator, rt *sdf.LockRTracker, p Partition, emit func(beam.EventTime, Record)) (sdf.ProcessContinuation, error) {
	start := rt.GetRestriction().(offsetrange.Restriction).Start
	r, err := fn.reader(p, start)
	if err != nil {
		return sdf.StopProcessing(), err
	}
	deadline := time.Now().Add(maxRun)
	for {
		pollCtx, cancel := context.WithTimeout(ctx, fn.pollWait)
		fetches := r.cl.PollFetches(pollCtx)
		cancel()
		if err := ctx.Err(); err != nil {
			return sdf.StopProcessing(), err
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) && !errors.Is(fe.Err, context.Canceled) {
				// Transient (a leader moved, the topic is being created):
				// the client retries; say so and carry on.
				log.Warnf(ctx, "kafkaio: fetch %s: %v", p, fe.Err)
			}
		}
		n := 0
		var rec Record
		for it := fetches.RecordIter(); !it.Done(); {
			k := it.Next()
			if !rt.TryClaim(k.Offset) {
				// The runner split the restriction here: the rest is
				// someone else's.
				fn.drop(p)
				return sdf.StopProcessing(), nil
			}
			rec.fromKafka(k)
			if ms, ok := fn.headerTime(k); ok {
				rec.TimestampMs = ms
			}
			et, valid := fn.eventTime(k)
			if valid {
				et = fn.checkFuture(we, et, &rec)
			} else {
				// No event time: the record must not move the watermark.
				et = mtime.Time(we.maxMs)
			}
			emit(et, rec)
			r.next = k.Offset + 1
			n++
		}
		now := time.Now()
		if n > 0 {
			r.activity, r.caughtUp = now, time.Time{}
			if now.After(deadline) {
				return sdf.ResumeProcessingIn(0), nil
			}
			continue
		}
		if r.caughtUp.IsZero() {
			r.caughtUp = now
		}
		if idle := fn.Config.StopWhenIdleMs; idle > 0 && now.Sub(r.activity) >= time.Duration(idle)*time.Millisecond && released(fn.Config.WaitFor) {
			// Bounded read: claiming the last position ends the growable
			// range, and the watermark goes to the end of time.
			rt.TryClaim(int64(math.MaxInt64 - 1))
			fn.drop(p)
			return sdf.StopProcessing(), nil
		}
		if lag := fn.Config.IdleWatermarkMs; lag > 0 && now.Sub(r.caughtUp) >= time.Duration(lag)*time.Millisecond {
			we.advanceTo(now.UnixMilli() - lag)
		}
		return sdf.ResumeProcessingIn(fn.pollWait), nil
	}
}

// reader returns the cached consumer of p if it is positioned at start,
// and a new one otherwise.
func (fn *readFn) reader(p Partition, start int64) (*partReader, error) {
	if r := fn.readers[p]; r != nil {
		if r.next == start {
			return r, nil
		}
		fn.drop(p)
	}
	opts, err := fn.Config.Conn.clientOptions(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{p.Topic: {p.Partition: kgo.NewOffset().At(start)}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkaio: client for %s: %w", p, err)
	}
	r := &partReader{cl: cl, next: start, activity: time.Now()}
	fn.readers[p] = r
	return r, nil
}

func (fn *readFn) drop(p Partition) {
	if r := fn.readers[p]; r != nil {
		r.cl.Close()
		delete(fn.readers, p)
	}
}

// eventTime is k's event time. valid is false when the Timestamper
// rejected the record: the stage dead-letters it (decode or eval), so it is
// neither judged against MaxFutureMs (native decodes first) nor allowed
// to move the watermark.
func (fn *readFn) eventTime(k *kgo.Record) (et beam.EventTime, valid bool) {
	if fn.ts != nil {
		if ms, ok := fn.ts.EventTimeMs(k.Key, k.Value); ok {
			return mtime.FromMilliseconds(ms), true
		}
		return 0, false
	}
	if ms, ok := fn.headerTime(k); ok {
		return mtime.FromMilliseconds(ms), true
	}
	return mtime.FromTime(k.Timestamp), true
}

// checkFuture applies Config.MaxFutureMs to a record of event time et:
// one too far ahead of the watermark estimator's reference gets
// rec.Future and is emitted at the reference instead.
func (fn *readFn) checkFuture(we *watermarkEstimator, et beam.EventTime, rec *Record) beam.EventTime {
	rec.Future = ""
	limit := fn.Config.MaxFutureMs
	if limit <= 0 || we.maxMs <= int64(mtime.MinTimestamp) {
		return et
	}
	if err := eval.CheckFuture(et.Milliseconds(), we.maxMs, limit); err != nil {
		rec.Future = err.Error()
		return mtime.FromMilliseconds(we.maxMs)
	}
	return et
}

// headerTime reads the Config.EventTimeHeader of k.
func (fn *readFn) headerTime(k *kgo.Record) (int64, bool) {
	if fn.Config.EventTimeHeader == "" {
		return 0, false
	}
	for _, h := range k.Headers {
		if h.Key == fn.Config.EventTimeHeader {
			ms, err := strconv.ParseInt(string(h.Value), 10, 64)
			return ms, err == nil
		}
	}
	return 0, false
}

// watermarkEstimator follows the event times the read emits: the Beam SDK
// calls ObserveTimestamp for every output. The watermark is the greatest
// event time seen minus the lag, never going back.
type watermarkEstimator struct {
	maxMs int64 // greatest event time observed (or advanced to), plus lag
	lagMs int64
}

func (e *watermarkEstimator) CurrentWatermark() time.Time {
	if e.maxMs <= int64(mtime.MinTimestamp)+e.lagMs {
		return mtime.MinTimestamp.ToTime()
	}
	return mtime.Time(e.maxMs - e.lagMs).ToTime()
}

func (e *watermarkEstimator) ObserveTimestamp(t time.Time) {
	e.maxMs = max(e.maxMs, t.UnixMilli())
}

// advanceTo moves the watermark to at least ms (an idle partition).
func (e *watermarkEstimator) advanceTo(ms int64) {
	e.maxMs = max(e.maxMs, ms+e.lagMs)
}
