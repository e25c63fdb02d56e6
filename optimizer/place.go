package optimizer

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
)

// placement is where one operator runs.
type placement struct {
	backend string
	pinned  bool
}

// decision is a solved placement and what it was chosen from, kept to
// explain it.
type decision struct {
	g       *graph
	est     *estimates
	pr      *problem
	names   []string // label → backend name; the default backend is label 0
	limits  [][]string
	labels  []int // per operator
	placed  []placement
	cost    float64
	exact   bool
	enabled int
}

// place decides a backend for every operator: the enabled backends that can
// host it (pins obeyed or rejected) and, among all such assignments, one of
// least estimated cost (see solve). Sources and sinks are operators like the
// others: a channel costs more than running them where their neighbours run,
// so they follow them unless a capability forbids it.
func place(g *graph, cfg *config) (*decision, hcl.Diagnostics) {
	enabled := map[string]bool{defaultBackend: true}
	for _, b := range g.p.Backends {
		enabled[b.Name] = true
	}
	var diags hcl.Diagnostics
	names := []string{defaultBackend}
	var others []string
	for b := range enabled {
		if _, known := cfg.caps[b]; known && b != defaultBackend {
			others = append(others, b)
		}
	}
	sort.Strings(others)
	names = append(names, others...)
	caps := make([]Capabilities, len(names))
	for l, b := range names {
		caps[l] = cfg.caps[b]
		budget, ok, err := stateBudget(g.p.Backend(b))
		switch {
		case err != nil:
			blk := g.p.Backend(b)
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid state_budget",
				Detail: fmt.Sprintf("backend %q: %v.", b, err), Subject: blk.Range.Ptr()})
		case ok:
			caps[l].Costs.StateBudget = budget
		}
	}
	obj := objectiveOf(g.p.Optimize)
	est := estimate(g)
	n := len(g.p.Operators)
	pr := &problem{labels: len(names), unary: make([][]float64, n), producers: g.producers,
		weights: make([][]float64, n), cut: make([][][]bool, n),
		channel: make([]float64, len(names)), fixed: make([]float64, len(names)), noFusion: cfg.noFusion}
	for l := range names {
		pr.channel[l] = obj.channel * caps[l].Costs.ChannelPerByte
		pr.fixed[l] = obj.fixed * caps[l].Costs.Fixed
	}
	limits := make([][]string, n)
	for i, op := range g.p.Operators {
		pr.unary[i] = make([]float64, len(names))
		limits[i] = make([]string, len(names))
		pr.weights[i] = make([]float64, len(op.Inputs))
		pr.cut[i] = make([][]bool, len(op.Inputs))
		for k := range op.Inputs {
			pr.weights[i][k] = est.in[i][k].bytesPerSec()
			keyed := needsKeyedInput(g, i, k)
			pr.cut[i][k] = make([]bool, len(names))
			for l := range names {
				pr.cut[i][k][l] = keyed && !caps[l].ShufflesByKey
			}
		}
		if op.Backend != "" {
			if d := checkPin(g, i, enabled, cfg.caps); d != nil {
				diags = append(diags, d)
				continue
			}
		}
		feasible := false
		for l, b := range names {
			c, limit := opCost(g, est, obj, i, caps[l])
			if op.Backend != "" && op.Backend != b && limit == "" {
				c, limit = math.Inf(1), fmt.Sprintf("pinned to %s", op.Backend)
			}
			pr.unary[i][l], limits[i][l] = c, limit
			feasible = feasible || limit == ""
		}
		if !feasible {
			var why []string
			summary := fmt.Sprintf("No enabled backend can host %s", op.ID)
			for l, b := range names {
				if op.Backend == "" || op.Backend == b {
					why = append(why, fmt.Sprintf("%s: %s", b, limits[i][l]))
				}
			}
			if op.Backend != "" {
				summary = fmt.Sprintf("%s cannot run on %s", op.ID, op.Backend)
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  summary,
				Detail:   fmt.Sprintf("%s cannot be placed: %s. Raise the limit, enable another backend, or change the operator.", op.ID, strings.Join(why, "; ")),
				Subject:  op.Range.Ptr(),
			})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	labels, cost, exact := solve(pr)
	if labels == nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No feasible placement",
			Detail: "Every assignment of operators to enabled backends breaks a limit."})
	}
	d := &decision{g: g, est: est, pr: pr, names: names, limits: limits, labels: labels, cost: cost, exact: exact, enabled: len(names)}
	d.placed = make([]placement, n)
	for i, op := range g.p.Operators {
		d.placed[i] = placement{backend: names[labels[i]], pinned: op.Backend != ""}
	}
	return d, diags
}

