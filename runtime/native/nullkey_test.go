package native

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
)

// TestNullKeysAreDeadLettered feeds records whose key is null to each
// keyed operator: each goes to the dead-letter topic as null_key, and
// records with keys are handled as usual. A dedupe used to treat null as
// one key and drop every null-key record after the first.
func TestNullKeysAreDeadLettered(t *testing.T) {
	nullID := func(ts float64) Input { return in("source.e", 0, js("k", nil, "id", nil, "n", 1, "ts", ts)) }
	cnt := obj(map[string]cty.Type{"k": cty.String, "cnt": cty.Number, "window_start": cty.String, "window_end": cty.String})
	cust := source("c", customer, "")
	cust.Source.Table = true
	tests := []struct {
		name     string
		ops      []*ir.Operator
		inputs   []Input
		wantOut  int
		wantDead []string
	}{
		{"dedupe",
			[]*ir.Operator{source("e", event, "record.ts"),
				{ID: "dedupe.d", Kind: ir.KindDedupe, Inputs: []string{"source.e"}, Schema: event, Dedupe: &ir.Dedupe{Key: x("record.id"), WithinMs: 3_600_000}},
				sink("out", "dedupe.d", event)},
			[]Input{nullID(base), ev("source.e", "a", "x", 1, base+1), nullID(base + 2), ev("source.e", "a", "x", 1, base+3)},
			1, []string{"dedupe.d null_key", "dedupe.d null_key"}},
		{"aggregate",
			[]*ir.Operator{source("e", event, "record.ts"),
				{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"source.e"}, Schema: cnt,
					Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
						Fields: []ir.AggField{{Name: "cnt", Func: ir.AggCount}}}},
				sink("out", "aggregate.a", cnt)},
			[]Input{nullID(base), ev("source.e", "a", "x", 1, base+1), nullID(base + 2)},
			1, []string{"aggregate.a null_key", "aggregate.a null_key"}},
		{"join",
			[]*ir.Operator{source("e", event, "record.ts"), cust,
				{ID: "join.j", Kind: ir.KindJoin, Inputs: []string{"source.e", "source.c"}, Schema: enriched,
					Join: &ir.Join{Type: ir.JoinLeft, On: x("left.k == right.id"), LeftKeys: []ir.Expr{x("left.k")}, RightKeys: []ir.Expr{x("right.id")},
						Fields: fields("id", "left.id", "tier", "right.tier")}},
				sink("out", "join.j", enriched)},
			[]Input{in("source.c", 0, js("id", nil, "tier", "gold")), in("source.c", 0, js("id", "x", "tier", "gold")),
				nullID(base), ev("source.e", "a", "x", 1, base+1)},
			1, []string{"join.j null_key", "join.j null_key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := run(t, planOf(tt.ops...), tt.inputs, true)
			if got := len(c.out["sink.out"]); got != tt.wantOut {
				t.Errorf("%d outputs, want %d: %v", got, tt.wantOut, c.out)
			}
			if d := cmp.Diff(tt.wantDead, c.dead); d != "" {
				t.Errorf("dead letters (-want +got):\n%s", d)
			}
		})
	}
}
