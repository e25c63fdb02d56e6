package optimizer

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
)

// shape renders what a plan runs, for before/after comparisons: every
// operator with its inputs (and a filter's predicate), every stage with its
// operators and the fields it decodes, every channel, and the rewrites.
func shape(p *ir.Plan) string {
	var b strings.Builder
	for _, op := range p.Pipeline.Operators {
		fmt.Fprintf(&b, "%s", op.ID)
		if len(op.Inputs) > 0 {
			fmt.Fprintf(&b, " ← %s", strings.Join(op.Inputs, ", "))
		}
		if op.Filter != nil {
			fmt.Fprintf(&b, ": %s", op.Filter.Where.Source)
		}
		b.WriteString("\n")
	}
	for _, st := range p.Stages {
		fmt.Fprintf(&b, "stage %s: %s\n", st.ID, strings.Join(st.Operators, ", "))
		for _, d := range st.Decodes {
			if d.Pruned() {
				fmt.Fprintf(&b, "  decodes %s: %s of %d\n", d.Stream, strings.Join(d.Fields, ", "), d.Of)
			}
		}
	}
	for _, ch := range p.Channels {
		fmt.Fprintf(&b, "channel %s → %s\n", ch.Stream, ch.To)
	}
	for _, r := range p.Rewrites {
		fmt.Fprintf(&b, "rewrite %s\n", r)
	}
	return b.String()
}

