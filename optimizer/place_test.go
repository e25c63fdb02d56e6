package optimizer

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMovedMatchesFullCost: the plan's cost with some operators moved,
// computed from what changes, equals the cost of the whole moved plan.
func TestMovedMatchesFullCost(t *testing.T) {
	p := generatedPipeline(300)
	g, diags := newGraph(p)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := &config{caps: map[string]Capabilities{}}
	testBackends(cfg)
	d, diags := place(g, cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	check := func(c int, ops []int, l int) {
		t.Helper()
		labels := slices.Clone(d.labels)
		for _, i := range ops {
			labels[i] = l
		}
		want := d.pr.cost(labels)
		got := d.moved(ops, l)
		if math.IsInf(want, 1) && math.IsInf(got, 1) {
			return
		}
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("case %d: moved(%v, %d) = %v, full cost %v", c, ops, l, got, want)
		}
	}
	// Every operator of a backend moved to the default one: a backend
	// stops. (Moves to an unused backend start one.)
	stopped := 0
	for lab := 1; lab < len(d.names); lab++ {
		var ops []int
		for i, x := range d.labels {
			if x == lab {
				ops = append(ops, i)
			}
		}
		if len(ops) > 0 {
			check(-lab, ops, 0)
			stopped++
		}
	}
	if stopped == 0 {
		t.Fatal("every operator is on the default backend: nothing stops")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for c := range 2000 {
		ops := make([]int, 1+r.IntN(4))
		for k := range ops {
			ops[k] = r.IntN(len(p.Operators))
			if k > 0 && r.IntN(2) == 0 { // neighbours, to share edges
				if cs := g.consumers[ops[k-1]]; len(cs) > 0 {
					ops[k] = cs[r.IntN(len(cs))]
				}
			}
		}
		slices.Sort(ops)
		ops = slices.Compact(ops)
		check(c, ops, r.IntN(len(d.names)))
	}
}
