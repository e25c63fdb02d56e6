package optimizer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pipeline-compiler/pipeline/ir"
)

// randomProblem returns a random DAG of n nodes over the given number of
// labels: each node reads up to two earlier nodes, some labels are
// infeasible for some nodes, costs of very different magnitudes.
func randomProblem(r *rand.Rand, n, labels int) *problem {
	pr := &problem{labels: labels, unary: make([][]float64, n), producers: make([][]int, n),
		weights: make([][]float64, n), channel: make([]float64, labels), fixed: make([]float64, labels)}
	for l := range labels {
		pr.channel[l] = r.Float64()
		pr.fixed[l] = r.Float64() * 10
	}
	for i := range n {
		pr.unary[i] = make([]float64, labels)
		for l := range labels {
			pr.unary[i][l] = r.Float64() * 5
			if r.IntN(5) == 0 {
				pr.unary[i][l] = math.Inf(1)
			}
		}
		if i == 0 {
			continue
		}
		for range r.IntN(3) {
			pr.producers[i] = append(pr.producers[i], r.IntN(i))
			pr.weights[i] = append(pr.weights[i], r.Float64()*3)
		}
	}
	return pr
}

// bruteForce tries every assignment.
func bruteForce(pr *problem) float64 {
	n := len(pr.unary)
	labels := make([]int, n)
	best := math.Inf(1)
	var rec func(i int)
	rec = func(i int) {
		if i == n {
			best = math.Min(best, pr.cost(labels))
			return
		}
		for l := range pr.labels {
			labels[i] = l
			rec(i + 1)
		}
	}
	rec(0)
	return best
}

// TestSolveMatchesBruteForce checks the enumeration is exact: on thousands
// of random DAGs of up to 10 operators over up to 3 backends, its cost is
// the least cost over every placement, and the assignment it returns has
// that cost.
func TestSolveMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2026))
	const cases = 5000
	agree := 0
	for c := range cases {
		n := 1 + r.IntN(10)
		labels := 1 + r.IntN(3)
		pr := randomProblem(r, n, labels)
		want := bruteForce(pr)
		got, cost, exact := solve(pr)
		if !exact {
			t.Fatalf("case %d: not exact", c)
		}
		if math.IsInf(want, 1) {
			if got != nil {
				t.Errorf("case %d: solve found %v (cost %v), brute force found nothing feasible", c, got, cost)
				continue
			}
			agree++
			continue
		}
		if got == nil {
			t.Errorf("case %d: solve found nothing, brute force %v", c, want)
			continue
		}
		if math.Abs(cost-want) > 1e-9 || math.Abs(pr.cost(got)-cost) > 1e-9 {
			t.Errorf("case %d (n=%d, labels=%d): solve cost %v (assignment costs %v), brute force %v", c, n, labels, cost, pr.cost(got), want)
			continue
		}
		agree++
	}
	t.Logf("solve agrees with brute force on %d/%d random DAGs", agree, cases)

	// More than 8 backends: the unpacked state keys.
	for c := range 200 {
		pr := randomProblem(r, 1+r.IntN(5), 9)
		want := bruteForce(pr)
		_, cost, _ := solve(pr)
		if cost != want && math.Abs(cost-want) > 1e-9 {
			t.Errorf("9 labels, case %d: solve cost %v, brute force %v", c, cost, want)
		}
	}
}

