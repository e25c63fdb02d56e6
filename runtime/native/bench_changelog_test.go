package native

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// The changelog benchmarks run the operators of Nexmark's changelog
// queries (bench/nexmark q4, q9, q18, q19; issue 13) through Engine.Process
// over synthetic Nexmark-shaped events: bids (and, for the joins, the
// auctions they bid on) as JSON, decoded, ranked or joined and folded,
// with every change encoded for an upsert sink.
//
//	go test ./runtime/native -run '^$' -bench Changelog -benchtime 3x
//
// records/cpu-s counts input records per second of process CPU (GC
// included), the measure that holds up on a shared machine.

var (
	bidSchema = obj(map[string]cty.Type{"auction": cty.Number, "bidder": cty.Number, "price": cty.Number,
		"channel": cty.String, "url": cty.String, "dateTime": cty.String, "extra": cty.String})
	auctionSchema = obj(map[string]cty.Type{"id": cty.Number, "itemName": cty.String, "description": cty.String,
		"initialBid": cty.Number, "reserve": cty.Number, "dateTime": cty.String, "expires": cty.String,
		"seller": cty.Number, "category": cty.Number, "extra": cty.String})
)

// nexmarkEvents returns n bids and the auctions they bid on, as JSON, in
// event-time order, shaped as bench/nexmark/generator's (10,000 events/s,
// 3 auctions per 46 bids, hot auctions and bidders, long extra strings).
// Every bid falls in its auction's lifetime.
func nexmarkEvents(n int) (auctions, bids [][]byte) {
	r := rand.New(rand.NewPCG(1, 2))
	const t0 = 1_767_225_600_000 // 2026-01-01T00:00:00Z
	letters := func(b []byte, k int) []byte {
		for range k {
			b = append(b, byte('a'+r.IntN(26)))
		}
		return b
	}
	ts := func(b []byte, ms int64) []byte {
		return time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	}
	type auction struct{ id, start, end int64 }
	var open []auction
	nextAuction := int64(1000)
	for i := range n {
		now := t0 + int64(i)/10
		for len(open) == 0 || i%15 == 0 && len(auctions)*46 < (i+1)*3 {
			a := auction{id: nextAuction, start: now, end: now + 1000 + r.Int64N(60_000)}
			nextAuction++
			open = append(open, a)
			if len(open) > 2000 {
				open = open[1:]
			}
			v := append([]byte(`{"id":`), strconv.FormatInt(a.id, 10)...)
			v = append(v, `,"itemName":"`...)
			v = letters(v, 12)
			v = append(v, `","description":"`...)
			v = letters(v, 40)
			v = append(v, `","initialBid":`...)
			v = strconv.AppendInt(v, 100+r.Int64N(10_000), 10)
			v = append(v, `,"reserve":`...)
			v = strconv.AppendInt(v, 10_000+r.Int64N(10_000), 10)
			v = append(v, `,"dateTime":"`...)
			v = ts(v, a.start)
			v = append(v, `","expires":"`...)
			v = ts(v, a.end)
			v = append(v, `","seller":`...)
			v = strconv.AppendInt(v, 1000+r.Int64N(1000), 10)
			v = append(v, `,"category":`...)
			v = strconv.AppendInt(v, 10+r.Int64N(5), 10)
			v = append(v, `,"extra":"`...)
			v = letters(v, 100)
			auctions = append(auctions, append(v, `"}`...))
		}
		a := open[len(open)-1-min(len(open)-1, r.IntN(200))] // recent auctions
		if r.IntN(2) == 0 {
			a = open[len(open)-1] // a hot one
		}
		bidder := int64(1000 + r.IntN(2000))
		if r.IntN(4) > 0 {
			bidder = 1001 + int64(i/20_000)*100 // hot bidders
		}
		v := append([]byte(`{"auction":`), strconv.FormatInt(a.id, 10)...)
		v = append(v, `,"bidder":`...)
		v = strconv.AppendInt(v, bidder, 10)
		v = append(v, `,"price":`...)
		v = strconv.AppendInt(v, int64(math.Exp(r.Float64()*14)), 10)
		v = append(v, `,"channel":"channel-`...)
		v = strconv.AppendInt(v, int64(r.IntN(10_000)), 10)
		v = append(v, `","url":"https://www.nexmark.com/`...)
		v = letters(v, 4)
		v = append(v, `/item.htm?query=1","dateTime":"`...)
		v = ts(v, min(max(now, a.start), a.end))
		v = append(v, `","extra":"`...)
		v = letters(v, 60)
		bids = append(bids, append(v, `"}`...))
	}
	return auctions, bids
}

