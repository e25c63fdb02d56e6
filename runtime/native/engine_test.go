package native

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

func TestStatelessOperators(t *testing.T) {
	src := source("e", event, "record.ts")
	tests := []struct {
		name     string
		ops      []*ir.Operator
		inputs   []Input
		want     map[string][]string
		wantDead []string
		dropped  map[string]int64
	}{
		{
			name: "filter keeps matches; eval error goes to the DLQ and the pipeline keeps going",
			ops: []*ir.Operator{src,
				{ID: "filter.big", Kind: ir.KindFilter, Inputs: []string{"source.e"}, Schema: event, Filter: &ir.Filter{Where: x("record.n > 10")}},
				sink("out", "filter.big", event)},
			inputs: []Input{
				ev("source.e", "a", "x", 5, 1),
				in("source.e", 0, `{"id":"b","k":"x","ts":2}`), // n is null: null > 10 is an error
				ev("source.e", "c", "x", 50, 3),
			},
			want:     map[string][]string{"sink.out": {js("id", "c", "k", "x", "n", 50, "ts", 3)}},
			wantDead: []string{"filter.big eval"},
		},
		{
			name: "undecodable input goes to the DLQ as decode",
			ops:  []*ir.Operator{src, sink("out", "source.e", event)},
			inputs: []Input{
				in("source.e", 0, `{"id":`),
				in("source.e", 0, `{"id":"a","n":"not a number","ts":1}`),
				ev("source.e", "b", "x", 1, 1),
			},
			want:     map[string][]string{"sink.out": {js("id", "b", "k", "x", "n", 1, "ts", 1)}},
			wantDead: []string{"source.e decode", "source.e decode"},
		},
		{
			name: "map computes fields",
			ops: []*ir.Operator{src,
				{ID: "map.m", Kind: ir.KindMap, Inputs: []string{"source.e"}, Map: &ir.Map{Fields: fields("id", "upper(record.id)", "double", "record.n * 2")},
					Schema: obj(map[string]cty.Type{"id": cty.String, "double": cty.Number})},
				sink("out", "map.m", obj(map[string]cty.Type{"id": cty.String, "double": cty.Number}))},
			inputs: []Input{ev("source.e", "a", "x", 21, 1)},
			want:   map[string][]string{"sink.out": {js("id", "A", "double", 42)}},
		},
		{
			name: "route: first true output, else default",
			ops: []*ir.Operator{src,
				{ID: "route.r", Kind: ir.KindRoute, Inputs: []string{"source.e"}, Schema: event, Route: &ir.Route{Outputs: []ir.RouteOutput{
					{Name: "big", When: xp("record.n >= 100")},
					{Name: "mid", When: xp("record.n >= 10")},
					{Name: "rest", Default: true},
				}}},
				sink("big", "route.r.big", event), sink("mid", "route.r.mid", event), sink("rest", "route.r.rest", event)},
			inputs: []Input{ev("source.e", "a", "x", 500, 1), ev("source.e", "b", "x", 50, 1), ev("source.e", "c", "x", 5, 1)},
			want: map[string][]string{
				"sink.big":  {js("id", "a", "k", "x", "n", 500, "ts", 1)},
				"sink.mid":  {js("id", "b", "k", "x", "n", 50, "ts", 1)},
				"sink.rest": {js("id", "c", "k", "x", "n", 5, "ts", 1)},
			},
		},
		{
			name: "route without default drops and counts",
			ops: []*ir.Operator{src,
				{ID: "route.r", Kind: ir.KindRoute, Inputs: []string{"source.e"}, Schema: event, Route: &ir.Route{Outputs: []ir.RouteOutput{
					{Name: "big", When: xp("record.n >= 100")},
				}}},
				sink("big", "route.r.big", event)},
			inputs:  []Input{ev("source.e", "a", "x", 500, 1), ev("source.e", "b", "x", 50, 1), ev("source.e", "c", "x", 5, 1)},
			want:    map[string][]string{"sink.big": {js("id", "a", "k", "x", "n", 500, "ts", 1)}},
			dropped: map[string]int64{"route.r": 2},
		},
		{
			name: "dedupe drops a key seen within the window of event time",
			ops: []*ir.Operator{src,
				{ID: "dedupe.d", Kind: ir.KindDedupe, Inputs: []string{"source.e"}, Schema: event, Dedupe: &ir.Dedupe{Key: x("record.id"), WithinMs: 1000}},
				sink("out", "dedupe.d", event)},
			inputs: []Input{
				ev("source.e", "a", "1", 0, 0),
				ev("source.e", "a", "2", 0, 1000), // within: dropped
				ev("source.e", "b", "3", 0, 1500),
				ev("source.e", "a", "4", 0, 2500), // 2500 after the first a: kept
				ev("source.e", "a", "5", 0, 3000), // within of the kept one
			},
			want: map[string][]string{"sink.out": {
				js("id", "a", "k", "1", "n", 0, "ts", 0),
				js("id", "a", "k", "4", "n", 0, "ts", 2500),
				js("id", "b", "k", "3", "n", 0, "ts", 1500),
			}},
		},
		{
			name:   "sink key: a string's raw bytes",
			ops:    []*ir.Operator{src, func() *ir.Operator { s := sink("out", "source.e", event); s.Sink.Key = xp("record.id"); return s }()},
			inputs: []Input{ev("source.e", "a", "x", 1, 1)},
			want:   map[string][]string{"sink.out": {js("id", "a", "k", "x", "n", 1, "ts", 1)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(planOf(tt.ops...), "s")
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			c := newCollect()
			for _, i := range tt.inputs {
				if err := e.Process(context.Background(), i, c); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Drain(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, c.sorted()); d != "" {
				t.Errorf("outputs (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantDead, c.dead); d != "" {
				t.Errorf("dead letters (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.dropped, e.Dropped(), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("dropped (-want +got):\n%s", d)
			}
		})
	}
}

func TestSinkKey(t *testing.T) {
	s := sink("out", "source.e", event)
	s.Sink.Key = xp("record.id")
	s2 := sink("num", "source.e", event)
	s2.Sink.Key = xp("record.n")
	c := run(t, planOf(source("e", event, "record.ts"), s, s2), []Input{ev("source.e", "a", "x", 1.5, 1)}, true)
	want := map[string][]string{"sink.out": {"a"}, "sink.num": {"1.5"}}
	if d := cmp.Diff(want, c.keys); d != "" {
		t.Errorf("keys (-want +got):\n%s", d)
	}
}

var (
	customer = obj(map[string]cty.Type{"id": cty.String, "tier": cty.String})
	enriched = obj(map[string]cty.Type{"id": cty.String, "tier": cty.String})
)

func TestStreamTableJoin(t *testing.T) {
	for _, typ := range []string{ir.JoinLeft, ir.JoinInner} {
		t.Run(typ, func(t *testing.T) {
			cust := source("c", customer, "")
			cust.Source.Table = true
			cust.Source.Key = xp("record.id")
			join := &ir.Operator{ID: "join.j", Kind: ir.KindJoin, Inputs: []string{"source.e", "source.c"}, Schema: enriched,
				Join: &ir.Join{Type: typ, On: x("left.k == right.id"), LeftKeys: []ir.Expr{x("left.k")}, RightKeys: []ir.Expr{x("right.id")},
					Fields: fields("id", "left.id", "tier", "right.tier")}}
			plan := planOf(source("e", event, "record.ts"), cust, join, sink("out", "join.j", enriched))
			c := run(t, plan, []Input{
				in("source.c", 0, `{"id":"c1","tier":"silver"}`),
				in("source.c", 0, `{"id":"c1","tier":"gold"}`), // latest wins
				ev("source.e", "o1", "c1", 1, 1),
				ev("source.e", "o2", "c9", 1, 2), // no such customer
			}, true)
			want := []string{js("id", "o1", "tier", "gold")}
			if typ == ir.JoinLeft {
				want = append(want, js("id", "o2", "tier", nil))
			}
			if d := cmp.Diff(want, c.sorted()["sink.out"]); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestStreamStreamJoin(t *testing.T) {
	pay := obj(map[string]cty.Type{"id": cty.String, "ts": cty.Number})
	auth := obj(map[string]cty.Type{"pid": cty.String, "code": cty.String, "ts": cty.Number})
	out := obj(map[string]cty.Type{"id": cty.String, "code": cty.String})
	p := func(id string, ts float64) Input { return in("source.p", 0, js("id", id, "ts", ts)) }
	a := func(id, code string, ts float64) Input {
		return in("source.a", 0, js("pid", id, "code", code, "ts", ts))
	}
	tests := []struct {
		typ    string
		inputs []Input
		want   []string
	}{
		{
			typ: ir.JoinInner,
			inputs: []Input{
				p("p1", 0), a("p1", "A1", 500), // right arrives second: match
				a("p2", "A2", 1000), p("p2", 1200), // left arrives second: match
				p("p3", 2000), a("p3", "A3", 3001), // 1001 apart: outside within
			},
			want: []string{js("id", "p1", "code", "A1"), js("id", "p2", "code", "A2")},
		},
		{
			typ: ir.JoinLeft,
			inputs: []Input{
				p("p1", 0), a("p1", "A1", 500),
				p("p3", 2000), a("p3", "A3", 3001),
				p("p4", 5000), a("p5", "A5", 9000), // p4 expires when the watermark passes 6000
			},
			want: []string{
				js("id", "p1", "code", "A1"),
				js("id", "p3", "code", nil),
				js("id", "p4", "code", nil),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			join := &ir.Operator{ID: "join.j", Kind: ir.KindJoin, Inputs: []string{"source.p", "source.a"}, Schema: out,
				Join: &ir.Join{Type: tt.typ, On: x("left.id == right.pid"), LeftKeys: []ir.Expr{x("left.id")}, RightKeys: []ir.Expr{x("right.pid")},
					Fields: fields("id", "left.id", "code", "right.code"), WithinMs: 1000}}
			plan := planOf(source("p", pay, "record.ts"), source("a", auth, "record.ts"), join, sink("out", "join.j", out))
			c := run(t, plan, tt.inputs, true)
			if d := cmp.Diff(tt.want, c.sorted()["sink.out"]); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestLeftJoinEmitsAtWatermark checks that an unmatched left record of a
// stream–stream left join is emitted when the watermark passes its time +
// within, not only at drain.
func TestLeftJoinEmitsAtWatermark(t *testing.T) {
	pay := obj(map[string]cty.Type{"id": cty.String, "ts": cty.Number})
	out := obj(map[string]cty.Type{"id": cty.String, "r": cty.String})
	join := &ir.Operator{ID: "join.j", Kind: ir.KindJoin, Inputs: []string{"source.p", "source.a"}, Schema: out,
		Join: &ir.Join{Type: ir.JoinLeft, On: x("left.id == right.id"), LeftKeys: []ir.Expr{x("left.id")}, RightKeys: []ir.Expr{x("right.id")},
			Fields: fields("id", "left.id", "r", "right.id"), WithinMs: 1000}}
	plan := planOf(source("p", pay, "record.ts"), source("a", pay, "record.ts"), join, sink("out", "join.j", out))
	c := run(t, plan, []Input{
		in("source.p", 0, js("id", "p1", "ts", 0)),
		in("source.a", 0, js("id", "zz", "ts", 500)),
		in("source.p", 0, js("id", "p2", "ts", 1500)),
		in("source.a", 0, js("id", "zz", "ts", 1600)), // watermark 1500 > 0 + 1000
	}, false)
	if d := cmp.Diff([]string{js("id", "p1", "r", nil)}, c.out["sink.out"]); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

var aggOut = obj(map[string]cty.Type{"k": cty.String, "total": cty.Number, "cnt": cty.Number, "window_start": cty.String, "window_end": cty.String})

func aggregate(w ir.Window, latenessMs int64) *ir.Operator {
	return &ir.Operator{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"source.e"}, Schema: aggOut,
		Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: w, AllowedLatenessMs: latenessMs,
			Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}, {Name: "cnt", Func: ir.AggCount}}}}
}

// win is an expected window result; start and end in seconds after
// 2026-01-01T00:00:00Z.
func win(k string, total, cnt float64, start, end int) string {
	ts := func(s int) string {
		return time.Date(2026, 1, 1, 0, 0, s, 0, time.UTC).Format(time.RFC3339)
	}
	return js("k", k, "total", total, "cnt", cnt, "window_start", ts(start), "window_end", ts(end))
}

// base is 2026-01-01T00:00:00Z in epoch milliseconds.
const base = 1767225600000

func at(k string, n float64, sec float64) Input {
	return ev("source.e", "", k, n, base+sec*1000)
}

func TestWindows(t *testing.T) {
	tests := []struct {
		name     string
		window   ir.Window
		lateness int64
		inputs   []Input
		drain    bool
		want     []string
		wantDead []string
	}{
		{
			name:   "tumbling fires when the watermark passes the end, once",
			window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
			inputs: []Input{at("a", 1, 5), at("b", 2, 10), at("a", 3, 59), at("a", 4, 60), at("a", 5, 61)},
			want:   []string{win("a", 4, 2, 0, 60), win("b", 2, 1, 0, 60)},
		},
		{
			name:   "tumbling at drain fires every open window",
			window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
			inputs: []Input{at("a", 1, 5), at("a", 4, 60), at("a", 5, 61)},
			drain:  true,
			want:   []string{win("a", 1, 1, 0, 60), win("a", 9, 2, 60, 120)},
		},
		{
			name:   "hopping: a record counts in every window containing it",
			window: ir.Window{Kind: ir.WindowHopping, SizeMs: 60_000, SlideMs: 30_000},
			inputs: []Input{at("a", 1, 10), at("a", 2, 40)},
			drain:  true,
			want: []string{
				win("a", 1, 1, -30, 30),
				win("a", 2, 1, 30, 90),
				win("a", 3, 2, 0, 60),
			},
		},
		{
			name:     "session windows merge when a record bridges them",
			window:   ir.Window{Kind: ir.WindowSession, GapMs: 10_000},
			lateness: 30_000,
			inputs:   []Input{at("a", 1, 0), at("a", 2, 15), at("a", 4, 8), at("a", 8, 40), at("b", 16, 41)},
			drain:    true,
			want:     []string{win("a", 7, 3, 0, 25), win("a", 8, 1, 40, 50), win("b", 16, 1, 41, 51)},
		},
		{
			// Without lateness, [0,10) fires when 15 arrives, so 8 opens a
			// new session that merges with [15,25) only.
			name:   "a fired session does not merge again",
			window: ir.Window{Kind: ir.WindowSession, GapMs: 10_000},
			inputs: []Input{at("a", 1, 0), at("a", 2, 15), at("a", 4, 8)},
			drain:  true,
			want:   []string{win("a", 1, 1, 0, 10), win("a", 6, 2, 8, 25)},
		},
		{
			name:     "allowed lateness keeps a window open; later records are late",
			window:   ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
			lateness: 10_000,
			inputs: []Input{
				at("a", 1, 5),
				at("a", 2, 65),  // watermark 55: [0,60) still open
				at("a", 3, 58),  // counted in [0,60)
				at("a", 4, 80),  // watermark 70: [0,60) fires
				at("a", 5, 40),  // late
				at("a", 6, 100), // watermark 90
			},
			want:     []string{win("a", 4, 2, 0, 60)},
			wantDead: []string{"aggregate.a late"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := planOf(source("e", event, "record.ts"), aggregate(tt.window, tt.lateness), sink("out", "aggregate.a", aggOut))
			c := run(t, plan, tt.inputs, tt.drain)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if d := cmp.Diff(want, c.sorted()["sink.out"], cmpopts.EquateEmpty()); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantDead, c.dead); d != "" {
				t.Errorf("dead letters (-want +got):\n%s", d)
			}
		})
	}
}

// TestPartitionWatermark checks that the stage watermark is the minimum over
// partitions, and that an idle partition stops holding it back.
func TestPartitionWatermark(t *testing.T) {
	plan := planOf(source("e", event, "record.ts"), aggregate(ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000}, 0), sink("out", "aggregate.a", aggOut))
	e, err := New(plan, "s", WithIdleTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	c := newCollect()
	p := func(part int32, sec float64) {
		t.Helper()
		i := at("a", 1, sec)
		i.Partition = part
		if err := e.Process(ctx, i, c); err != nil {
			t.Fatal(err)
		}
	}
	wall := int64(1_000_000)
	if err := e.Advance(ctx, wall, c); err != nil {
		t.Fatal(err)
	}
	p(0, 10)
	p(1, 20)
	p(0, 70) // partition 1 is at 20: the window [0,60) waits
	if got := c.out["sink.out"]; len(got) != 0 {
		t.Fatalf("fired before the slow partition passed the window end: %v", got)
	}
	if err := e.Advance(ctx, wall+3000, c); err != nil { // not idle yet
		t.Fatal(err)
	}
	p(0, 80) // partition 0 keeps producing; partition 1 does not
	if got := c.out["sink.out"]; len(got) != 0 {
		t.Fatalf("fired before the idle timeout: %v", got)
	}
	if err := e.Advance(ctx, wall+6000, c); err != nil { // partition 1 idle now
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{win("a", 2, 2, 0, 60)}, c.out["sink.out"]); d != "" {
		t.Errorf("after partition 1 went idle (-want +got):\n%s", d)
	}
}

// TestCheckpointRestore checks that stopping after a checkpoint, restoring
// it into a new engine and feeding the rest of the input gives exactly the
// outputs of an uninterrupted run.
func TestCheckpointRestore(t *testing.T) {
	cust := source("c", customer, "")
	cust.Source.Table = true
	pay := obj(map[string]cty.Type{"id": cty.String, "k": cty.String, "n": cty.Number, "ts": cty.Number})
	joined := obj(map[string]cty.Type{"id": cty.String, "k": cty.String, "n": cty.Number, "ts": cty.Number, "tier": cty.String})
	ops := []*ir.Operator{
		source("e", event, "record.ts"), cust,
		{ID: "dedupe.d", Kind: ir.KindDedupe, Inputs: []string{"source.e"}, Schema: event, Dedupe: &ir.Dedupe{Key: x("record.id"), WithinMs: 3_600_000}},
		{ID: "join.t", Kind: ir.KindJoin, Inputs: []string{"dedupe.d", "source.c"}, Schema: joined,
			Join: &ir.Join{Type: ir.JoinLeft, On: x("left.k == right.id"), LeftKeys: []ir.Expr{x("left.k")}, RightKeys: []ir.Expr{x("right.id")},
				Fields: fields("id", "left.id", "k", "left.k", "n", "left.n", "ts", "left.ts", "tier", "right.tier")}},
		{ID: "source.a", Kind: ir.KindSource, Name: "a", Schema: pay, Source: &ir.Source{Topic: "a", Format: "json", EventTime: xp("record.ts")}},
		{ID: "join.s", Kind: ir.KindJoin, Inputs: []string{"join.t", "source.a"}, Schema: joined,
			Join: &ir.Join{Type: ir.JoinLeft, On: x("left.id == right.id"), LeftKeys: []ir.Expr{x("left.id")}, RightKeys: []ir.Expr{x("right.id")},
				Fields: fields("id", "left.id", "k", "left.k", "n", "left.n + coalesce(right.n, 0)", "ts", "left.ts", "tier", "left.tier"), WithinMs: 20_000}},
		{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"join.s"}, Schema: aggOut,
			Aggregate: &ir.Aggregate{Key: fields("k", "record.tier"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000}, AllowedLatenessMs: 5_000,
				Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}, {Name: "cnt", Func: ir.AggCount}}}},
		{ID: "aggregate.s", Kind: ir.KindAggregate, Inputs: []string{"join.s"}, Schema: aggOut,
			Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowSession, GapMs: 30_000},
				Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}, {Name: "cnt", Func: ir.AggCount}}}},
		sink("tiers", "aggregate.a", aggOut),
		sink("sessions", "aggregate.s", aggOut),
	}
	var inputs []Input
	for i := range 5 {
		inputs = append(inputs, in("source.c", 0, js("id", string(rune('a'+i)), "tier", []string{"gold", "silver"}[i%2])))
	}
	for i := range 400 {
		k := string(rune('a' + i%7))
		id := string(rune('A'+i%23)) + string(rune('A'+i%11))
		sec := float64(i*3 - (i%5)*4) // mostly increasing, some disorder
		inputs = append(inputs, in("source.e", 0, js("id", id, "k", k, "n", float64(i%13), "ts", base+sec*1000)))
		if i%3 == 0 {
			inputs = append(inputs, in("source.a", 0, js("id", id, "k", k, "n", 100, "ts", base+(sec+7)*1000)))
		}
	}

	for i := range inputs {
		inputs[i].Offset = int64(i)
	}
	// cache=3 makes aggregates evict their keys to the store and fire from
	// its index all the time.
	for _, cfg := range []struct {
		name     string
		stateDir bool
		cache    int
	}{{"mem", false, 0}, {"disk", true, 0}, {"mem/cache=3", false, 3}, {"disk/cache=3", true, 3}} {
		stateDir := cfg.stateDir
		for _, cut := range []int{1, len(inputs) / 3, len(inputs) / 2, len(inputs) - 1} {
			t.Run(fmt.Sprintf("%s/cut=%d", cfg.name, cut), func(t *testing.T) {
				var opts []Option
				if cfg.cache > 0 {
					opts = append(opts, WithCacheEntries(cfg.cache))
				}
				if stateDir {
					opts = append(opts, WithStateDir(t.TempDir()))
				}
				want := run(t, planOf(ops...), inputs, true, opts...)
				if len(want.out["sink.tiers"]) == 0 || len(want.out["sink.sessions"]) == 0 {
					t.Fatalf("uninterrupted run produced no windows: %v", want.out)
				}

				ctx := context.Background()
				got := newCollect()
				e1, err := New(planOf(ops...), "s", opts...)
				if err != nil {
					t.Fatal(err)
				}
				for _, i := range inputs[:cut] {
					if err := e1.Process(ctx, i, got); err != nil {
						t.Fatal(err)
					}
				}
				snap := filepath.Join(t.TempDir(), "snap")
				if err := e1.Checkpoint(snap); err != nil {
					t.Fatal(err)
				}
				offsets := e1.Offsets()
				if got, err := CheckpointOffsets(snap); err != nil || !cmp.Equal(offsets, got) {
					t.Errorf("CheckpointOffsets = %v, %v; want %v", got, err, offsets)
				}
				// Keep processing in the first engine: the snapshot must not
				// see anything after the checkpoint.
				for _, i := range inputs[cut:] {
					if err := e1.Process(ctx, i, newCollect()); err != nil {
						t.Fatal(err)
					}
				}
				e1.Close()

				if stateDir {
					opts = append(opts, WithStateDir(t.TempDir())) // the later option wins
				}
				e2, err := New(planOf(ops...), "s", opts...)
				if err != nil {
					t.Fatal(err)
				}
				defer e2.Close()
				if err := e2.Restore(snap); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(offsets, e2.Offsets()); d != "" {
					t.Errorf("offsets after restore (-checkpoint +restored):\n%s", d)
				}
				for _, i := range inputs[cut:] {
					if err := e2.Process(ctx, i, got); err != nil {
						t.Fatal(err)
					}
				}
				if err := e2.Drain(ctx, got); err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(want.sorted(), got.sorted()); d != "" {
					t.Errorf("restored run differs (-uninterrupted +restored):\n%s", d)
				}
				if d := cmp.Diff(want.dead, got.dead); d != "" {
					t.Errorf("dead letters differ (-uninterrupted +restored):\n%s", d)
				}
			})
		}
	}
}

// TestChannelStages splits a pipeline across two stages joined by a
// channel: the first stage's Outputs for the channel stream, fed to the
// second with their timestamps, give what one fused stage gives.
func TestChannelStages(t *testing.T) {
	ops := []*ir.Operator{
		source("e", event, "record.ts"),
		{ID: "filter.big", Kind: ir.KindFilter, Inputs: []string{"source.e"}, Schema: event, Filter: &ir.Filter{Where: x("record.n >= 2")}},
		aggregate(ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000}, 0),
		sink("out", "aggregate.a", aggOut),
	}
	ops[2].Inputs = []string{"filter.big"}
	inputs := []Input{at("a", 1, 5), at("a", 2, 10), at("b", 3, 30), at("a", 4, 70), at("b", 5, 130)}

	fused := run(t, planOf(ops...), inputs, true)

	plan := planOf(ops...)
	plan.Stages = []*ir.Stage{
		{ID: "s1", Backend: ir.BackendNative, Operators: []string{"source.e", "filter.big"}},
		{ID: "s2", Backend: ir.BackendNative, Operators: []string{"aggregate.a", "sink.out"}},
	}
	plan.Channels = []*ir.Channel{{From: "filter.big", To: "aggregate.a", Topic: "t.filter.big", Stream: "filter.big"}}
	ctx := context.Background()
	s1, err := New(plan, "s1")
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := New(plan, "s2")
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	mid, got := &forward{ctx: ctx, next: s2, t: t}, newCollect()
	mid.out = got
	for _, i := range inputs {
		if err := s1.Process(ctx, i, mid); err != nil {
			t.Fatal(err)
		}
	}
	if err := s1.Drain(ctx, mid); err != nil {
		t.Fatal(err)
	}
	if err := s2.Drain(ctx, got); err != nil {
		t.Fatal(err)
	}
	if mid.n != 4 {
		t.Errorf("channel carried %d records, want 4", mid.n)
	}
	if d := cmp.Diff(fused.sorted(), got.sorted()); d != "" {
		t.Errorf("two stages differ from one (-fused +split):\n%s", d)
	}
}

