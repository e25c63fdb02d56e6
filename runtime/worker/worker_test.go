package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

func TestRunFileToFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "orders.jsonl")
	out := filepath.Join(dir, "out", "big.jsonl")
	var buf bytes.Buffer
	for i := range 400 {
		buf.Write(orderJSON(i))
		buf.WriteByte('\n')
	}
	buf.WriteString("{not json\n")
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var last worker.Progress
	err := worker.Run(context.Background(), filterPlan("file:"+in, "file:"+out, ir.AtLeastOnce),
		worker.StateDir(filepath.Join(dir, "state")),
		worker.DeadLetterFile(filepath.Join(dir, "dlq.jsonl")),
		worker.OnProgress(func(p worker.Progress) { last = p }))
	skipIfNoEngine(t, err)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var values [][]byte
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		values = append(values, []byte(l))
	}
	if diff := cmp.Diff(expectedIDs(400), ids(t, values)); diff != "" {
		t.Errorf("output ids (-want +got):\n%s", diff)
	}
	dlq, err := os.ReadFile(filepath.Join(dir, "dlq.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var dl struct {
		Headers map[string]string `json:"headers"`
		Value   string            `json:"value"`
	}
	if err := json.Unmarshal(dlq, &dl); err != nil {
		t.Fatalf("dead letter file %q: %v", dlq, err)
	}
	if dl.Value != "{not json" || dl.Headers[record.HeaderSourceOffset] != "400" || dl.Headers[record.HeaderSourceTopic] != "file:"+in {
		t.Errorf("dead letter = %+v", dl)
	}
	wantProgress := []worker.StageProgress{{Stage: "native.1", RecordsIn: 401, RecordsOut: 200, DeadLetters: 1, Done: true,
		Operators: []worker.OperatorProgress{
			{Operator: "source.orders", RecordsIn: 401, RecordsOut: 400}, // one line is not JSON
			{Operator: "filter.big", RecordsIn: 400, RecordsOut: 200},
			{Operator: "sink.out", RecordsIn: 200, RecordsOut: 200},
		}}}
	if diff := cmp.Diff(wantProgress, last.Stages); diff != "" {
		t.Errorf("final progress (-want +got):\n%s", diff)
	}
}

func TestRunTopics(t *testing.T) {
	for _, delivery := range []string{ir.AtLeastOnce, ir.ExactlyOnce} {
		t.Run(delivery, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			b := testkit.EmbeddedBroker(t, embedded.Partitions(2))
			produce(t, b.Addrs(), "orders", 300, true)

			m := worker.NewMetrics()
			err := worker.Run(ctx, filterPlan("topic:orders", "topic:out", delivery),
				worker.Brokers(b.Addrs()...),
				worker.StateDir(t.TempDir()),
				worker.ExitWhenIdle(time.Second),
				worker.InstanceID("test"),
				worker.WithMetrics(m))
			skipIfNoEngine(t, err)
			if err != nil {
				t.Fatal(err)
			}
			var values [][]byte
			for _, r := range consumeAll(t, b.Addrs(), "out", len(expectedIDs(300)), 2*time.Second) {
				values = append(values, r.Value)
			}
			if diff := cmp.Diff(expectedIDs(300), ids(t, values)); diff != "" {
				t.Errorf("output ids (-want +got):\n%s", diff)
			}
			dead := consumeAll(t, b.Addrs(), "orders.dlq", 1, 2*time.Second)
			if len(dead) != 1 {
				t.Fatalf("got %d dead letters, want 1", len(dead))
			}
			h := headers(dead[0])
			for _, k := range []string{record.HeaderError, record.HeaderReason, record.HeaderOperator} {
				if h[k] == "" {
					t.Errorf("dead letter header %s is empty: %v", k, h)
				}
			}
			if diff := cmp.Diff("orders", h[record.HeaderSourceTopic]); diff != "" {
				t.Errorf("source topic header (-want +got):\n%s", diff)
			}
			if string(dead[0].Value) != "{not json" {
				t.Errorf("dead letter value = %q", dead[0].Value)
			}

			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			for _, want := range []string{
				`pipeline_records_in_total{pipeline="orders",stage="native.1",stream="source.orders"} 301`,
				`pipeline_records_out_total{pipeline="orders",stage="native.1",target="sink.out"} 100`,
				`pipeline_dead_letters_total{`,
				`pipeline_checkpoint_duration_seconds_count{pipeline="orders",stage="native.1"}`,
			} {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("metrics lack %s in\n%s", want, rec.Body.String())
				}
			}
		})
	}
}

// produce writes n orders (and, if bad, one undecodable record) to topic.
func produce(t *testing.T, addrs []string, topic string, n int, bad bool) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(topic), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Key: []byte(strings.Repeat("k", i%3+1)), Value: orderJSON(i)})
	}
	if bad {
		recs = append(recs, &kgo.Record{Value: []byte("{not json")})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}
