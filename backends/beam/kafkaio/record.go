package kafkaio

import (
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*Record)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*Header)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*Partition)(nil)).Elem())
}

// Record is one Kafka record as it flows through a Beam pipeline. Read
// fills every field; Write uses Topic (when not empty, it overrides the
// configured topic), Key, Value, Headers and TimestampMs.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	// TimestampMs is the Kafka record timestamp (epoch ms); on Write, 0
	// lets the producer stamp the record.
	TimestampMs int64
	// Future, set by Read only, says why the record's event time is
	// beyond ReadConfig.MaxFutureMs: the record did not move the
	// watermark, and the pipeline should dead-letter it.
	Future string
}

// Header is a Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Partition is one topic partition to read, and the offset reading starts
// at: the element a read restriction belongs to.
type Partition struct {
	Topic     string
	Partition int32
	Start     int64
}

func (p Partition) String() string { return fmt.Sprintf("%s/%d", p.Topic, p.Partition) }

// Conn is how DoFns reach the cluster. It travels inside the serialized
// DoFns to every worker, so it holds settings, never clients; a SASL
// password in it is therefore part of the job the runner receives.
type Conn struct {
	Broker ir.Broker
}

// clientOptions are the franz-go options for c plus extra.
func (c Conn) clientOptions(extra ...kgo.Opt) ([]kgo.Opt, error) {
	b := c.Broker
	opts, err := kafka.ClientOptions(&b)
	if err != nil {
		return nil, err
	}
	return append(opts, extra...), nil
}

func (r *Record) fromKafka(k *kgo.Record) {
	*r = Record{Topic: k.Topic, Partition: k.Partition, Offset: k.Offset, Key: k.Key, Value: k.Value, TimestampMs: k.Timestamp.UnixMilli()}
	for _, h := range k.Headers {
		r.Headers = append(r.Headers, Header{Key: h.Key, Value: h.Value})
	}
}

func (r *Record) toKafka(topic string) *kgo.Record {
	k := &kgo.Record{Topic: topic, Key: r.Key, Value: r.Value}
	if r.Topic != "" {
		k.Topic = r.Topic
	}
	// franz-go encodes the timestamp through UnixNano, which wraps after
	// 2262: leave such times to the producer's clock (a header can carry
	// the exact time, see ReadConfig.EventTimeHeader).
	if r.TimestampMs > 0 && r.TimestampMs <= math.MaxInt64/int64(time.Millisecond) {
		k.Timestamp = time.UnixMilli(r.TimestampMs)
	}
	for _, h := range r.Headers {
		k.Headers = append(k.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	return k
}
