package native

import (
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// TestDecodeOnlyNeeded checks which attributes of the source's records the
// engine decodes: the ones the stage's expressions read, or all of them
// when a record is written out or read as a whole.
func TestDecodeOnlyNeeded(t *testing.T) {
	src := source("e", event, "")
	aggOut := obj(map[string]cty.Type{"k": cty.String, "total": cty.Number, "window_start": cty.String, "window_end": cty.String})
	agg := func(input string) *ir.Operator {
		return &ir.Operator{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{input}, Schema: aggOut,
			Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
				Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record[\"n\"]")}}}}
	}
	filter := func(where string) *ir.Operator {
		return &ir.Operator{ID: "filter.f", Kind: ir.KindFilter, Inputs: []string{"source.e"}, Schema: event, Filter: &ir.Filter{Where: x(where)}}
	}
	tests := []struct {
		name string
		ops  []*ir.Operator
		want []string // nil: every attribute
	}{
		{"aggregate reads key and argument",
			[]*ir.Operator{src, agg("source.e"), sink("out", "aggregate.a", aggOut)}, []string{"k", "n"}},
		{"event time is read too",
			[]*ir.Operator{source("e", event, "record.ts"), agg("source.e"), sink("out", "aggregate.a", aggOut)}, []string{"k", "n", "ts"}},
		{"a filter's reads add to its consumers'",
			[]*ir.Operator{src, filter(`record.id != ""`), agg("filter.f"), sink("out", "aggregate.a", aggOut)}, []string{"id", "k", "n"}},
		{"a sink needs the whole record",
			[]*ir.Operator{src, filter(`record.id != ""`), sink("out", "filter.f", event)}, nil},
		{"a computed index needs the whole record",
			[]*ir.Operator{src, filter(`record[lower("ID")] != ""`), agg("filter.f"), sink("out", "aggregate.a", aggOut)}, nil},
		{"the record as a value needs all of it",
			[]*ir.Operator{src, filter(`jsonencode(record) != ""`), agg("filter.f"), sink("out", "aggregate.a", aggOut)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(planOf(tt.ops...), "s")
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			s := e.g.Stream("source.e")
			var got []string
			if s.Needed() != nil {
				got = []string{}
				for i, ok := range s.Needed() {
					if ok {
						got = append(got, s.Layout().Names[i])
					}
				}
				sort.Strings(got)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("decoded attributes (-want +got):\n%s", d)
			}
		})
	}
}

// TestUnreadAttributeNotDecoded: a type error in an attribute no operator
// reads does not send the record to the dead-letter queue; one in an
// attribute the aggregate reads does.
func TestUnreadAttributeNotDecoded(t *testing.T) {
	aggOut := obj(map[string]cty.Type{"k": cty.String, "total": cty.Number, "window_start": cty.String, "window_end": cty.String})
	ops := []*ir.Operator{source("e", event, "record.ts"),
		{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"source.e"}, Schema: aggOut,
			Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
				Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}}}},
		sink("out", "aggregate.a", aggOut)}
	c := run(t, planOf(ops...), []Input{
		in("source.e", 0, `{"id":{"not":"a string"},"k":"a","n":1,"ts":1000}`),
		in("source.e", 0, `{"id":"x","k":"a","n":"not a number","ts":2000}`),
		in("source.e", 0, `{"id":"y","k":"a","n":2,"ts":3000}`),
	}, true)
	want := []string{js("k", "a", "total", 3, "window_start", "1970-01-01T00:00:00Z", "window_end", "1970-01-01T00:01:00Z")}
	if d := cmp.Diff(want, c.out["sink.out"]); d != "" {
		t.Errorf("outputs (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"source.e decode"}, c.dead); d != "" {
		t.Errorf("dead letters (-want +got):\n%s", d)
	}
}

// TestDecodesFromPlan: the engine decodes the fields the plan's stage lists
// for an input (the optimizer computed them), and computes them itself
// when a tap adds a stream that leaves the stage.
func TestDecodesFromPlan(t *testing.T) {
	aggOut := obj(map[string]cty.Type{"k": cty.String, "total": cty.Number, "window_start": cty.String, "window_end": cty.String})
	ops := []*ir.Operator{source("e", event, ""),
		{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"source.e"}, Schema: aggOut,
			Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
				Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}}}},
		sink("out", "aggregate.a", aggOut)}
	tests := []struct {
		name    string
		decodes []ir.Decode
		taps    []string
		want    []string // nil: every attribute
	}{
		{"computed without a plan entry", nil, nil, []string{"k", "n"}},
		{"the plan's fields", []ir.Decode{{Stream: "source.e", Fields: []string{"id", "k", "n"}, Of: 4}}, nil, []string{"id", "k", "n"}},
		{"a tap overrides the plan", []ir.Decode{{Stream: "source.e", Fields: []string{"k", "n"}, Of: 4}}, []string{"source.e"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := planOf(ops...)
			plan.Stages[0].Decodes = tt.decodes
			e, err := New(plan, "s", WithTaps(tt.taps...))
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			s := e.g.Stream("source.e")
			var got []string
			if s.Needed() != nil {
				got = []string{}
				for i, ok := range s.Needed() {
					if ok {
						got = append(got, s.Layout().Names[i])
					}
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("decoded attributes (-want +got):\n%s", d)
			}
		})
	}
}