// forward feeds a stage's channel outputs into the next stage.
type forward struct {
	ctx  context.Context
	next *Engine
	out  Emitter
	n    int
	t    *testing.T
}

func (f *forward) Emit(o Output) error {
	f.n++
	return f.next.Process(f.ctx, Input{Stream: o.Target, Value: o.Value, TimestampMs: o.TimestampMs}, f.out)
}
func (f *forward) DeadLetter(d DeadLetter) error { return f.out.DeadLetter(d) }

// TestStateEviction runs dedupe and a stream–table join with a state cache
// of two entries, so that state is read back from Pebble after eviction.
func TestStateEviction(t *testing.T) {
	cust := source("c", customer, "")
	cust.Source.Table = true
	ops := []*ir.Operator{
		source("e", event, "record.ts"), cust,
		{ID: "dedupe.d", Kind: ir.KindDedupe, Inputs: []string{"source.e"}, Schema: event, Dedupe: &ir.Dedupe{Key: x("record.id"), WithinMs: 1_000_000}},
		{ID: "join.j", Kind: ir.KindJoin, Inputs: []string{"dedupe.d", "source.c"}, Schema: enriched,
			Join: &ir.Join{Type: ir.JoinInner, On: x("left.k == right.id"), LeftKeys: []ir.Expr{x("left.k")}, RightKeys: []ir.Expr{x("right.id")},
				Fields: fields("id", "left.id", "tier", "right.tier")}},
		sink("out", "join.j", enriched),
	}
	var inputs []Input
	var want []string
	for i := range 20 {
		inputs = append(inputs, in("source.c", 0, js("id", fmt.Sprint("c", i), "tier", fmt.Sprint("t", i))))
	}
	for i := range 60 {
		id := fmt.Sprint("o", i%30) // every id twice: the second is a duplicate
		inputs = append(inputs, ev("source.e", id, fmt.Sprint("c", i%30), 0, float64(i)))
		if i < 30 && i < 20 {
			want = append(want, js("id", id, "tier", fmt.Sprint("t", i)))
		}
	}
	sort.Strings(want)
	for _, dir := range []bool{false, true} {
		opts := []Option{WithCacheEntries(2)}
		if dir {
			opts = append(opts, WithStateDir(t.TempDir()))
		}
		c := run(t, planOf(ops...), inputs, true, opts...)
		if d := cmp.Diff(want, c.sorted()["sink.out"]); d != "" {
			t.Errorf("state dir %v (-want +got):\n%s", dir, d)
		}
	}
}