// generatedProblem is a 1,000-operator DAG of chains, fan-outs and joins
// over three backends, shaped like a large pipeline: a few sources, long
// chains, routes that fan out, joins of recent branches, sinks.
func generatedProblem(n int) *problem {
	r := rand.New(rand.NewPCG(1000, 1))
	pr := &problem{labels: 3, unary: make([][]float64, n), producers: make([][]int, n),
		weights: make([][]float64, n), channel: []float64{3e-9, 3e-9, 3e-9}, fixed: []float64{5, 1, 50}}
	open := []int{} // streams still to be consumed
	for i := range n {
		pr.unary[i] = []float64{r.Float64(), r.Float64() * 0.5, r.Float64() * 2}
		if r.IntN(3) == 0 {
			pr.unary[i][1] = math.Inf(1) // keyed: not on the broker
		}
		var ins []int
		switch {
		case len(open) == 0 || (len(open) < 4 && r.IntN(10) == 0): // source
		case len(open) >= 2 && r.IntN(6) == 0: // join the two most recent
			ins = []int{open[len(open)-2], open[len(open)-1]}
			open = open[:len(open)-2]
		default: // chain
			ins = []int{open[len(open)-1]}
			open = open[:len(open)-1]
		}
		for _, j := range ins {
			pr.producers[i] = append(pr.producers[i], j)
			pr.weights[i] = append(pr.weights[i], 1e6*r.Float64())
		}
		open = append(open, i)
		if r.IntN(8) == 0 && len(open) < 6 { // fan out: a second reader later
			open = append(open, i)
		}
	}
	return pr
}

func TestGeneratedProblemIsSolvedExactly(t *testing.T) {
	pr := generatedProblem(1000)
	labels, _, exact := solve(pr)
	if labels == nil || !exact {
		t.Fatalf("solve(1000 operators) = %v, exact %v", labels != nil, exact)
	}
}

// BenchmarkSolve1000 is the optimization of a 1,000-operator DAG.
func BenchmarkSolve1000(b *testing.B) {
	pr := generatedProblem(1000)
	for b.Loop() {
		if labels, _, _ := solve(pr); labels == nil {
			b.Fatal("no plan")
		}
	}
}

func TestFormatBytes(t *testing.T) {
	got := fmt.Sprint(formatBytes(40<<30), " ", formatBytes(8<<30), " ", formatBytes(1536))
	if want := "40 GiB 8 GiB 1.5 KiB"; got != want {
		t.Errorf("formatBytes = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		in   string
		want float64
	}{{"8GiB", 8 << 30}, {"512 MiB", 512 << 20}, {"2GB", 2e9}, {"100", 100}} {
		if got, err := parseBytes(tt.in); err != nil || got != tt.want {
			t.Errorf("parseBytes(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := parseBytes("lots"); err == nil {
		t.Error(`parseBytes("lots") succeeded`)
	}
}

// generatedPipeline is a 1,000-operator pipeline of chains, fan-outs and
// joins with broker, beam and native enabled.
func generatedPipeline(n int) *ir.Pipeline {
	r := rand.New(rand.NewPCG(1000, 2))
	var ops []*ir.Operator
	var open []string
	kinds := []ir.Kind{ir.KindFilter, ir.KindMap, ir.KindFilter, ir.KindMap, ir.KindDedupe, ir.KindAggregate}
	for i := 0; len(ops) < n; i++ {
		name := fmt.Sprintf("n%d", i)
		var o *ir.Operator
		switch {
		case len(open) == 0 || (len(open) < 4 && r.IntN(10) == 0):
			o = op(i+1, ir.KindSource, name)
			o.Stats.Rate = float64(1000 + r.IntN(100000))
		case len(open) >= 2 && r.IntN(6) == 0:
			o = op(i+1, ir.KindJoin, name, open[len(open)-2], open[len(open)-1])
			open = open[:len(open)-2]
		case len(ops) > n-8 || r.IntN(12) == 0:
			o = op(i+1, ir.KindSink, name, open[len(open)-1])
			open = open[:len(open)-1]
		default:
			o = op(i+1, kinds[r.IntN(len(kinds))], name, open[len(open)-1])
			open = open[:len(open)-1]
		}
		ops = append(ops, o)
		if o.Kind != ir.KindSink {
			open = append(open, o.ID)
			if r.IntN(8) == 0 && len(open) < 6 {
				open = append(open, o.ID)
			}
		}
	}
	return pipeline([]string{"beam", "broker", "native"}, ops...)
}

// BenchmarkPlan1000 is the whole of Plan on a 1,000-operator pipeline:
// estimation, costing, enumeration, fusion, channels and explanations.
func BenchmarkPlan1000(b *testing.B) {
	p := generatedPipeline(1000)
	for b.Loop() {
		if _, diags := Plan(p, testBackends); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