// round keeps costs readable and their JSON stable.
func round(c float64) float64 { return math.Round(c*1e6) / 1e6 }

// channelCost is the cost of the edge into input k of operator i.
func (d *decision) channelCost(i, k int) float64 {
	j := d.pr.producers[i][k]
	c, _ := d.pr.edge(i, k, d.labels[j], d.labels[i])
	return round(c)
}

// stageCost is the running cost of the operators of stage s.
func (d *decision) stageCost(stageOf []int, s int) float64 {
	c := 0.0
	for i := range d.labels {
		if stageOf[i] == s {
			c += d.pr.unary[i][d.labels[i]]
		}
	}
	return round(c)
}

// moved is the plan's cost with the operators in ops moved to label l: the
// plan's cost plus what changes, which is the operators' own costs and the
// edges that touch them (channels, and stages split or fused). Explanations
// ask it for every stage and operator, so it must not cost a whole plan.
func (d *decision) moved(ops []int, l int) float64 {
	run, ch, st := d.delta(ops, l)
	return d.cost + run + ch + st
}

// delta is what moving the operators in ops to label l changes: running
// them, channels, and stage fixed costs.
func (d *decision) delta(ops []int, l int) (run, channels, stages float64) {
	pr := d.pr
	in := make(map[int]bool, len(ops))
	for _, i := range ops {
		in[i] = true
	}
	label := func(i int) int {
		if in[i] {
			return l
		}
		return d.labels[i]
	}
	edge := func(i, k, a, b, a0, b0 int) {
		c, s := pr.edge(i, k, a, b)
		c0, s0 := pr.edge(i, k, a0, b0)
		channels += c - c0
		stages += s - s0
	}
	for n, i := range ops {
		if slices.Contains(ops[:n], i) {
			continue
		}
		cur := d.labels[i]
		run += pr.unary[i][l] - pr.unary[i][cur]
		stages += pr.fixed[l] - pr.fixed[cur]
		// Edges into i, and out of i to operators that stay.
		for k, j := range pr.producers[i] {
			edge(i, k, label(j), l, d.labels[j], cur)
		}
		for _, c := range d.g.consumers[i] {
			if in[c] {
				continue
			}
			for k, j := range pr.producers[c] {
				if j == i {
					edge(c, k, l, d.labels[c], cur, d.labels[c])
				}
			}
		}
	}
	return run, channels, stages
}

// explain lists, per operator, the alternatives and why each lost.
func (d *decision) explain() []ir.OperatorChoice {
	out := make([]ir.OperatorChoice, 0, len(d.labels))
	for i, op := range d.g.p.Operators {
		ch := ir.OperatorChoice{Operator: op.ID, Backend: d.names[d.labels[i]], Alternatives: []ir.Alternative{}}
		for l, b := range d.names {
			if l == d.labels[i] {
				continue
			}
			a := ir.Alternative{Backend: b}
			if lim := d.limits[i][l]; lim != "" {
				a.Infeasible, a.Why = true, lim
			} else {
				a.Cost = round(d.moved([]int{i}, l))
				a.Why = d.lost(i, l, a.Cost)
			}
			ch.Alternatives = append(ch.Alternatives, a)
		}
		out = append(out, ch)
	}
	return out
}

// lost says why moving operator i alone to label l costs more: the
// difference in running it, in the channels to and from its neighbours, and
// in stages (each pays its backend's fixed cost).
func (d *decision) lost(i, l int, moved float64) string {
	run, ch, st := d.delta([]int{i}, l)
	verdict := "costs more"
	if moved <= d.cost {
		verdict = "ties, and loses to the earlier backend"
	}
	return fmt.Sprintf("%s by %s: running it %s, channels %s, stages %s",
		verdict, ir.FormatCost(round(moved-d.cost)), ir.FormatCostDelta(round(run)), ir.FormatCostDelta(round(ch)), ir.FormatCostDelta(round(st)))
}