// TestAggregateEvalError checks that a record whose aggregate argument fails
// to evaluate goes to the DLQ and leaves no (empty) window behind.
func TestAggregateEvalError(t *testing.T) {
	out := obj(map[string]cty.Type{"k": cty.String, "total": cty.Number, "window_start": cty.String, "window_end": cty.String})
	agg := &ir.Operator{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"source.e"}, Schema: out,
		Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
			Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("tonumber(record.id)")}}}}
	c := run(t, planOf(source("e", event, "record.ts"), agg, sink("out", "aggregate.a", out)), []Input{
		ev("source.e", "5", "a", 0, base),
		ev("source.e", "x", "b", 0, base+1),
		ev("source.e", "7", "a", 0, base+2),
	}, true)
	want := map[string][]string{"sink.out": {js("k", "a", "total", 12, "window_start", "2026-01-01T00:00:00Z", "window_end", "2026-01-01T00:01:00Z")}}
	if d := cmp.Diff(want, c.sorted()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"aggregate.a eval"}, c.dead); d != "" {
		t.Errorf("dead letters (-want +got):\n%s", d)
	}
}

// dlqs keeps whole dead letters.
type dlqs struct{ got []DeadLetter }

func (d *dlqs) Emit(Output) error              { return nil }
func (d *dlqs) DeadLetter(dl DeadLetter) error { d.got = append(d.got, dl); return nil }

