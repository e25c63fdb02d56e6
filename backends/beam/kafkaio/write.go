package kafkaio

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/twmb/franz-go/pkg/kgo"
)

func init() {
	register.DoFn2x1[context.Context, Record, error](&writeFn{})
}

// WriteConfig says where Write produces.
type WriteConfig struct {
	Conn Conn
	// Topic receives every record whose own Topic is empty.
	Topic string
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

	cl  *kgo.Client
	mu  sync.Mutex
	err error // first failed produce of the bundle
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
	return nil
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
	fn.cl.Produce(ctx, k, fn.promise)
	return nil
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
