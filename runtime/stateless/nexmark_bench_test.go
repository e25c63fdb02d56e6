package stateless

import (
	"fmt"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

// The hot path of Nexmark's stateless queries (issue 13, BENCHMARKS.md
// "Nexmark"): one bid decoded, its event time read, mapped and encoded for
// a file sink, as bench/nexmark/q0 and q1 do, with the decode mask the
// native engine sets (channel and url are read by nothing).

var nexmarkBid = ir.Schema{Type: cty.Object(map[string]cty.Type{
	"auction": cty.Number, "bidder": cty.Number, "price": cty.Number, "channel": cty.String,
	"url": cty.String, "dateTime": cty.String, "extra": cty.String,
})}

// nexmarkBids are bids as bench/nexmark/gen writes them.
var nexmarkBids = []string{
	`{"auction":1000,"bidder":1001,"price":9490,"channel":"channel-9768","url":"https://www.nexmark.com/nqsr/zmt/szm/item.htm?query=1&channel_id=342097920","dateTime":"2026-01-01T00:00:00.000Z","extra":"cfegrqomdlktevbkyswutfyepbpynzzaphwyqdzngxawyanatoxlprnfwpebybnswdksyg"}`,
	`{"auction":1010,"bidder":1001,"price":2241,"channel":"channel-9602","url":"https://www.nexmark.com/d h/wacq/rxh/item.htm?query=1&channel_id=1101266944","dateTime":"2026-01-01T00:00:00.000Z","extra":"hzevbvunrmmntihgihnbnhmqezgrhwhxcxollefggljvkcefglzlrqvdstkbcegdmpjpp"}`,
	`{"auction":1000,"bidder":1001,"price":1036913,"channel":"Google","url":"https://www.nexmark.com/kgtk/lvm/item.htm?query=1","dateTime":"2026-01-01T00:00:00.100Z","extra":"abzsmsztbqbqhzvwvgrvkvnadyqbcmubwalhiplwbrwywdahacuzhclwzwzvixdecmlso"}`,
	`{"auction":1003,"bidder":1004,"price":787,"channel":"channel-3120","url":"https://www.nexmark.com/ybt/hy/ehs/item.htm?query=1&channel_id=1858076672","dateTime":"2026-01-01T00:00:00.100Z","extra":"pzzmrzlzyvlybgnvipagmepsmcvcyzdbwbmphxpkusvbovuxyrtpqjzlkjjwmvqnbxfa"}`,
}

// nexmarkPlan is a one-stage plan: source.bid, map.q with fields, a file
// sink.
func nexmarkPlan(fields []ir.Field, out cty.Type) *ir.Plan {
	mapped := ir.Schema{Type: out}
	ops := []*ir.Operator{
		{ID: "source.bid", Kind: ir.KindSource, Name: "bid", Schema: nexmarkBid, Source: &ir.Source{File: "bid.jsonl", Format: "json", EventTime: xp("record.dateTime")}},
		{ID: "map.q", Kind: ir.KindMap, Name: "q", Inputs: []string{"source.bid"}, Schema: mapped, Map: &ir.Map{Fields: fields}},
		{ID: "sink.out", Kind: ir.KindSink, Name: "out", Inputs: []string{"map.q"}, Schema: mapped, Sink: &ir.Sink{File: "out.jsonl", Format: "json"}},
	}
	st := &ir.Stage{ID: "s", Backend: ir.BackendNative, Operators: []string{"source.bid", "map.q", "sink.out"}}
	return &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: &ir.Pipeline{Name: "nexmark", Operators: ops}, Stages: []*ir.Stage{st}}
}

func nexmarkQ(price string) *ir.Plan {
	return nexmarkPlan([]ir.Field{
		{Name: "auction", Expr: x("record.auction")}, {Name: "bidder", Expr: x("record.bidder")},
		{Name: "price", Expr: x(price)}, {Name: "dateTime", Expr: x("record.dateTime")}, {Name: "extra", Expr: x("record.extra")},
	}, cty.Object(map[string]cty.Type{"auction": cty.Number, "bidder": cty.Number, "price": cty.Number, "dateTime": cty.String, "extra": cty.String}))
}

// sinkBytes counts what a file sink would be handed.
type sinkBytes struct{ n int }

func (s *sinkBytes) Emit(o record.Output) error { s.n += len(o.Value) + 1; return nil }
func (s *sinkBytes) DeadLetter(dl record.DeadLetter) error {
	return fmt.Errorf("unexpected dead letter from %s: %s", dl.Operator, dl.Err)
}

func benchNexmark(b *testing.B, plan *ir.Plan) {
	p, err := New(plan, "s")
	if err != nil {
		b.Fatal(err)
	}
	s := p.Stream("source.bid")
	// What runtime/native's needs.go sets: only what the programs read.
	s.SetNeeded(s.Layout().Mask([]string{"auction", "bidder", "price", "dateTime", "extra"}))
	ins := make([]record.Input, len(nexmarkBids))
	size := 0
	for i, v := range nexmarkBids {
		ins[i] = record.Input{Stream: "source.bid", Value: []byte(v)}
		size += len(v)
	}
	var out sinkBytes
	b.SetBytes(int64(size / len(ins)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := p.Process(ins[i%len(ins)], &out); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if out.n == 0 {
		b.Fatal("no output")
	}
}

// BenchmarkNexmarkQ0 is q0: every field but channel and url passed through.
func BenchmarkNexmarkQ0(b *testing.B) { benchNexmark(b, nexmarkQ("record.price")) }

// BenchmarkNexmarkQ1 is q1: q0 with the price converted to euros.
func BenchmarkNexmarkQ1(b *testing.B) { benchNexmark(b, nexmarkQ("0.908 * record.price")) }

// TestMapDoesNotAllocate: once warm, a bid decoded, mapped (q0's and q1's
// maps) and encoded for a file sink costs no allocation per record; the
// decoder's string arena takes a new chunk every few kilobytes, which
// AllocsPerRun's whole-number average does not count.
func TestMapDoesNotAllocate(t *testing.T) {
	for name, plan := range map[string]*ir.Plan{"q0": nexmarkQ("record.price"), "q1": nexmarkQ("0.908 * record.price")} {
		p, err := New(plan, "s")
		if err != nil {
			t.Fatal(err)
		}
		var out sinkBytes
		for _, v := range nexmarkBids {
			in := record.Input{Stream: "source.bid", Value: []byte(v)}
			if err := p.Process(in, &out); err != nil { // warm the buffers
				t.Fatal(err)
			}
			if allocs := testing.AllocsPerRun(100, func() { _ = p.Process(in, &out) }); allocs != 0 {
				t.Errorf("%s: %v allocations per record, want 0", name, allocs)
			}
		}
	}
}
