package native

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// TestTableJoinOnNonKeyField is issue 16.2: a stream–table join on a
// field that is not the table's key finds only current rows. Customer c4
// moves from dana@example.org to dana@newmail.org; c5 is deleted by a
// tombstone; c6 and c7 share an address, and c6 leaving it must not take
// c7's row away. Expected by hand from the table's meaning: the latest
// row per key, deleted rows gone.
func TestTableJoinOnNonKeyField(t *testing.T) {
	cust := obj(map[string]cty.Type{"id": cty.String, "email": cty.String, "tier": cty.String})
	signup := obj(map[string]cty.Type{"id": cty.String, "email": cty.String, "ts": cty.Number})
	out := obj(map[string]cty.Type{"id": cty.String, "customer": cty.String, "tier": cty.String})
	for _, limit := range []int{0, 1} { // 1: rows are evicted to Pebble and read back
		c := source("c", cust, "")
		c.Source.Table = true
		c.Source.Key = xp("record.id")
		join := &ir.Operator{ID: "join.j", Kind: ir.KindJoin, Inputs: []string{"source.s", "source.c"}, Schema: out,
			Join: &ir.Join{Type: ir.JoinLeft, On: x("lower(trimspace(left.email)) == right.email"),
				LeftKeys: []ir.Expr{x("lower(trimspace(left.email))")}, RightKeys: []ir.Expr{x("right.email")},
				Fields: fields("id", "left.id", "customer", "right.id", "tier", "right.tier")}}
		plan := planOf(source("s", signup, "record.ts"), c, join, sink("out", "join.j", out))
		var opts []Option
		if limit > 0 {
			opts = append(opts, WithCacheEntries(limit))
		}
		got := run(t, plan, []Input{
			in("source.c", 0, `{"id":"c4","email":"dana@example.org","tier":"bronze"}`),
			in("source.c", 0, `{"id":"c5","email":"eve@example.org","tier":"silver"}`),
			in("source.c", 0, `{"id":"c6","email":"shared@example.org","tier":"a"}`),
			in("source.c", 0, `{"id":"c7","email":"shared@example.org","tier":"b"}`),
			in("source.c", 0, `{"id":"c4","email":"dana@newmail.org","tier":"gold"}`),
			{Stream: "source.c", Key: []byte("c5")}, // tombstone
			in("source.c", 0, `{"id":"c6","email":"c6@example.org","tier":"a"}`),
			in("source.s", 0, `{"id":"s1","email":" Dana@Example.org ","ts":1}`),
			in("source.s", 0, `{"id":"s2","email":"dana@newmail.org","ts":2}`),
			in("source.s", 0, `{"id":"s3","email":"eve@example.org","ts":3}`),
			in("source.s", 0, `{"id":"s4","email":"shared@example.org","ts":4}`),
			in("source.s", 0, `{"id":"s5","email":"c6@example.org","ts":5}`),
		}, true, opts...)
		want := []string{
			js("id", "s1", "customer", nil, "tier", nil), // the old address is gone
			js("id", "s2", "customer", "c4", "tier", "gold"),
			js("id", "s3", "customer", nil, "tier", nil), // deleted
			js("id", "s4", "customer", "c7", "tier", "b"),
			js("id", "s5", "customer", "c6", "tier", "a"),
		}
		slices.Sort(want)
		if d := cmp.Diff(want, got.sorted()["sink.out"]); d != "" {
			t.Errorf("cache limit %d (-want +got):\n%s", limit, d)
		}
		if len(got.dead) > 0 {
			t.Errorf("dead letters %v", got.dead)
		}
	}
}
