package optimizer

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
)

// defaultBackend is always enabled and hosts every operator: where an
// operator goes when nothing says otherwise.
const defaultBackend = ir.BackendNative

// Option configures Plan.
type Option func(*config)

type config struct {
	specHash string
	caps     map[string]Capabilities
	explain  bool
	// noFusion puts every operator in a stage of its own, and noRewrite
	// plans the pipeline as written: tests show plans before and after.
	noFusion, noRewrite bool
}

// WithExplain fills Plan.Explain: per operator, every backend it could have
// run on, what the plan would cost there, and why it lost.
func WithExplain() Option { return func(c *config) { c.explain = true } }

// WithSpecHash records the hash of the spec and variable values the plan is
// made from (lang.Result.SpecHash), so apply can refuse a stale plan.
func WithSpecHash(h string) Option { return func(c *config) { c.specHash = h } }

// WithCapabilities declares (or replaces) what the named backend can host.
// The planner knows only the backends declared this way; the default
// backend must be one of them.
func WithCapabilities(backend string, caps Capabilities) Option {
	return func(c *config) { c.caps[backend] = caps }
}

// Plan rewrites p (rewrite.go: Plan.Rewrites says what changed, and
// Plan.Pipeline is the rewritten pipeline; p itself is never modified),
// places every operator on an enabled backend, fuses operators into stages
// and joins stages with channels. Errors (a pin the planner cannot
// obey, a dangling input) are diagnostics at the operator's declaration; the
// plan is nil when there are errors. The same pipeline and options always give
// the same plan.
func Plan(p *ir.Pipeline, opts ...Option) (*ir.Plan, hcl.Diagnostics) {
	cfg := &config{caps: map[string]Capabilities{}}
	for _, o := range opts {
		o(cfg)
	}
	if p == nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No pipeline to plan"}}
	}
	if diags := checkDeclared(cfg.caps); diags.HasErrors() {
		return nil, diags
	}
	var rewrites []ir.Rewrite
	if !cfg.noRewrite {
		p, rewrites = rewrite(p)
	}
	g, diags := newGraph(p)
	if diags.HasErrors() {
		return nil, diags
	}
	d, pdiags := place(g, cfg)
	diags = append(diags, pdiags...)
	if diags.HasErrors() {
		return nil, diags
	}
	plan := build(g, d, cfg)
	plan.Rewrites = rewrites
	if cfg.explain {
		plan.Explain = d.explain()
	}
	return plan, diags
}

// graph indexes the operators of a pipeline by position (its topological
// order) and records, for every operator, the producers of its inputs.
type graph struct {
	p         *ir.Pipeline
	index     map[string]int // operator ID → position
	producers [][]int        // per operator, per input: producer position
	consumers [][]int        // per operator: consumer positions, sorted, unique
	filesOnly []int8         // per operator: 1 fed by files only, -1 not, 0 unknown
}

func newGraph(p *ir.Pipeline) (*graph, hcl.Diagnostics) {
	g := &graph{
		p:         p,
		index:     make(map[string]int, len(p.Operators)),
		producers: make([][]int, len(p.Operators)),
		consumers: make([][]int, len(p.Operators)),
	}
	for i, op := range p.Operators {
		g.index[op.ID] = i
	}
	var diags hcl.Diagnostics
	for i, op := range p.Operators {
		for _, in := range op.Inputs {
			id, _ := ir.StreamOperator(in)
			j, ok := g.index[id]
			if !ok || j >= i {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Unknown input",
					Detail:   fmt.Sprintf("%s reads %s, which no earlier operator produces.", op.ID, in),
					Subject:  op.Range.Ptr(),
				})
				continue
			}
			g.producers[i] = append(g.producers[i], j)
			if !slices.Contains(g.consumers[j], i) {
				g.consumers[j] = append(g.consumers[j], i)
			}
		}
	}
	for _, c := range g.consumers {
		sort.Ints(c)
	}
	return g, diags
}

// checkPin returns an error diagnostic when op's pin cannot be obeyed.
func checkPin(g *graph, i int, enabled map[string]bool, caps map[string]Capabilities) *hcl.Diagnostic {
	op := g.p.Operators[i]
	pin := op.Backend
	c, known := caps[pin]
	switch {
	case !known:
		names := make([]string, 0, len(caps))
		for n := range caps {
			names = append(names, n)
		}
		sort.Strings(names)
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Unknown backend %q", pin),
			Detail:   fmt.Sprintf("%s is pinned to backend = %q, which does not exist. The backends are %s.", op.ID, pin, strings.Join(names, ", ")),
			Subject:  op.Range.Ptr(),
		}
	case !enabled[pin]:
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Backend %q is not enabled", pin),
			Detail: fmt.Sprintf("%s is pinned to backend = %q, but the pipeline has no backend %q block. "+
				"Enable it by adding\n\n  backend %q {}\n\nor remove the pin.", op.ID, pin, pin, pin),
			Subject: op.Range.Ptr(),
		}
	}
	if ok, reason := c.Hosts(op); !ok {
		detail := fmt.Sprintf("%s is pinned to backend = %q, but %s", op.ID, pin, reason)
		if c.Limit != "" {
			detail += ", and " + c.Limit
		}
		detail += fmt.Sprintf(". Remove the pin or pin it to %s.", defaultBackend)
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("%s cannot run on %s", op.ID, pin),
			Detail:   detail,
			Subject:  op.Range.Ptr(),
		}
	}
	return nil
}