// BenchmarkChangelogTop is a continuous top over bids: keep-last per
// (bidder, auction) (q18) and the 10 highest bids per auction (q19).
func BenchmarkChangelogTop(b *testing.B) {
	_, bids := nexmarkEvents(200_000)
	for _, tc := range []struct {
		name  string
		key   []ir.Expr
		order ir.OrderKey
		limit int
	}{
		{"q18-keep-last", []ir.Expr{x("record.bidder"), x("record.auction")}, ir.OrderKey{Expr: x("record.dateTime"), Desc: true}, 1},
		{"q19-top10", []ir.Expr{x("record.auction")}, ir.OrderKey{Expr: x("record.price"), Desc: true}, 10},
	} {
		top := &ir.Operator{ID: "top.t", Kind: ir.KindTop, Name: "t", Inputs: []string{"source.bid"}, Schema: bidSchema,
			Top:       &ir.Top{Key: tc.key, OrderBy: []ir.OrderKey{tc.order}, Limit: tc.limit, Continuous: true},
			Changelog: true, ChangelogByRow: true}
		out := sink("out", "top.t", bidSchema)
		out.Changelog, out.ChangelogByRow = true, true
		plan := planOf(source("bid", bidSchema, "record.dateTime"), top, out)
		b.Run(tc.name, func(b *testing.B) { benchChangelog(b, plan, nil, bids) })
	}
}