func loadSpec(t *testing.T, dir string) *ir.Pipeline {
	t.Helper()
	res, diags := lang.Load(dir, lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return res.Pipeline
}

func withoutRewrites() Option { return func(c *config) { c.noRewrite = true } }
func withoutFusion() Option   { return func(c *config) { c.noFusion = true } }

// TestRewritesBeforeAfter shows each rewrite on a realistic spec: the plan
// of the pipeline as written, and the plan the optimizer makes.
func TestRewritesBeforeAfter(t *testing.T) {
	tests := []struct {
		spec          string
		before, after string
	}{
		{
			// The filter reads amt and country, which the map copies from
			// amount and country: it moves before the map, reads them
			// there, and cuts 80% of the records on the broker before the
			// channel to the map pinned on native.
			spec: "testdata/rewrites/map",
			before: `source.orders
map.normalized ← source.orders
filter.big_us ← map.normalized: record.amt >= var.min_amount && lower(record.country) == "us"
filter.known ← filter.big_us: record.customer != "anonymous"
sink.big_us ← filter.known
stage native.source.orders: source.orders, map.normalized, filter.big_us, filter.known, sink.big_us
  decodes source.orders: amount, country, customer_id, id, ts of 6
`,
			after: `source.orders
filter.big_us ← source.orders: record.amount >= var.min_amount && lower(record.country) == "us"
map.normalized ← filter.big_us
filter.known ← map.normalized: record.customer != "anonymous"
sink.big_us ← filter.known
stage broker.source.orders: source.orders, filter.big_us
stage native.map.normalized: map.normalized, filter.known, sink.big_us
  decodes filter.big_us: amount, country, customer_id, id, ts of 6
channel filter.big_us → map.normalized
rewrite filter.big_us pushed before map.normalized: reads only passed-through fields (amt = record.amount, country)
`,
		},
		{
			// Both outputs of the route are filtered by the same predicate:
			// it is tested once before the route, then before the map,
			// which copies amount and currency.
			spec: "testdata/rewrites/route",
			before: `source.payments
map.tagged ← source.payments
route.by_tier ← map.tagged
filter.gold_valid ← route.by_tier.gold: record.amount > 0 && record.currency != ""
filter.other_valid ← route.by_tier.other: record.amount > 0 && record.currency != ""
sink.gold ← filter.gold_valid
sink.other ← filter.other_valid
stage broker.source.payments: source.payments, map.tagged, route.by_tier, filter.gold_valid, filter.other_valid, sink.gold, sink.other
  decodes source.payments: amount, currency, id, tier of 5
`,
			after: `source.payments
filter.gold_valid ← source.payments: record.amount > 0 && record.currency != ""
map.tagged ← filter.gold_valid
route.by_tier ← map.tagged
filter.other_valid ← route.by_tier.other: record.amount > 0 && record.currency != ""
sink.gold ← route.by_tier.gold
sink.other ← filter.other_valid
stage broker.source.payments: source.payments, filter.gold_valid, map.tagged, route.by_tier, filter.other_valid, sink.gold, sink.other
  decodes source.payments: amount, currency, id, tier of 5
rewrite filter.gold_valid pushed before route.by_tier: every output of route.by_tier feeds a filter with the same predicate (filter.other_valid, which now pass every record) and it has a default output, so every output keeps the same records
rewrite filter.gold_valid pushed before map.tagged: reads only passed-through fields (amount, currency)
`,
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.spec), func(t *testing.T) {
			p := loadSpec(t, tt.spec)
			before, diags := Plan(p, testBackends, withoutRewrites())
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			after, diags := Plan(p, testBackends)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if d := cmp.Diff(tt.before, shape(before)); d != "" {
				t.Errorf("plan as written (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.after, shape(after)); d != "" {
				t.Errorf("plan after rewrites (-want +got):\n%s", d)
			}
			if after.Cost >= before.Cost {
				t.Errorf("rewritten plan costs %v, the plan as written %v: a rewrite should pay", after.Cost, before.Cost)
			}
			if again, _ := Plan(after.Pipeline, testBackends); len(again.Rewrites) != 0 {
				t.Errorf("rewriting a rewritten pipeline rewrites again: %v", again.Rewrites)
			}
		})
	}
}

// TestFusionBeforeAfter shows fusion: the log normalization placed on the
// broker, one stage per operator joined by channels, and the plan, where
// neighbours on one backend share a stage and no channel is left.
func TestFusionBeforeAfter(t *testing.T) {
	p := loadSpec(t, "../examples/lognorm")
	before, diags := Plan(p, testBackends, withoutFusion())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	after, diags := Plan(p, testBackends)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ops := `source.raw
filter.no_debug ← source.raw: !contains(local.noisy_levels, lower(trimspace(coalesce(record.level, "info"))))
map.normalized ← filter.no_debug
route.by_level ← map.normalized
sink.errors ← route.by_level.errors
sink.info ← route.by_level.info
sink.unclassified ← route.by_level.default
sink.warnings ← route.by_level.warnings
`
	wantBefore := ops + `stage broker.source.raw: source.raw
stage broker.filter.no_debug: filter.no_debug
stage broker.map.normalized: map.normalized
stage broker.route.by_level: route.by_level
stage broker.sink.errors: sink.errors
stage broker.sink.info: sink.info
stage broker.sink.unclassified: sink.unclassified
stage broker.sink.warnings: sink.warnings
channel source.raw → filter.no_debug
channel filter.no_debug → map.normalized
channel map.normalized → route.by_level
channel route.by_level.errors → sink.errors
channel route.by_level.info → sink.info
channel route.by_level.default → sink.unclassified
channel route.by_level.warnings → sink.warnings
`
	wantAfter := ops + `stage broker.source.raw: source.raw, filter.no_debug, map.normalized, route.by_level, sink.errors, sink.info, sink.unclassified, sink.warnings
`
	if d := cmp.Diff(wantBefore, shape(before)); d != "" {
		t.Errorf("unfused (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantAfter, shape(after)); d != "" {
		t.Errorf("fused (-want +got):\n%s", d)
	}
}

// TestDecodes checks the fields each stage of the payments example
// decodes: all of a source whose records leave the stage whole, and only
// what the operators read from a channel.
func TestDecodes(t *testing.T) {
	plan, diags := Plan(loadSpec(t, "../examples/payments"), testBackends)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got := map[string][]ir.Decode{}
	for _, st := range plan.Stages {
		got[st.ID] = st.Decodes
	}
	want := map[string][]ir.Decode{
		"native.source.authorizations": {{Stream: "source.authorizations", Fields: []string{"auth_code", "payment_id", "status", "ts"}, Of: 4}},
		"native.source.payments":       {{Stream: "source.payments", Fields: []string{"amount", "currency", "customer", "id", "merchant", "ts"}, Of: 6}},
		"native.dedupe.payments_once":  {{Stream: "source.payments", Fields: []string{"amount", "currency", "customer", "id", "merchant", "ts"}, Of: 6}},
		"native.join.authorized": {
			{Stream: "dedupe.payments_once", Fields: []string{"amount", "currency", "customer", "id", "merchant", "ts"}, Of: 6},
			{Stream: "filter.approved", Fields: []string{"auth_code", "payment_id", "ts"}, Of: 4},
		},
		"native.aggregate.merchant_hourly": {{Stream: "map.settled", Fields: []string{"amount", "currency", "customer", "id", "merchant"}, Of: 8}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("decodes per stage (-want +got):\n%s", d)
	}
}

// TestFilterPushdownRules checks when filter pushdown fires and when it
// must not, on small pipelines: what each filter reads afterwards, or nil
// when nothing moved.
func TestFilterPushdownRules(t *testing.T) {
	src := func() *ir.Operator { return op(1, ir.KindSource, "s") }
	mapOf := func(input string, fields ...string) *ir.Operator {
		m := op(2, ir.KindMap, "m", input)
		for i := 0; i < len(fields); i += 2 {
			m.Map.Fields = append(m.Map.Fields, ir.Field{Name: fields[i], Expr: ir.Expr{Source: fields[i+1]}})
		}
		return m
	}
	filter := func(name, input, where string) *ir.Operator {
		f := op(3, ir.KindFilter, name, input)
		f.Filter.Where = ir.Expr{Source: where}
		return f
	}
	sink := func(name, input string) *ir.Operator { return op(9, ir.KindSink, name, input) }
	withDefault := func(r *ir.Operator) *ir.Operator {
		r.Route.Outputs[len(r.Route.Outputs)-1].Default = true
		return r
	}
	passing := []string{"id", "record.id", "amt", `record["amount"]`, "tag", "upper(record.tag)"}
	tests := []struct {
		name string
		ops  []*ir.Operator
		want map[string]string // filter ID → its predicate and input after rewriting; nil: no rewrite
	}{
		{"renamed fields are read under their input names",
			[]*ir.Operator{src(), mapOf("source.s", passing...), filter("f", "map.m", `record.amt > 1 && record["id"] != ""`), sink("o", "filter.f")},
			map[string]string{"filter.f": `source.s: record.amount > 1 && record["id"] != ""`}},
		{"a predicate that reads no field moves",
			[]*ir.Operator{src(), mapOf("source.s", passing...), filter("f", "map.m", `var.on`), sink("o", "filter.f")},
			map[string]string{"filter.f": `source.s: var.on`}},
		{"a computed field stops it",
			[]*ir.Operator{src(), mapOf("source.s", passing...), filter("f", "map.m", `record.tag == "A"`), sink("o", "filter.f")}, nil},
		{"a map with another consumer stops it",
			[]*ir.Operator{src(), mapOf("source.s", passing...), filter("f", "map.m", `record.amt > 1`), sink("o", "filter.f"), sink("p", "map.m")}, nil},
		{"reading the whole record stops it",
			[]*ir.Operator{src(), mapOf("source.s", passing...), filter("f", "map.m", `jsonencode(record) != ""`), sink("o", "filter.f")}, nil},
		{"a for expression that rebinds record stops it",
			[]*ir.Operator{src(), mapOf("source.s", passing...), filter("f", "map.m", `length([for record in [record.id] : record]) > 0`), sink("o", "filter.f")}, nil},
		{"a route whose outputs are all filtered alike",
			[]*ir.Operator{src(), withDefault(route(2, "r", "source.s", "a", "b")), filter("fa", "route.r.a", "record.x > 1"), filter("fb", "route.r.b", " record.x > 1 "), sink("oa", "filter.fa"), sink("ob", "filter.fb")},
			map[string]string{"filter.fa": "source.s: record.x > 1"}},
		{"a route without a default output",
			[]*ir.Operator{src(), route(2, "r", "source.s", "a", "b"), filter("fa", "route.r.a", "record.x > 1"), filter("fb", "route.r.b", "record.x > 1"), sink("oa", "filter.fa"), sink("ob", "filter.fb")}, nil},
		{"a route whose outputs are filtered differently",
			[]*ir.Operator{src(), withDefault(route(2, "r", "source.s", "a", "b")), filter("fa", "route.r.a", "record.x > 1"), filter("fb", "route.r.b", "record.x > 2"), sink("oa", "filter.fa"), sink("ob", "filter.fb")}, nil},
		{"a route output that something else reads too",
			[]*ir.Operator{src(), withDefault(route(2, "r", "source.s", "a", "b")), filter("fa", "route.r.a", "record.x > 1"), filter("fb", "route.r.b", "record.x > 1"), sink("oa", "filter.fa"), sink("ob", "filter.fb"), sink("raw", "route.r.b")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pipeline(nil, tt.ops...)
			orig, _ := json.Marshal(p)
			q, rewrites := rewrite(p)
			if again, _ := json.Marshal(p); string(again) != string(orig) {
				t.Error("rewrite modified its input")
			}
			if tt.want == nil {
				if q != p || len(rewrites) > 0 {
					t.Errorf("rewrote: %v", rewrites)
				}
				return
			}
			got := map[string]string{}
			for id := range tt.want {
				f := q.Operator(id)
				got[id] = strings.Join(f.Inputs, ", ") + ": " + f.Filter.Where.Source
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("filters after rewriting (-want +got):\n%s", d)
			}
			if _, diags := newGraph(q); diags.HasErrors() {
				t.Errorf("rewritten pipeline is not in topological order: %v", diags)
			}
		})
	}
}

// BenchmarkRewrite1000 is the rewrite pass alone on the generated
// 1,000-operator pipeline (BenchmarkPlan1000 includes it).
func BenchmarkRewrite1000(b *testing.B) {
	p := generatedPipeline(1000)
	for b.Loop() {
		rewrite(p)
	}
}

// TestFilterPushdownAlternatingChain: in source → m1 → f2 → m3 → f4 → m5 →
// f6, each filter moves past every map above it in one rewrite (m3
// renames a to b), and each spec stream is found where its records went,
// or nowhere (issue 17, item 9: map by map, n alternating operators made
// Θ(n²) rewrites, each re-parsing the predicate).
func TestFilterPushdownAlternatingChain(t *testing.T) {
	mapOf := func(n int, input, field, from string) *ir.Operator {
		m := op(n, ir.KindMap, fmt.Sprintf("m%d", n), input)
		m.Map.Fields = []ir.Field{{Name: field, Expr: ir.Expr{Source: "record." + from}}, {Name: "k", Expr: ir.Expr{Source: "record.k"}}}
		return m
	}
	filter := func(n int, input, where string) *ir.Operator {
		f := op(n, ir.KindFilter, fmt.Sprintf("f%d", n), input)
		f.Filter.Where = ir.Expr{Source: where}
		return f
	}
	p := pipeline(nil, op(0, ir.KindSource, "s"),
		mapOf(1, "source.s", "a", "a"), filter(2, "map.m1", "record.a > 2"),
		mapOf(3, "filter.f2", "b", "a"), filter(4, "map.m3", "record.b > 4 && record.k != 4"),
		mapOf(5, "filter.f4", "b", "b"), filter(6, "map.m5", "record.b > 6"),
		op(7, ir.KindSink, "o", "filter.f6"))
	q, rewrites := rewrite(p)
	var got []string
	for _, o := range q.Operators {
		line := o.ID + " ← " + strings.Join(o.Inputs, ", ")
		if o.Filter != nil {
			line += ": " + o.Filter.Where.Source
		}
		got = append(got, line)
	}
	want := []string{
		"source.s ← ",
		"filter.f2 ← source.s: record.a > 2",
		"filter.f4 ← filter.f2: record.a > 4 && record.k != 4",
		"filter.f6 ← filter.f4: record.a > 6",
		"map.m1 ← filter.f6",
		"map.m3 ← map.m1",
		"map.m5 ← map.m3",
		"sink.o ← map.m5",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("operators after rewriting (-want +got):\n%s", d)
	}
	var rs []string
	for _, r := range rewrites {
		rs = append(rs, r.String())
	}
	wantRs := []string{
		"filter.f2 pushed before map.m1: reads only passed-through fields (a)",
		"filter.f4 pushed before map.m1: reads only passed-through fields (b = record.a, k) of 2 maps, map.m3 to map.m1",
		"filter.f6 pushed before map.m1: reads only passed-through fields (b = record.a) of 3 maps, map.m5 to map.m1",
	}
	if d := cmp.Diff(wantRs, rs); d != "" {
		t.Errorf("rewrites (-want +got):\n%s", d)
	}
	// Where each spec stream's records are now: only the last filter's
	// and the sink's survive; every map's and earlier filter's output now
	// has later filters applied.
	plan := &ir.Plan{Rewrites: rewrites}
	streams := map[string]string{}
	for _, s := range []string{"map.m1", "filter.f2", "map.m3", "filter.f4", "map.m5", "filter.f6", "sink.o"} {
		to, ok := plan.StreamFor(s)
		if !ok {
			to = "(none)"
		}
		streams[s] = to
	}
	wantStreams := map[string]string{"map.m1": "(none)", "filter.f2": "(none)", "map.m3": "(none)", "filter.f4": "(none)",
		"map.m5": "(none)", "filter.f6": "map.m5", "sink.o": "sink.o"}
	if d := cmp.Diff(wantStreams, streams); d != "" {
		t.Errorf("StreamFor (-want +got):\n%s", d)
	}
}
