package native

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// upserts applies upsert sink outputs by Kafka key, as a compacted topic
// would: a null value deletes the key.
type upserts map[string]map[string]string

func (u upserts) Emit(o Output) error {
	if u[o.Target] == nil {
		u[o.Target] = map[string]string{}
	}
	if o.Value == nil {
		delete(u[o.Target], string(o.Key))
		return nil
	}
	var v any
	if err := json.Unmarshal(o.Value, &v); err != nil {
		return err
	}
	b, _ := json.Marshal(v)
	u[o.Target][string(o.Key)] = string(b)
	return nil
}

func (u upserts) DeadLetter(d DeadLetter) error { return fmt.Errorf("dead letter: %+v", d) }

func (u upserts) rows() map[string][]string {
	out := map[string][]string{}
	for target, t := range u {
		for _, v := range t {
			out[target] = append(out[target], v)
		}
		sort.Strings(out[target])
	}
	return out
}

// TestContinuousCheckpointRestore: a continuous aggregate (sum and count
// per k) and a continuous top (2 largest n per k, ties kept) over 300
// records give the final tables of a plain-Go reference, uninterrupted and
// when checkpointed and restored at several points.
func TestContinuousCheckpointRestore(t *testing.T) {
	aggOut := obj(map[string]cty.Type{"k": cty.String, "total": cty.Number, "n": cty.Number})
	agg := &ir.Operator{ID: "aggregate.a", Kind: ir.KindAggregate, Name: "a", Inputs: []string{"source.e"}, Schema: aggOut,
		Aggregate: &ir.Aggregate{Key: fields("k", "record.k"),
			Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}, {Name: "n", Func: ir.AggCount}}},
		Changelog: true, ChangelogKey: []string{"k"}}
	top := &ir.Operator{ID: "top.t", Kind: ir.KindTop, Name: "t", Inputs: []string{"source.e"}, Schema: event,
		Top:       &ir.Top{Key: []ir.Expr{x("record.k")}, OrderBy: []ir.OrderKey{{Expr: x("record.n"), Desc: true}}, Limit: 2, Continuous: true},
		Changelog: true, ChangelogByRow: true}
	aggSink, topSink := sink("agg", "aggregate.a", aggOut), sink("top", "top.t", event)
	aggSink.Changelog, aggSink.ChangelogKey = true, []string{"k"}
	topSink.Changelog, topSink.ChangelogByRow = true, true
	ops := []*ir.Operator{source("e", event, "record.ts"), agg, top, aggSink, topSink}

	type row struct {
		id, k string
		n, ts float64
	}
	var inputs []Input
	byK := map[string][]row{}
	for i := range 300 {
		r := row{id: fmt.Sprintf("r%d", i), k: string(rune('a' + i%4)), n: float64((i * 7) % 11), ts: base + float64(i*1000)}
		byK[r.k] = append(byK[r.k], r)
		inputs = append(inputs, in("source.e", 0, js("id", r.id, "k", r.k, "n", r.n, "ts", r.ts)))
		inputs[i].Offset = int64(i)
	}
	want := map[string][]string{}
	for k, rows := range byK {
		var total float64
		ns := make([]float64, len(rows))
		for i, r := range rows {
			total += r.n
			ns[i] = r.n
		}
		want["sink.agg"] = append(want["sink.agg"], js("k", k, "n", len(rows), "total", total))
		sort.Sort(sort.Reverse(sort.Float64Slice(ns)))
		for _, r := range rows {
			if r.n >= ns[1] {
				want["sink.top"] = append(want["sink.top"], js("id", r.id, "k", r.k, "n", r.n, "ts", r.ts))
			}
		}
	}
	for _, v := range want {
		sort.Strings(v)
	}

	ctx := context.Background()
	for _, tc := range []struct{ cut, cache int }{{0, 0}, {1, 0}, {100, 0}, {150, 0}, {299, 0}, {0, 1}, {150, 2}} {
		cut := tc.cut
		var opts []Option
		if tc.cache > 0 { // groups are evicted to the store and read back
			opts = append(opts, WithCacheEntries(tc.cache))
		}
		t.Run(fmt.Sprintf("cut=%d,cache=%d", cut, tc.cache), func(t *testing.T) {
			got := upserts{}
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
			e1.Close()
			e2, err := New(planOf(ops...), "s", opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer e2.Close()
			if err := e2.Restore(snap); err != nil {
				t.Fatal(err)
			}
			for _, i := range inputs[cut:] {
				if err := e2.Process(ctx, i, got); err != nil {
					t.Fatal(err)
				}
			}
			if err := e2.Drain(ctx, got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got.rows()); d != "" {
				t.Errorf("final tables differ from the reference (-want +got):\n%s", d)
			}
		})
	}
}