// BenchmarkChangelogJoin is the interval join of auctions and bids (the
// bid within its auction's lifetime) feeding q4's two continuous
// aggregates (each auction's highest bid, then the average per category
// over that changelog) and q9's continuous top 1 per auction.
func BenchmarkChangelogJoin(b *testing.B) {
	auctions, bids := nexmarkEvents(200_000)
	on := x("left.id == right.auction && parse_time(right.dateTime) >= parse_time(left.dateTime) && parse_time(right.dateTime) <= parse_time(left.expires)")
	join := func(fs []ir.Field, s ir.Schema) *ir.Operator {
		return &ir.Operator{ID: "join.j", Kind: ir.KindJoin, Name: "j", Inputs: []string{"source.auction", "source.bid"}, Schema: s,
			Join: &ir.Join{Type: ir.JoinInner, On: on, LeftKeys: []ir.Expr{x("left.id")}, RightKeys: []ir.Expr{x("right.auction")},
				Fields: fs, WithinMs: 360_000}}
	}
	num := cty.Number
	// q4
	joined := obj(map[string]cty.Type{"id": num, "category": num, "price": num})
	winning := obj(map[string]cty.Type{"id": num, "category": num, "final": num})
	perCat := obj(map[string]cty.Type{"category": num, "final": num})
	q4out := obj(map[string]cty.Type{"id": num, "final": num})
	aggW := &ir.Operator{ID: "aggregate.w", Kind: ir.KindAggregate, Name: "w", Inputs: []string{"join.j"}, Schema: winning,
		Changelog: true, ChangelogKey: []string{"id", "category"},
		Aggregate: &ir.Aggregate{Key: fields("id", "record.id", "category", "record.category"),
			Fields: []ir.AggField{{Name: "final", Func: ir.AggMax, Arg: xp("record.price")}}}}
	aggC := &ir.Operator{ID: "aggregate.c", Kind: ir.KindAggregate, Name: "c", Inputs: []string{"aggregate.w"}, Schema: perCat,
		Changelog: true, ChangelogKey: []string{"category"},
		Aggregate: &ir.Aggregate{Key: fields("category", "record.category"),
			Fields: []ir.AggField{{Name: "final", Func: ir.AggAvg, Arg: xp("record.final")}}}}
	m := &ir.Operator{ID: "map.q4", Kind: ir.KindMap, Name: "q4", Inputs: []string{"aggregate.c"}, Schema: q4out,
		Changelog: true, ChangelogKey: []string{"id"},
		Map: &ir.Map{Fields: fields("id", "record.category", "final", "floor(record.final)")}}
	q4sink := sink("out", "map.q4", q4out)
	q4sink.Changelog, q4sink.ChangelogKey = true, []string{"id"}
	q4 := planOf(source("auction", auctionSchema, "record.dateTime"), source("bid", bidSchema, "record.dateTime"),
		join(fields("id", "left.id", "category", "left.category", "price", "right.price"), joined), aggW, aggC, m, q4sink)
	b.Run("q4-join-max-avg", func(b *testing.B) { benchChangelog(b, q4, auctions, bids) })

	// q9
	q9joined := obj(map[string]cty.Type{"id": num, "itemName": cty.String, "description": cty.String, "initialBid": num,
		"reserve": num, "dateTime": cty.String, "expires": cty.String, "seller": num, "category": num, "extra": cty.String,
		"auction": num, "bidder": num, "price": num, "bid_dateTime": cty.String, "bid_extra": cty.String})
	q9fields := fields("id", "left.id", "itemName", "left.itemName", "description", "left.description",
		"initialBid", "left.initialBid", "reserve", "left.reserve", "dateTime", "left.dateTime", "expires", "left.expires",
		"seller", "left.seller", "category", "left.category", "extra", "left.extra", "auction", "right.auction",
		"bidder", "right.bidder", "price", "right.price", "bid_dateTime", "right.dateTime", "bid_extra", "right.extra")
	top := &ir.Operator{ID: "top.t", Kind: ir.KindTop, Name: "t", Inputs: []string{"join.j"}, Schema: q9joined,
		Top: &ir.Top{Key: []ir.Expr{x("record.id")}, OrderBy: []ir.OrderKey{{Expr: x("record.price"), Desc: true},
			{Expr: x("record.bid_dateTime")}}, Limit: 1, Continuous: true},
		Changelog: true, ChangelogByRow: true}
	q9sink := sink("out", "top.t", q9joined)
	q9sink.Changelog, q9sink.ChangelogByRow = true, true
	q9 := planOf(source("auction", auctionSchema, "record.dateTime"), source("bid", bidSchema, "record.dateTime"),
		join(q9fields, q9joined), top, q9sink)
	b.Run("q9-join-top1", func(b *testing.B) { benchChangelog(b, q9, auctions, bids) })
}

// benchChangelog pushes the auctions, then the bids (as the file runner
// reads one file after the other), through a new engine per iteration.
func benchChangelog(b *testing.B, plan *ir.Plan, auctions, bids [][]byte) {
	inputs := make([]Input, 0, len(auctions)+len(bids))
	for i, v := range auctions {
		inputs = append(inputs, Input{Stream: "source.auction", Offset: int64(i), Value: v})
	}
	for i, v := range bids {
		inputs = append(inputs, Input{Stream: "source.bid", Offset: int64(i), Value: v})
	}
	d, cpu := benchEngine(b, plan, inputs)
	if d.dead != 0 || d.n == 0 {
		b.Fatalf("got %d outputs and %d dead letters", d.n, d.dead)
	}
	records := len(auctions) + len(bids)
	b.ReportMetric(float64(d.n), "changes")
	b.ReportMetric(float64(records)*float64(b.N)/cpu.Seconds(), "records/cpu-s")
}
