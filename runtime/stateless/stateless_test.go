package stateless

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

var (
	x  = testkit.X
	xp = testkit.XP
)

var event = ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.String, "level": cty.String, "n": cty.Number})}

// testPlan is a stage reading source.logs: a filter, a map, a route with a
// default output, two keyed sinks, and a keyed channel to another stage.
func testPlan() *ir.Plan {
	mapped := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.String, "level": cty.String, "double": cty.Number})}
	ops := []*ir.Operator{
		{ID: "source.logs", Kind: ir.KindSource, Name: "logs", Schema: event, Source: &ir.Source{Topic: "logs", Format: "json", EventTime: xp("record.n")}},
		{ID: "filter.big", Kind: ir.KindFilter, Name: "big", Inputs: []string{"source.logs"}, Schema: event, Filter: &ir.Filter{Where: x("record.n > 1")}},
		{ID: "map.m", Kind: ir.KindMap, Name: "m", Inputs: []string{"filter.big"}, Schema: mapped, Map: &ir.Map{Fields: []ir.Field{
			{Name: "id", Expr: x("record.id")}, {Name: "level", Expr: x("upper(record.level)")}, {Name: "double", Expr: x("record.n * 2")}}}},
		{ID: "route.r", Kind: ir.KindRoute, Name: "r", Inputs: []string{"map.m"}, Schema: mapped, Route: &ir.Route{Outputs: []ir.RouteOutput{
			{Name: "errors", When: xp(`record.level == "ERROR"`)}, {Name: "rest", Default: true}}}},
		{ID: "sink.errors", Kind: ir.KindSink, Name: "errors", Inputs: []string{"route.r.errors"}, Schema: mapped, Sink: &ir.Sink{Topic: "errors", Format: "json", Key: xp("record.id")}},
		{ID: "sink.rest", Kind: ir.KindSink, Name: "rest", Inputs: []string{"route.r.rest"}, Schema: mapped, Sink: &ir.Sink{Topic: "rest", Format: "json", Key: xp("record.double")}},
		{ID: "aggregate.a", Kind: ir.KindAggregate, Name: "a", Inputs: []string{"map.m"}, Schema: mapped},
	}
	st := &ir.Stage{ID: "b", Backend: ir.BackendBroker, Operators: []string{"source.logs", "filter.big", "map.m", "route.r", "sink.errors", "sink.rest"}}
	agg := &ir.Stage{ID: "n", Backend: ir.BackendNative, Operators: []string{"aggregate.a"}}
	return &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline:      &ir.Pipeline{Name: "t", Operators: ops},
		Stages:        []*ir.Stage{st, agg},
		Channels: []*ir.Channel{{From: "map.m", To: "aggregate.a", Topic: "t.map.m", Stream: "map.m",
			Key: []ir.Expr{x("record.level"), x("record.id")}}},
	}
}

// collect records outputs as "target topic key value @ts" and dead letters
// as "operator reason: error".
type collect struct{ got []string }

func (c *collect) Emit(o record.Output) error {
	key := "<nil>"
	if o.Key != nil {
		key = string(o.Key)
	}
	c.got = append(c.got, fmt.Sprintf("%s %s %s %s @%d", o.Target, o.Topic, key, o.Value, o.TimestampMs))
	return nil
}

func (c *collect) DeadLetter(d record.DeadLetter) error {
	c.got = append(c.got, d.Operator+" "+d.Reason+": "+d.Err)
	return nil
}

