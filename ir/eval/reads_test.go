package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func TestStageReads(t *testing.T) {
	x := func(s string) ir.Expr { return ir.Expr{Source: s} }
	xp := func(s string) *ir.Expr { e := x(s); return &e }
	src := &ir.Operator{ID: "source.s", Kind: ir.KindSource, Source: &ir.Source{Topic: "s", EventTime: xp("record.ts")}}
	tbl := &ir.Operator{ID: "source.t", Kind: ir.KindSource, Source: &ir.Source{Topic: "t", Table: true}}
	route := &ir.Operator{ID: "route.r", Kind: ir.KindRoute, Inputs: []string{"source.s"},
		Route: &ir.Route{Outputs: []ir.RouteOutput{{Name: "a", When: xp(`record.tier == "gold"`)}, {Name: "b", Default: true}}}}
	agg := &ir.Operator{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"route.r.a"},
		Aggregate: &ir.Aggregate{Key: []ir.Field{{Name: "k", Expr: x("record.k")}}, Fields: []ir.AggField{{Name: "n", Func: ir.AggSum, Arg: xp("record.n")}}}}
	filter := &ir.Operator{ID: "filter.f", Kind: ir.KindFilter, Inputs: []string{"route.r.b"}, Filter: &ir.Filter{Where: x("record.x > 1")}}
	mapOp := &ir.Operator{ID: "map.m", Kind: ir.KindMap, Inputs: []string{"filter.f"}, Map: &ir.Map{Fields: []ir.Field{{Name: "y", Expr: x(`record["y"]`)}}}}
	join := &ir.Operator{ID: "join.j", Kind: ir.KindJoin, Inputs: []string{"map.m", "source.t"},
		Join: &ir.Join{On: x("left.y == right.id"), LeftKeys: []ir.Expr{x("left.y")}, RightKeys: []ir.Expr{x("right.id")},
			Fields: []ir.Field{{Name: "y", Expr: x("left.y")}, {Name: "tier", Expr: x("right.tier")}}}}
	sink := &ir.Operator{ID: "sink.o", Kind: ir.KindSink, Inputs: []string{"join.j"}, Sink: &ir.Sink{Topic: "o"}}
	ops := []*ir.Operator{src, tbl, route, agg, filter, mapOp, join, sink}
	tests := []struct {
		name   string
		stream string
		leaves []string
		want   []string
		all    bool
	}{
		{"through the route, the filter and event time", "source.s", nil, []string{"k", "n", "tier", "ts", "x", "y"}, false},
		{"a stream that leaves the stage", "source.s", []string{"filter.f"}, nil, true},
		{"the right side of a join", "source.t", nil, []string{"id", "tier"}, false},
		{"a sink needs all", "join.j", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names, all := StageReads(ops, tt.stream, func(s string) bool {
				for _, l := range tt.leaves {
					if l == s {
						return true
					}
				}
				return false
			})
			if all != tt.all {
				t.Errorf("all = %v, want %v", all, tt.all)
			}
			if d := cmp.Diff(tt.want, names); d != "" {
				t.Errorf("names (-want +got):\n%s", d)
			}
		})
	}
}