// why explains in plain words why a stage runs where it does. onlyDefault,
// when set, is the explanation for a pipeline with no other backend enabled.
func why(p *ir.Pipeline, d *decision, stageOf []int, s int, backend string, onlyDefault string) string {
	if onlyDefault != "" {
		return onlyDefault
	}
	var pinned []string
	var chosen []int    // unpinned compute operators of the stage that had a choice
	var followers []int // unpinned sources and sinks that had a choice
	forced := false     // unpinned compute operators with no alternative
	var only []string   // why, for forced operators other enabled backends cannot host
	compute := false
	label := d.labels[slices.Index(stageOf, s)]
	for i, op := range p.Operators {
		if stageOf[i] != s {
			continue
		}
		if d.placed[i].pinned {
			pinned = append(pinned, op.ID)
			continue
		}
		alt := false
		for l := range d.names {
			if l != label && d.limits[i][l] == "" {
				alt = true
			}
		}
		isCompute := op.Kind != ir.KindSource && op.Kind != ir.KindSink
		compute = compute || isCompute
		switch {
		case alt && isCompute:
			chosen = append(chosen, i)
		case alt:
			followers = append(followers, i)
		case isCompute:
			forced = true
			var not []string
			for l, name := range d.names {
				if l != label && d.limits[i][l] != "" {
					not = append(not, fmt.Sprintf("not %s: %s", name, d.limits[i][l]))
				}
			}
			if len(not) > 0 {
				only = append(only, fmt.Sprintf("only %s can host %s (%s)", backend, op.ID, strings.Join(not, "; ")))
			}
		}
	}
	if !compute && len(pinned) == 0 {
		// A stage of sources and sinks only: say what they cost elsewhere.
		chosen = followers
	}
	var parts []string
	if len(pinned) > 0 {
		parts = append(parts, fmt.Sprintf("pinned to %s by backend = %q (%s)", backend, backend, strings.Join(pinned, ", ")))
	}
	if len(chosen) > 0 {
		parts = append(parts, d.chosenWhy(stageOf, s, chosen, label))
	}
	parts = append(parts, only...)
	if (forced && len(only) == 0) || len(parts) == 0 {
		if backend == defaultBackend {
			// No other backend was a candidate: none is enabled.
			parts = append(parts, fmt.Sprintf("not pinned: %s is the only enabled backend", defaultBackend))
		} else {
			parts = append(parts, fmt.Sprintf("sources and sinks run with the operators they feed or drain on %s", backend))
		}
	}
	return strings.Join(parts, "; ")
}

// chosenWhy explains a cost-based choice: what the stage does to the bytes,
// and what the same operators would cost, or which limit they would break,
// on every other backend.
func (d *decision) chosenWhy(stageOf []int, s int, ops []int, label int) string {
	p := d.g.p
	stateless := true
	var in, out float64
	for i, op := range p.Operators {
		if stageOf[i] != s {
			continue
		}
		if !op.Properties().Stateless {
			stateless = false
		}
		if op.Kind == ir.KindSource {
			for _, f := range d.est.out[i] {
				in += f.bytesPerSec()
			}
		}
		for k, j := range d.g.producers[i] {
			f := d.est.in[i][k].bytesPerSec()
			if op.Kind == ir.KindSink {
				out += f
			}
			if stageOf[j] != s {
				in += f
			}
		}
		for _, c := range d.g.consumers[i] {
			if stageOf[c] != s {
				for k, j := range d.g.producers[c] {
					if j == i {
						out += d.est.in[c][k].bytesPerSec()
					}
				}
			}
		}
	}
	var b strings.Builder
	if stateless {
		b.WriteString("stateless")
	} else {
		b.WriteString("keyed state")
	}
	if in > 0 && out < in {
		fmt.Fprintf(&b, " and cuts %.0f%% of bytes before they leave the %s", 100*(1-out/in), d.names[label])
	}
	fmt.Fprintf(&b, ": cheapest at cost %s", ir.FormatCost(d.cost))
	for l, name := range d.names {
		if l == label {
			continue
		}
		limit := ""
		for _, i := range ops {
			if lim := d.limits[i][l]; lim != "" {
				limit = lim
				break
			}
		}
		if limit != "" {
			fmt.Fprintf(&b, "; not %s: %s", name, limit)
			continue
		}
		moved := d.moved(ops, l)
		fmt.Fprintf(&b, "; %s would cost %s (%s)", name, ir.FormatCost(moved), ir.FormatCostDelta(round(moved-d.cost)))
	}
	return b.String()
}