func TestProcess(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  []string
	}{
		{"filtered out", `{"id":"a","level":"info","n":1}`, nil},
		{"error route, keyed channel", `{"id":"a","level":"error","n":2}`, []string{
			`map.m t.map.m ["ERROR","a"] {"double":4,"id":"a","level":"ERROR"} @2`,
			`sink.errors errors a {"double":4,"id":"a","level":"ERROR"} @2`,
		}},
		{"default route, number key as JSON", `{"id":"b","level":"warn","n":3}`, []string{
			`map.m t.map.m ["WARN","b"] {"double":6,"id":"b","level":"WARN"} @3`,
			`sink.rest rest 6 {"double":6,"id":"b","level":"WARN"} @3`,
		}},
		{"null sink key is no key", `{"level":"warn","n":3}`, []string{
			`map.m t.map.m ["WARN",null] {"double":6,"id":null,"level":"WARN"} @3`,
			`sink.rest rest 6 {"double":6,"id":null,"level":"WARN"} @3`,
		}},
		{"malformed", `{"id":`, []string{"source.logs decode: json: field id: unexpected end of JSON input (at byte 6)"}},
		{"event time fails", `{"id":"a","level":"x"}`, []string{"source.logs eval: event_time: "}},
		{"map fails", `{"id":"a","n":5}`, []string{"map.m eval: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(testPlan(), "b")
			if err != nil {
				t.Fatal(err)
			}
			var c collect
			if err := p.Process(record.Input{Stream: "source.logs", Value: []byte(tt.value), TimestampMs: 99}, &c); err != nil {
				t.Fatal(err)
			}
			// Error texts come from the evaluator: compare their start.
			for i := range c.got {
				if i < len(tt.want) && strings.HasSuffix(tt.want[i], ": ") && strings.HasPrefix(c.got[i], tt.want[i]) {
					c.got[i] = tt.want[i]
				}
			}
			if d := cmp.Diff(tt.want, c.got); d != "" {
				t.Errorf("outputs (-want +got):\n%s", d)
			}
		})
	}
}

