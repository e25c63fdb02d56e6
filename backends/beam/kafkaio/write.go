package kafkaio

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/runtime/kafka"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

func init() {
	register.DoFn2x1[context.Context, Record, error](&writeFn{})
}

// WriteConfig says where Write produces.
type WriteConfig struct {
	Conn Conn
	// Topic receives every record whose own Topic is empty.
	Topic string
	// DeadLetterTopic, when set, receives a record larger than its topic
	// accepts (max.message.bytes, or the producer's batch limit), as a
	// dead letter with reason too_large naming Operator, cut to fit the
	// dead-letter topic if need be, instead of failing the bundle forever
	// on every retry. Empty: such a record fails the bundle.
	DeadLetterTopic string
	// Operator is what wrote the records (the sink operator, or the
	// channel's stream), for dead letters.
	Operator string
	// FitDeadLetters says the records are dead letters: one larger than
	// its topic accepts is cut to fit (kafka.FitDeadLetter) rather than
	// refused.
	FitDeadLetters bool
}

// Write produces every Record of col (a PCollection of Record) with
// franz-go's idempotent producer. Produces are asynchronous within a
// bundle; the bundle finishes only once all of them are acknowledged, and
// fails (to be retried by the runner) if any was not. That is
// at-least-once: a retried bundle writes its records again.
func Write(s beam.Scope, cfg WriteConfig, col beam.PCollection) {
	s = s.Scope("kafkaio.Write(" + cfg.Topic + ")")
	beam.ParDo0(s, &writeFn{Config: cfg}, col)
}

type writeFn struct {
	Config WriteConfig

	cl     *kgo.Client
	limits map[string]int // by topic: the largest record batch it accepts
	mu     sync.Mutex
	err    error // first failed produce of the bundle
}

func (fn *writeFn) Setup() error {
	// Idempotent writes are franz-go's default (acks=all, one producer ID
	// per client); no linger, so that a bundle's flush waits for nothing.
	opts, err := fn.Config.Conn.clientOptions(kgo.ProducerLinger(0), kgo.AllowAutoTopicCreation())
	if err != nil {
		return err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafkaio: producer: %w", err)
	}
	fn.cl = cl
	if fn.checks() {
		// Records naming their own topic (channels) are checked against
		// the limit learnt for that topic on first use.
		fn.limits = fn.topicLimits(fn.Config.Topic, fn.Config.DeadLetterTopic)
	}
	return nil
}

// checks reports whether records are checked against their topic's limit.
func (fn *writeFn) checks() bool { return fn.Config.DeadLetterTopic != "" || fn.Config.FitDeadLetters }

// topicLimits reads what each topic accepts, within a short time: a
// topic whose config cannot be read is checked against the producer's
// limit only.
func (fn *writeFn) topicLimits(topics ...string) map[string]int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ts []string
	for _, t := range topics {
		if t != "" {
			ts = append(ts, t)
		}
	}
	limits, errs := kafka.TopicLimits(ctx, fn.cl, ts)
	for _, err := range errs {
		slog.Warn("kafkaio: checking records against the producer's limit only", "err", err)
	}
	return limits
}

func (fn *writeFn) Teardown() {
	if fn.cl != nil {
		fn.cl.Close()
	}
}

func (fn *writeFn) ProcessElement(ctx context.Context, rec Record) error {
	if err := fn.failed(); err != nil {
		return err
	}
	k := rec.toKafka(fn.Config.Topic)
	if k.Topic == "" {
		return fmt.Errorf("kafkaio: record with no topic and no default topic")
	}
	if fn.checks() {
		if _, ok := fn.limits[k.Topic]; !ok {
			maps.Copy(fn.limits, fn.topicLimits(k.Topic))
		}
		if limit := fn.limits[k.Topic]; limit > 0 && kafka.BatchBytes(k) > limit {
			if fn.Config.FitDeadLetters {
				kafka.FitDeadLetter(k, limit, int64(len(k.Value)))
			} else {
				k = fn.tooLarge(k, limit)
			}
		}
	}
	fn.cl.Produce(ctx, k, fn.promise)
	return nil
}

// tooLarge turns k, which its topic cannot take, into a dead letter that
// carries it, as the native worker writes one.
func (fn *writeFn) tooLarge(k *kgo.Record, limit int) *kgo.Record {
	dl := &kgo.Record{
		Topic: fn.Config.DeadLetterTopic, Key: k.Key, Value: k.Value, Timestamp: k.Timestamp,
		Headers: []kgo.RecordHeader{
			{Key: record.HeaderError, Value: kafka.TooLargeError(k, limit)},
			{Key: record.HeaderReason, Value: []byte(record.ReasonTooLarge)},
			{Key: record.HeaderOperator, Value: []byte(fn.Config.Operator)},
			{Key: record.HeaderTarget, Value: []byte(k.Topic)},
		},
	}
	kafka.FitDeadLetter(dl, fn.limits[dl.Topic], int64(len(k.Value)))
	return dl
}

// FinishBundle waits until every record of the bundle is acknowledged.
func (fn *writeFn) FinishBundle(ctx context.Context) error {
	if err := fn.cl.Flush(ctx); err != nil {
		return fmt.Errorf("kafkaio: flush: %w", err)
	}
	err := fn.failed()
	fn.mu.Lock()
	fn.err = nil
	fn.mu.Unlock()
	return err
}

func (fn *writeFn) promise(r *kgo.Record, err error) {
	if err == nil {
		return
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	if fn.err == nil {
		fn.err = fmt.Errorf("kafkaio: produce to %s: %w", r.Topic, err)
	}
}

func (fn *writeFn) failed() error {
	fn.mu.Lock()
	defer fn.mu.Unlock()
	return fn.err
}
