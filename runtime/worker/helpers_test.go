package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
)

// filterPlan is source.orders → filter.big (amount >= 100) → sink.out, all
// in one native stage. in and out are "topic:NAME" or "file:PATH".
func filterPlan(in, out, delivery string) *ir.Plan {
	schema := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.Number, "amount": cty.Number})}
	src := &ir.Source{Format: "json"}
	sink := &ir.Sink{Format: "json", Delivery: delivery}
	kind, name := split(in)
	if kind == "file" {
		src.File = name
	} else {
		src.Topic = name
	}
	stageIn := []string{in}
	if kind == "topic" {
		stageIn = []string{name}
	}
	kind, name = split(out)
	if kind == "file" {
		sink.File = name
	} else {
		sink.Topic = name
	}
	return &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline: &ir.Pipeline{
			Name: "orders", Optimize: "cost", DeadLetterTopic: "orders.dlq",
			Backends: []*ir.Backend{{Name: ir.BackendNative}},
			Operators: []*ir.Operator{
				{ID: "source.orders", Kind: ir.KindSource, Name: "orders", Schema: schema, Source: src},
				{ID: "filter.big", Kind: ir.KindFilter, Name: "big", Inputs: []string{"source.orders"}, Schema: schema,
					Filter: &ir.Filter{Where: ir.Expr{Source: "record.amount >= 100"}}},
				{ID: "sink.out", Kind: ir.KindSink, Name: "out", Inputs: []string{"filter.big"}, Schema: schema, Sink: sink},
			},
		},
		Stages: []*ir.Stage{{
			ID: "native.1", Backend: ir.BackendNative,
			Operators: []string{"source.orders", "filter.big", "sink.out"},
			Inputs:    stageIn, Outputs: []string{out, "orders.dlq"},
		}},
	}
}

func split(s string) (kind, name string) {
	for i := range s {
		if s[i] == ':' {
			return s[:i], s[i+1:]
		}
	}
	return "topic", s
}

// skipIfNoEngine skips a test while the native engine is a placeholder.
func skipIfNoEngine(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, native.ErrNotImplemented) {
		t.Skip("runtime/native is not implemented yet")
	}
}

// order is the test record.
type order struct {
	ID     int `json:"id"`
	Amount int `json:"amount"`
}

func orderJSON(i int) []byte {
	b, _ := json.Marshal(order{ID: i, Amount: i % 200})
	return b
}

// consumeAll reads every committed record of topic from the start until
// want records arrived or no record arrived for quiet.
func consumeAll(t *testing.T, addrs []string, topic string, want int, quiet time.Duration) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for want < 0 || len(out) < want {
		ctx, cancel := context.WithTimeout(context.Background(), quiet)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		if n == 0 {
			break
		}
	}
	return out
}

// ids decodes the id of every record value, sorted.
func ids(t *testing.T, values [][]byte) []int {
	t.Helper()
	var out []int
	for _, v := range values {
		var o order
		if err := json.Unmarshal(v, &o); err != nil {
			t.Fatalf("output %q: %v", v, err)
		}
		out = append(out, o.ID)
	}
	sort.Ints(out)
	return out
}

// expectedIDs returns the ids among 0..n-1 that the filter keeps.
func expectedIDs(n int) []int {
	var out []int
	for i := range n {
		if i%200 >= 100 {
			out = append(out, i)
		}
	}
	return out
}

func headers(r *kgo.Record) map[string]string {
	m := map[string]string{}
	for _, h := range r.Headers {
		m[h.Key] = string(h.Value)
	}
	return m
}