// build fuses placed operators into stages (maximal connected groups on one
// backend) and turns every edge between stages into a channel.
func build(g *graph, d *decision, cfg *config) *ir.Plan {
	p := g.p
	placed := d.placed
	n := len(p.Operators)

	// Union-find over edges whose ends share a backend.
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(i, j int) {
		a, b := find(i), find(j)
		// Keep the earliest operator as root so stage order is the order
		// of each stage's first operator.
		if a < b {
			parent[b] = a
		} else {
			parent[a] = b
		}
	}

	// Inputs of keyed operators: the key their channel carries, and
	// whether the edge is cut for a repartition channel (see
	// repartition.go).
	keys := make([][][]ir.Expr, n)
	cut := make([][]bool, n)
	for i, op := range p.Operators {
		keys[i] = make([][]ir.Expr, len(op.Inputs))
		cut[i] = make([]bool, len(op.Inputs))
		for k, in := range op.Inputs {
			kk := partitionKey(p, op, k)
			if kk == nil || partitionedBy(p, in, kk) {
				continue
			}
			keys[i][k] = kk
			cut[i][k] = d.pr.cut[i][k][d.labels[i]]
		}
	}
	isTableSource := func(j int) bool {
		op := p.Operators[j]
		return op.Source != nil && op.Source.Table
	}
	for i := range p.Operators {
		for k, j := range g.producers[i] {
			if placed[i].backend == placed[j].backend && !cut[i][k] && !isTableSource(j) && !cfg.noFusion {
				union(i, j)
			}
		}
	}
	// A table source joins the stage of its consumers when they share one
	// (tables are global, any partition group reads all of them); a table
	// read by several stages runs alone and feeds them through channels.
	for j := range p.Operators {
		if !isTableSource(j) || cfg.noFusion {
			continue
		}
		root := -1
		shared := true
		for _, c := range g.consumers[j] {
			if placed[c].backend != placed[j].backend {
				continue
			}
			if r := find(c); root == -1 {
				root = r
			} else if r != root {
				shared = false
			}
		}
		if root != -1 && shared {
			union(root, j)
		}
	}

	// Stages in order of their first operator.
	stageOf := make([]int, n)
	var stages []*ir.Stage
	rootStage := map[int]int{}
	for i, op := range p.Operators {
		r := find(i)
		s, ok := rootStage[r]
		if !ok {
			s = len(stages)
			rootStage[r] = s
			stages = append(stages, &ir.Stage{
				Backend:   placed[i].backend,
				Operators: []string{},
				Inputs:    []string{},
				Outputs:   []string{},
			})
		}
		stageOf[i] = s
		stages[s].Operators = append(stages[s].Operators, op.ID)
	}
	// A stage is named by its identity (backend and first operator's
	// address), never by its position: adding or removing a stage renames
	// no other. Every operator is in one stage, so the names are unique.
	for _, st := range stages {
		st.ID = p.StageIdentity(st)
	}

	dlq := p.DeadLetterTopic
	if dlq == "" {
		dlq = p.Name + ".dlq"
	}
	channels := []*ir.Channel{}
	chanInto := make([][]*ir.Channel, n) // per operator, per input
	for i, op := range p.Operators {
		chanInto[i] = make([]*ir.Channel, len(op.Inputs))
		for k, in := range op.Inputs {
			if stageOf[g.producers[i][k]] == stageOf[i] {
				continue
			}
			ch := &ir.Channel{From: in, To: op.ID, Stream: in, Key: keys[i][k], Repartition: cut[i][k], Cost: d.channelCost(i, k)}
			channels = append(channels, ch)
			chanInto[i][k] = ch
		}
	}
	nameTopics(p.Name, channels)
	for i, op := range p.Operators {
		st := stages[stageOf[i]]
		if op.Source != nil {
			st.Inputs = appendUnique(st.Inputs, endpoint(op.Source.Topic, op.Source.File))
		}
		for _, ch := range chanInto[i] {
			if ch != nil {
				st.Inputs = appendUnique(st.Inputs, ch.Topic)
			}
		}
		if op.Sink != nil {
			st.Outputs = appendUnique(st.Outputs, endpoint(op.Sink.Topic, op.Sink.File))
		}
		for _, stream := range op.Streams() {
			for _, ch := range channels {
				if ch.From == stream {
					st.Outputs = appendUnique(st.Outputs, ch.Topic)
				}
			}
		}
	}
	onlyDefault := ""
	switch {
	case len(p.Backends) == 0 || (len(p.Backends) == 1 && p.Backends[0].Name == defaultBackend && p.Backends[0].Range.Filename == ""):
		onlyDefault = fmt.Sprintf("no backend blocks: everything runs on %s", defaultBackend)
	case len(p.Backends) == 1 && p.Backends[0].Name == defaultBackend:
		onlyDefault = fmt.Sprintf("only the %s backend is enabled: everything runs on it", defaultBackend)
	}
	repartitions := make([][]*ir.Channel, len(stages)) // per stage: repartition channels into it
	for _, ch := range channels {
		if ch.Repartition {
			s := stageOf[g.index[ch.To]]
			repartitions[s] = append(repartitions[s], ch)
		}
	}
	into := func(string) bool { return true }
	for s, st := range stages {
		st.Outputs = appendUnique(st.Outputs, dlq)
		st.Why = why(p, d, stageOf, s, st.Backend, onlyDefault)
		st.Cost = d.stageCost(stageOf, s)
		if rep := repartitionWhy(repartitions[s], into); rep != "" {
			st.Why += "; " + rep
		}
		st.Notes = slices.Clone(cfg.caps[st.Backend].Notes)
	}
	setDecodes(g, stages, stageOf, channels)
	return &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline:      p,
		SpecHash:      cfg.specHash,
		Stages:        stages,
		Channels:      channels,
		Cost:          round(d.cost),
	}
}

// endpoint names a source's or sink's topic, or "file:PATH" for a file.
func endpoint(topic, file string) string {
	if file != "" {
		return "file:" + file
	}
	return topic
}

func appendUnique(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
