package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// shopPlan reads unkeyed orders and a customers table. Stage native.1
// joins every order with its customer (stream–table: the table is global);
// stage native.2 counts orders per customer behind a repartition channel
// keyed by the customer, as the planner makes it; stage native.3 reads the
// counts through another channel (as a stage of another backend would), so
// it must not finish before native.2 has drained its open windows.
func shopPlan() *ir.Plan {
	e := func(src string) ir.Expr { return ir.Expr{Source: src} }
	ep := func(src string) *ir.Expr { x := e(src); return &x }
	orders := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.String, "customer": cty.String, "ts": cty.Number})}
	customers := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.String, "tier": cty.String})}
	enriched := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.String, "tier": cty.String})}
	counts := ir.Schema{Type: cty.Object(map[string]cty.Type{"customer": cty.String, "orders": cty.Number, "window_start": cty.String, "window_end": cty.String})}
	return &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline: &ir.Pipeline{
			Name: "shop", Optimize: "cost", DeadLetterTopic: "shop.dlq",
			Backends: []*ir.Backend{{Name: ir.BackendNative}},
			Operators: []*ir.Operator{
				{ID: "source.orders", Kind: ir.KindSource, Name: "orders", Schema: orders,
					Source: &ir.Source{Topic: "orders", Format: "json", EventTime: ep("record.ts")}},
				{ID: "source.customers", Kind: ir.KindSource, Name: "customers", Schema: customers,
					Source: &ir.Source{Topic: "customers", Format: "json", Table: true, Key: ep("record.id")}},
				{ID: "join.enriched", Kind: ir.KindJoin, Name: "enriched", Inputs: []string{"source.orders", "source.customers"}, Schema: enriched,
					Join: &ir.Join{Type: ir.JoinInner, On: e("left.customer == right.id"),
						LeftKeys: []ir.Expr{e("left.customer")}, RightKeys: []ir.Expr{e("right.id")},
						Fields: []ir.Field{{Name: "id", Expr: e("left.id")}, {Name: "tier", Expr: e("right.tier")}}}},
				{ID: "sink.enriched", Kind: ir.KindSink, Name: "enriched", Inputs: []string{"join.enriched"}, Schema: enriched,
					Sink: &ir.Sink{Topic: "enriched", Format: "json", Delivery: ir.AtLeastOnce}},
				{ID: "aggregate.per_customer", Kind: ir.KindAggregate, Name: "per_customer", Inputs: []string{"source.orders"}, Schema: counts,
					Aggregate: &ir.Aggregate{Key: []ir.Field{{Name: "customer", Expr: e("record.customer")}},
						Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 3_600_000},
						Fields: []ir.AggField{{Name: "orders", Func: ir.AggCount}}}},
				{ID: "filter.counted", Kind: ir.KindFilter, Name: "counted", Inputs: []string{"aggregate.per_customer"}, Schema: counts,
					Filter: &ir.Filter{Where: e("record.orders > 0")}},
				{ID: "sink.counts", Kind: ir.KindSink, Name: "counts", Inputs: []string{"filter.counted"}, Schema: counts,
					Sink: &ir.Sink{Topic: "counts", Format: "json", Delivery: ir.ExactlyOnce}},
			},
		},
		Stages: []*ir.Stage{
			{ID: "native.1", Backend: ir.BackendNative, Operators: []string{"source.orders", "source.customers", "join.enriched", "sink.enriched"},
				Inputs: []string{"orders", "customers"}, Outputs: []string{"enriched", "shop.source.orders", "shop.dlq"}},
			{ID: "native.2", Backend: ir.BackendNative, Operators: []string{"aggregate.per_customer"},
				Inputs: []string{"shop.source.orders"}, Outputs: []string{"shop.aggregate.per_customer", "shop.dlq"}},
			{ID: "native.3", Backend: ir.BackendNative, Operators: []string{"filter.counted", "sink.counts"},
				Inputs: []string{"shop.aggregate.per_customer"}, Outputs: []string{"counts", "shop.dlq"}},
		},
		Channels: []*ir.Channel{
			{From: "source.orders", To: "aggregate.per_customer", Topic: "shop.source.orders", Stream: "source.orders",
				Key: []ir.Expr{e("record.customer")}, Repartition: true},
			{From: "aggregate.per_customer", To: "filter.counted", Topic: "shop.aggregate.per_customer", Stream: "aggregate.per_customer"},
		},
	}
}

