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
)

// TestTopCheckpointRestore ranks records per key and tumbling window (top 2
// by n, ties kept) and checks the output against a plain-Go reference
// computed from the inputs, then that a run checkpointed and restored at
// several points writes the same records.
func TestTopCheckpointRestore(t *testing.T) {
	ops := []*ir.Operator{
		source("e", event, "record.ts"),
		{ID: "top.t", Kind: ir.KindTop, Name: "t", Inputs: []string{"source.e"}, Schema: event,
			Top: &ir.Top{Key: []ir.Expr{x("record.k")}, OrderBy: []ir.OrderKey{{Expr: x("record.n"), Desc: true}}, Limit: 2,
				Window: &ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000}}},
		sink("out", "top.t", event),
	}
	type row struct {
		id, k string
		n, ts float64
	}
	var rows []row
	var inputs []Input
	for i := range 300 {
		r := row{id: fmt.Sprintf("r%d", i), k: string(rune('a' + i%4)), n: float64(i % 7), ts: base + float64(i*1000)}
		rows = append(rows, r)
		inputs = append(inputs, in("source.e", 0, js("id", r.id, "k", r.k, "n", r.n, "ts", r.ts)))
		inputs[i].Offset = int64(i)
	}
	// The reference: group by (k, minute), keep every row whose n is at
	// least the second largest n of its group.
	groups := map[string][]row{}
	for _, r := range rows {
		g := fmt.Sprintf("%s/%d", r.k, int64(r.ts)/60_000)
		groups[g] = append(groups[g], r)
	}
	var want []string
	for _, g := range groups {
		ns := make([]float64, len(g))
		for i, r := range g {
			ns[i] = r.n
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(ns)))
		cut := ns[min(1, len(ns)-1)]
		for _, r := range g {
			if r.n >= cut {
				want = append(want, js("id", r.id, "k", r.k, "n", r.n, "ts", r.ts))
			}
		}
	}
	sort.Strings(want)

	full := run(t, planOf(ops...), inputs, true)
	if d := cmp.Diff(want, full.sorted()["sink.out"]); d != "" {
		t.Fatalf("uninterrupted run differs from the reference (-want +got):\n%s", d)
	}
	for _, cut := range []int{1, 100, 150, 299} {
		t.Run(fmt.Sprintf("cut=%d", cut), func(t *testing.T) {
			ctx := context.Background()
			got := newCollect()
			e1, err := New(planOf(ops...), "s")
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
			e2, err := New(planOf(ops...), "s")
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
			if d := cmp.Diff(want, got.sorted()["sink.out"]); d != "" {
				t.Errorf("restored run differs (-want +got):\n%s", d)
			}
		})
	}
}

// changes records a changelog sink's outputs in order: "+" and the row for
// a put, "-" and the row (the Kafka key of a by-row changelog) for a
// tombstone.
type changes struct{ got []string }

func (c *changes) Emit(o Output) error {
	sign, v := "+", o.Value
	if v == nil {
		sign, v = "-", o.Key
	}
	var m any
	if err := json.Unmarshal(v, &m); err != nil {
		return fmt.Errorf("output %s is not JSON: %s", o.Target, v)
	}
	b, _ := json.Marshal(m)
	c.got = append(c.got, sign+string(b))
	return nil
}

func (c *changes) DeadLetter(d DeadLetter) error { return fmt.Errorf("dead letter: %+v", d) }

// TestContinuousTopChanges checks every change a continuous top emits, in
// order, against a reference that ranks each group from scratch after
// every record (order_by n, descending or ascending; ties by arrival and
// kept at the limit): the rows that left the ranking are deleted, in
// arrival order, then the new row is inserted if it entered.
func TestContinuousTopChanges(t *testing.T) {
	type row struct {
		id, k string
		n, ts float64
		seq   int
	}
	var rows []row
	var inputs []Input
	for i := range 200 {
		// Few distinct n, so that ties straddle the limit often.
		r := row{id: fmt.Sprintf("r%d", i), k: string(rune('a' + i%3)), n: float64((i * 7) % 5), ts: base + float64(i*1000), seq: i}
		rows = append(rows, r)
		inputs = append(inputs, in("source.e", 0, js("id", r.id, "k", r.k, "n", r.n, "ts", r.ts)))
		inputs[i].Offset = int64(i)
	}
	for _, limit := range []int{1, 2, 3} {
		for _, desc := range []bool{true, false} {
			t.Run(fmt.Sprintf("limit=%d,desc=%v", limit, desc), func(t *testing.T) {
				// The reference.
				ranking := func(group []row) map[int]bool {
					s := append([]row(nil), group...)
					sort.SliceStable(s, func(i, j int) bool {
						if s[i].n != s[j].n {
							return (s[i].n > s[j].n) == desc
						}
						return s[i].seq < s[j].seq
					})
					in := map[int]bool{}
					for i, r := range s {
						if i >= limit && r.n != s[limit-1].n {
							break
						}
						in[r.seq] = true
					}
					return in
				}
				var want []string
				seen := map[string][]row{}
				for _, r := range rows {
					before := ranking(seen[r.k])
					seen[r.k] = append(seen[r.k], r)
					after := ranking(seen[r.k])
					for _, o := range seen[r.k] { // arrival order
						if before[o.seq] && !after[o.seq] {
							want = append(want, "-"+js("id", o.id, "k", o.k, "n", o.n, "ts", o.ts))
						}
					}
					if after[r.seq] {
						want = append(want, "+"+js("id", r.id, "k", r.k, "n", r.n, "ts", r.ts))
					}
				}

				top := &ir.Operator{ID: "top.t", Kind: ir.KindTop, Name: "t", Inputs: []string{"source.e"}, Schema: event,
					Top:       &ir.Top{Key: []ir.Expr{x("record.k")}, OrderBy: []ir.OrderKey{{Expr: x("record.n"), Desc: desc}}, Limit: limit, Continuous: true},
					Changelog: true, ChangelogByRow: true}
				out := sink("top", "top.t", event)
				out.Changelog, out.ChangelogByRow = true, true
				e, err := New(planOf(source("e", event, "record.ts"), top, out), "s")
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close()
				var got changes
				for _, i := range inputs {
					if err := e.Process(context.Background(), i, &got); err != nil {
						t.Fatal(err)
					}
				}
				if d := cmp.Diff(want, got.got); d != "" {
					t.Errorf("changes differ from the reference (-want +got):\n%s", d)
				}
			})
		}
	}
}