func TestTaps(t *testing.T) {
	p, err := New(testPlan(), "b", WithTaps("filter.big"))
	if err != nil {
		t.Fatal(err)
	}
	var c collect
	if err := p.Process(record.Input{Stream: "source.logs", Value: []byte(`{"id":"a","level":"error","n":2}`)}, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.got) != 3 || c.got[0] != `filter.big  <nil> {"id":"a","level":"error","n":2} @2` {
		t.Errorf("outputs with a tap on filter.big: %q", c.got)
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name  string
		stage string
		edit  func(*ir.Plan)
		want  string
	}{
		{"stateful operator", "n", func(*ir.Plan) {}, "aggregate.a keeps state across records"},
		{"unknown stage", "x", func(*ir.Plan) {}, `no stage "x"`},
		{"bad expression", "b", func(p *ir.Plan) { p.Pipeline.Operators[1].Filter.Where = x("record.nope > 1") }, "filter.big where"},
		{"table source", "b", func(p *ir.Plan) { p.Pipeline.Operators[0].Source.Table = true }, "table source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := testPlan()
			tt.edit(plan)
			_, err := New(plan, tt.stage)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestUnknownStream(t *testing.T) {
	p, err := New(testPlan(), "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Process(record.Input{Stream: "source.other", Value: []byte(`{}`)}, &collect{}); err == nil {
		t.Error("Process accepted a stream the stage does not read")
	}
	if got := p.Streams(); !cmp.Equal(got, []string{"source.logs"}) {
		t.Errorf("Streams() = %q", got)
	}
}

// TestRouteCountsDrops: a record that matches no output of a route without
// a default output is dropped and counted, never lost without a trace.
func TestRouteCountsDrops(t *testing.T) {
	plan := testPlan()
	plan.Pipeline.Operators[3].Route.Outputs[1].Default = false
	plan.Pipeline.Operators[3].Route.Outputs[1].When = xp(`record.level == "WARN"`)
	p, err := New(plan, "b")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{`{"id":"a","level":"info","n":2}`, `{"id":"b","level":"warn","n":2}`, `{"id":"c","level":"debug","n":3}`} {
		if err := p.Process(record.Input{Stream: "source.logs", Value: []byte(v)}, &collect{}); err != nil {
			t.Fatal(err)
		}
	}
	if d := cmp.Diff(map[string]int64{"route.r": 2}, p.Dropped()); d != "" {
		t.Errorf("Dropped() (-want +got):\n%s", d)
	}
}

// discard drops everything.
type discard struct{}

func (discard) Emit(record.Output) error           { return nil }
func (discard) DeadLetter(record.DeadLetter) error { return nil }

// TestFilterDoesNotAllocate: once warm, a record that decodes and that a
// filter drops costs no allocation. The native engine runs its filters on
// this core, so this is its hot path too.
func TestFilterDoesNotAllocate(t *testing.T) {
	p, err := New(testPlan(), "b")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{`{"id":"a","level":"info","n":1}`, `{"id":"b","level":"warn","n":0}`} {
		in := record.Input{Stream: "source.logs", Value: []byte(v)}
		if err := p.Process(in, discard{}); err != nil { // warm the buffers
			t.Fatal(err)
		}
		if allocs := testing.AllocsPerRun(100, func() { _ = p.Process(in, discard{}) }); allocs != 0 {
			t.Errorf("%s: %v allocations per record, want 0", v, allocs)
		}
	}
}

// TestCounters feeds TestProcess's seven inputs through two processors
// sharing one Counters, as a worker's partition groups do. Expected by
// hand: 7 read, 2 rejected by the source (malformed, event time), the info
// record filtered out, the map failing on one, one error and two others
// routed and written.
func TestCounters(t *testing.T) {
	inputs := []string{
		`{"id":"a","level":"info","n":1}`,
		`{"id":"a","level":"error","n":2}`,
		`{"id":"b","level":"warn","n":3}`,
		`{"level":"warn","n":3}`,
		`{"id":`,
		`{"id":"a","level":"x"}`,
		`{"id":"a","n":5}`,
	}
	c := NewCounters()
	plan := testPlan()
	var procs []*Processor
	for range 2 {
		p, err := New(plan, "b", WithCounters(c))
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
	}
	for i, v := range inputs {
		if err := procs[i%2].Process(record.Input{Stream: "source.logs", Value: []byte(v)}, discard{}); err != nil {
			t.Fatal(err)
		}
	}
	want := []OperatorCount{
		{Operator: "source.logs", In: 7, Out: 5},
		{Operator: "filter.big", In: 5, Out: 4},
		{Operator: "map.m", In: 4, Out: 3},
		{Operator: "route.r", In: 3, Out: 3},
		{Operator: "sink.errors", In: 1, Out: 1},
		{Operator: "sink.rest", In: 2, Out: 2},
	}
	if d := cmp.Diff(want, c.Operators(plan.Pipeline, plan.Stages[0])); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
}

// BenchmarkCounters measures what per-operator counting costs on
// testPlan's stage (source, filter, map, route, two keyed sinks, a keyed
// channel): compare the two sub-benchmarks of one run.
func BenchmarkCounters(b *testing.B) {
	in := record.Input{Stream: "source.logs", Value: []byte(`{"id":"a","level":"error","n":2}`)}
	for _, name := range []string{"without", "with"} {
		b.Run(name, func(b *testing.B) {
			var opts []Option
			if name == "with" {
				opts = append(opts, WithCounters(NewCounters()))
			}
			p, err := New(testPlan(), "b", opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Process(in, discard{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMaxRecordBytes: a source record over max_record_bytes is
// dead-lettered as too_large without being decoded (a malformed one too),
// one at the limit goes through; every runtime that links this core (the
// broker's module, native, Beam) gets the same rule.
func TestMaxRecordBytes(t *testing.T) {
	const ok = `{"id":"a","level":"error","n":2}`
	tests := []struct {
		name  string
		value string
		want  string // the first thing collected
	}{
		{"at the limit", ok, `map.m t.map.m ["ERROR","a"] {"double":4,"id":"a","level":"ERROR"} @2`},
		{"one byte over", ok + " ", fmt.Sprintf("source.logs too_large: record of %d bytes is larger than the source's max_record_bytes (%d)", len(ok)+1, len(ok))},
		{"malformed and over", `{"id":` + strings.Repeat("x", len(ok)), fmt.Sprintf("source.logs too_large: record of %d bytes is larger than the source's max_record_bytes (%d)", len(ok)+6, len(ok))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := testPlan()
			plan.Pipeline.Operators[0].Source.MaxRecordBytes = int64(len(ok))
			p, err := New(plan, "b")
			if err != nil {
				t.Fatal(err)
			}
			var c collect
			if err := p.Process(record.Input{Stream: "source.logs", Value: []byte(tt.value), TimestampMs: 99}, &c); err != nil {
				t.Fatal(err)
			}
			if len(c.got) == 0 || c.got[0] != tt.want {
				t.Errorf("got %q, want first %q", c.got, tt.want)
			}
		})
	}
}

// Expressions sharing subexpressions over the decoded record (filter, map)
// and over the map's reused output record (route, sink key): each record's
// values are its own, never a memoized value of the record before.
func TestProcessSharedSubexpressions(t *testing.T) {
	lvl := `lower(trimspace(coalesce(record.level, "info")))`
	mapped := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.String, "level": cty.String, "tag": cty.String})}
	ops := []*ir.Operator{
		{ID: "source.logs", Kind: ir.KindSource, Name: "logs", Schema: event, Source: &ir.Source{Topic: "logs", Format: "json"}},
		{ID: "filter.f", Kind: ir.KindFilter, Name: "f", Inputs: []string{"source.logs"}, Schema: event, Filter: &ir.Filter{Where: x(lvl + ` != "debug"`)}},
		{ID: "map.m", Kind: ir.KindMap, Name: "m", Inputs: []string{"filter.f"}, Schema: mapped, Map: &ir.Map{Fields: []ir.Field{
			{Name: "id", Expr: x("record.id")}, {Name: "level", Expr: x(lvl)}, {Name: "tag", Expr: x(`upper(trimspace(coalesce(record.level, "info")))`)}}}},
		{ID: "route.r", Kind: ir.KindRoute, Name: "r", Inputs: []string{"map.m"}, Schema: mapped, Route: &ir.Route{Outputs: []ir.RouteOutput{
			{Name: "hi", When: xp(`upper(record.id) == "A"`)}, {Name: "rest", Default: true}}}},
		{ID: "sink.hi", Kind: ir.KindSink, Name: "hi", Inputs: []string{"route.r.hi"}, Schema: mapped, Sink: &ir.Sink{Topic: "hi", Format: "json", Key: xp(`upper(record.id)`)}},
		{ID: "sink.rest", Kind: ir.KindSink, Name: "rest", Inputs: []string{"route.r.rest"}, Schema: mapped, Sink: &ir.Sink{Topic: "rest", Format: "json", Key: xp(`upper(record.id)`)}},
	}
	st := &ir.Stage{ID: "b", Backend: ir.BackendBroker, Operators: []string{"source.logs", "filter.f", "map.m", "route.r", "sink.hi", "sink.rest"}}
	plan := &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: &ir.Pipeline{Name: "t", Operators: ops}, Stages: []*ir.Stage{st}}
	p, err := New(plan, "b")
	if err != nil {
		t.Fatal(err)
	}
	c := &collect{}
	for i, v := range []string{
		`{"id":"a","level":" Warn "}`,
		`{"id":"b","level":"DEBUG"}`,
		`{"id":"b"}`,
		`{"id":"A","level":"error"}`,
		`{"id":"c","level":"x"}`,
	} {
		if err := p.Process(record.Input{Stream: "source.logs", Value: []byte(v), TimestampMs: int64(i)}, c); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		`sink.hi hi A {"id":"a","level":"warn","tag":"WARN"} @0`,
		`sink.rest rest B {"id":"b","level":"info","tag":"INFO"} @2`,
		`sink.hi hi A {"id":"A","level":"error","tag":"ERROR"} @3`,
		`sink.rest rest C {"id":"c","level":"x","tag":"X"} @4`,
	}
	if diff := cmp.Diff(want, c.got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