// TestDeadLetterCarriesInput checks that a dead letter names the operator
// and carries the input that caused it, with its offset, for the DLQ
// headers.
func TestDeadLetterCarriesInput(t *testing.T) {
	plan := planOf(source("e", event, "record.ts"),
		&ir.Operator{ID: "filter.f", Kind: ir.KindFilter, Inputs: []string{"source.e"}, Schema: event, Filter: &ir.Filter{Where: x("record.n > 1")}},
		sink("out", "filter.f", event))
	e, err := New(plan, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	d := &dlqs{}
	bad := Input{Stream: "source.e", Partition: 3, Offset: 42, Value: []byte(`{"id":"a","ts":1}`)}
	if err := e.Process(context.Background(), bad, d); err != nil {
		t.Fatal(err)
	}
	if len(d.got) != 1 {
		t.Fatalf("got %d dead letters, want 1", len(d.got))
	}
	got := d.got[0]
	if got.Err == "" {
		t.Error("dead letter has no error text")
	}
	got.Err = ""
	want := DeadLetter{Input: bad, Operator: "filter.f", Reason: ReasonEval}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestUnknownFormatIsAnError(t *testing.T) {
	for _, kind := range []string{"source", "sink"} {
		t.Run(kind, func(t *testing.T) {
			s := obj(map[string]cty.Type{"id": cty.String})
			p := planOf(source("in", s, ""), sink("out", "source.in", s))
			for _, op := range p.Pipeline.Operators {
				if kind == "source" && op.Source != nil {
					op.Source.Format = "xml"
				}
				if kind == "sink" && op.Sink != nil {
					op.Sink.Format = "xml"
				}
			}
			_, err := New(p, "s")
			if err == nil || !strings.Contains(err.Error(), `unknown record format "xml"`) {
				t.Errorf("New with an xml %s = %v, want an unknown-format error", kind, err)
			}
		})
	}
}
