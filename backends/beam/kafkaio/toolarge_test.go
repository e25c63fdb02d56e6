package kafkaio_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// TestWriteTooLarge is issue 17.2 on Beam: a record bigger than its topic
// accepts (max.message.bytes 2500) is dead-lettered as too_large, cut to
// fit the dead-letter topic (2000), and the records around it are
// written; a dead letter bigger than the dead-letter topic accepts is cut
// to fit, not refused. Before, the produce failed and the bundle was
// retried into the same refusal forever.
func TestWriteTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a Beam job on Prism: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := embedded.Start(ctx, embedded.Partitions(1))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for topic, limit := range map[string]string{"out": "2500", "dlq": "2000"} {
		if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, map[string]*string{"max.message.bytes": &limit}, topic); err != nil {
			t.Fatal(err)
		}
	}
	conn := kafkaio.Conn{Broker: ir.Broker{Name: "test", Brokers: b.Addrs()}}
	big := strings.Repeat("x", 3000)

	p, s := beam.NewPipelineWithRoot()
	outs := beam.Create(s, kafkaio.Record{Value: []byte("a")}, kafkaio.Record{Key: []byte("k"), Value: []byte(big)}, kafkaio.Record{Value: []byte("b")})
	kafkaio.Write(s, kafkaio.WriteConfig{Conn: conn, Topic: "out", DeadLetterTopic: "dlq", Operator: "sink.out"}, outs)
	dead := beam.Create(s, kafkaio.Record{Value: []byte(big), Headers: []kafkaio.Header{{Key: record.HeaderReason, Value: []byte("eval")}}})
	kafkaio.Write(s, kafkaio.WriteConfig{Conn: conn, Topic: "dlq", FitDeadLetters: true}, dead)
	if _, err := prism.Execute(ctx, p); err != nil {
		t.Fatalf("job: %v", err)
	}

	got := map[string][]string{}
	for topic, n := range map[string]int{"out": 2, "dlq": 2} {
		c, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		if err != nil {
			t.Fatal(err)
		}
		for len(got[topic]) < n && ctx.Err() == nil {
			c.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				if topic == "out" {
					got[topic] = append(got[topic], string(r.Value))
					return
				}
				// A dead letter: its reason, operator, target, the size it
				// was cut from, and whether it fits.
				h := map[string]string{}
				for _, x := range r.Headers {
					h[x.Key] = string(x.Value)
				}
				fits := len(r.Value) < 2000 && strings.Trim(string(r.Value), "x") == ""
				got[topic] = append(got[topic], strings.Join([]string{h[record.HeaderReason], h[record.HeaderOperator], h[record.HeaderTarget], h[record.HeaderTruncated], map[bool]string{true: "fits", false: "too big"}[fits]}, " "))
			})
		}
		c.Close()
	}
	for _, v := range got {
		slices.Sort(v)
	}
	want := map[string][]string{
		"out": {"a", "b"},
		"dlq": {"eval   3000 fits", "too_large sink.out out 3000 fits"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("topics (-want +got):\n%s", diff)
	}
}