// TestRepartitionAndGlobalTables produces orders without keys, round-robin
// over three partitions, and each customer to a partition none of its
// orders' partition groups would otherwise read.
func TestRepartitionAndGlobalTables(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b := testkit.EmbeddedBroker(t, embedded.Partitions(3))
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	const customers, orders = 5, 60
	var recs []*kgo.Record
	for c := range customers {
		v := fmt.Sprintf(`{"id":"c%d","tier":"t%d"}`, c, c)
		recs = append(recs, &kgo.Record{Topic: "customers", Partition: int32(c % 3), Key: fmt.Appendf(nil, "c%d", c), Value: []byte(v)})
	}
	wantEnriched := map[string]string{}
	for i := range orders {
		c := i % customers
		v := fmt.Sprintf(`{"id":"o%02d","customer":"c%d","ts":%d}`, i, c, 1_767_225_600_000+i*1000)
		recs = append(recs, &kgo.Record{Topic: "orders", Partition: int32(i % 3), Value: []byte(v)})
		wantEnriched[fmt.Sprintf("o%02d", i)] = fmt.Sprintf("t%d", c)
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	err = worker.Run(ctx, shopPlan(),
		worker.Brokers(b.Addrs()...),
		worker.ClientOptions(kgo.RecordPartitioner(spreadUnkeyed{})),
		worker.StateDir(t.TempDir()),
		worker.ExitWhenIdle(3*time.Second),
		worker.InstanceID("test"))
	if err != nil {
		t.Fatal(err)
	}

	gotEnriched := map[string]string{}
	for _, r := range consumeAll(t, b.Addrs(), "enriched", orders, 2*time.Second) {
		var v struct{ ID, Tier string }
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatal(err)
		}
		gotEnriched[v.ID] = v.Tier
	}
	if d := cmp.Diff(wantEnriched, gotEnriched); d != "" {
		t.Errorf("stream–table join (-want +got):\n%s", d)
	}

	var gotCounts []string
	for _, r := range consumeAll(t, b.Addrs(), "counts", customers, 2*time.Second) {
		var v struct {
			Customer string
			Orders   int
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatal(err)
		}
		gotCounts = append(gotCounts, fmt.Sprintf("%s=%d", v.Customer, v.Orders))
	}
	sort.Strings(gotCounts)
	var wantCounts []string
	for c := range customers {
		wantCounts = append(wantCounts, fmt.Sprintf("c%d=%d", c, orders/customers))
	}
	if d := cmp.Diff(wantCounts, gotCounts); d != "" {
		t.Errorf("orders per customer (-want +got):\n%s", d)
	}
	if dead := consumeAll(t, b.Addrs(), "shop.dlq", -1, time.Second); len(dead) > 0 {
		t.Errorf("%d dead letters, first: %s %v", len(dead), dead[0].Value, headers(dead[0]))
	}
}

// spreadUnkeyed is a partitioner that hashes keys and spreads unkeyed
// records round-robin, so that a channel produced without keys would
// split each key's records across partitions (the default sticky
// partitioner sends a small test's records to one partition, hiding it).
type spreadUnkeyed struct{}

func (spreadUnkeyed) ForTopic(string) kgo.TopicPartitioner { return &spreadTopic{} }

type spreadTopic struct {
	mu   sync.Mutex
	next int
}

func (*spreadTopic) RequiresConsistency(*kgo.Record) bool { return true }

func (p *spreadTopic) Partition(r *kgo.Record, n int) int {
	if r.Key == nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.next++
		return p.next % n
	}
	h := fnv.New32a()
	h.Write(r.Key)
	return int(h.Sum32() % uint32(n))
}
