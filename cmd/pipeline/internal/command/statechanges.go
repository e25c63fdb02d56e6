package command

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
)

// kindConsumer is StateChange.Kind for a stage that consumes topics.
const kindConsumer = "consumer"

// applyMoved validates the spec's moved blocks against the state of the
// last apply (st, nil when there was none) and gives every renamed
// operator the identity of the address it had (ir.Operator.Identity), so
// its state, consumer group and offsets follow it. Renames applied
// earlier are remembered by the state (State.Identities), so a moved block
// may be deleted once applied.
func applyMoved(pl *ir.Pipeline, st *state.State) hcl.Diagnostics {
	var diags hcl.Diagnostics
	inState := map[string]bool{}
	identities := map[string]string{}
	if st != nil {
		for _, s := range st.Stages {
			for _, op := range s.Operators {
				inState[op] = true
			}
		}
		maps.Copy(identities, st.Identities)
	}
	stateAddress := func(addr string) string {
		if id := identities[addr]; id != "" {
			return id
		}
		return addr
	}
	for _, m := range pl.Moved {
		switch {
		case st == nil:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Nothing to move",
				Detail:  fmt.Sprintf("No apply is recorded (%s), so %s has no state to give %s; this moved block has no effect.", "state.json", m.From, m.To),
				Subject: m.FromRange.Ptr()})
		case inState[m.To] && stateAddress(m.To) == stateAddress(m.From):
			// Applied earlier: the state already knows m.To by m.From's identity.
		case inState[m.From] && inState[m.To]:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid moved block",
				Detail:  fmt.Sprintf("Both %s and %s are in the state of the last apply (serial %d): %s already has state of its own, so it cannot take %s's.", m.From, m.To, st.Serial, m.To, m.From),
				Subject: m.ToRange.Ptr()})
		case inState[m.From]:
			identities[m.To] = stateAddress(m.From)
		case inState[m.To]:
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Nothing to move",
				Detail:  fmt.Sprintf("%s is not in the state of the last apply (serial %d), and %s already is: this moved block has no effect; remove it.", m.From, st.Serial, m.To),
				Subject: m.FromRange.Ptr()})
		default:
			var known []string
			for op := range inState {
				known = append(known, op)
			}
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Moved from an unknown address",
				Detail:  fmt.Sprintf("%s is not in the state of the last apply (serial %d), so it has no state or offsets to keep; from must be an address the last apply deployed.%s", m.From, st.Serial, didYouMeanAddr(m.From, known)),
				Subject: m.FromRange.Ptr()})
		}
	}
	for _, op := range pl.Operators {
		if id := identities[op.ID]; id != "" && id != op.ID {
			op.Identity = id
		}
	}
	return diags
}

// renameChannels gives a channel topic produced by a renamed operator the
// name it had before the rename (<pipeline>.<old address>[.output…]), so
// its consumers keep reading the topic they have offsets in, and records
// not yet read there are not left behind.
func renameChannels(p *ir.Plan) {
	renamed := map[string]string{} // old topic → topic with the identity
	for _, ch := range p.Channels {
		opID, _ := ir.StreamOperator(ch.Stream)
		op := p.Pipeline.Operator(opID)
		if op == nil || op.Identity == "" {
			continue
		}
		prefix := p.Pipeline.Name + "." + op.ID
		if rest, ok := strings.CutPrefix(ch.Topic, prefix); ok && (rest == "" || rest[0] == '.') {
			renamed[ch.Topic] = p.Pipeline.Name + "." + op.Identity + rest
			ch.Topic = renamed[ch.Topic]
		}
	}
	if len(renamed) == 0 {
		return
	}
	for _, st := range p.Stages {
		for _, ts := range []*[]string{&st.Inputs, &st.Outputs} {
			for i, t := range *ts {
				if n, ok := renamed[t]; ok {
					(*ts)[i] = n
				}
			}
		}
	}
}

func didYouMeanAddr(addr string, known []string) string {
	kind, _, _ := strings.Cut(addr, ".")
	var same []string
	for _, k := range known {
		if strings.HasPrefix(k, kind+".") {
			same = append(same, k)
		}
	}
	if len(same) == 0 {
		return ""
	}
	sort.Strings(same)
	return " The state has " + strings.Join(same, ", ") + "."
}

// recordState adds to st what the next plan compares state and offsets
// with: per stage its identity, consumer group, input topics and stateful
// operators' shapes, and the renamed operators' identities.
func recordState(p *ir.Plan, st *state.State) {
	pl := p.Pipeline
	for i := range st.Stages {
		s := &st.Stages[i]
		stg := p.Stage(s.ID)
		if stg == nil {
			continue
		}
		s.Identity = pl.StageIdentity(stg)
		if stg.Backend == ir.BackendNative {
			s.Group = pl.Name + "." + s.Identity // runtime/worker.GroupID
		}
		s.Inputs = consumedTopics(pl, stg)
		for _, id := range stg.Operators {
			op := pl.Operator(id)
			if op == nil {
				continue
			}
			if shape := pl.ShapeOf(op); shape != nil {
				sf := state.Stateful{Address: op.ID, Shape: shape}
				if op.Identity != "" {
					sf.StateAddress = op.Identity
				}
				s.Stateful = append(s.Stateful, sf)
			}
		}
	}
	for _, op := range pl.Operators {
		if op.Identity != "" {
			if st.Identities == nil {
				st.Identities = map[string]string{}
			}
			st.Identities[op.ID] = op.Identity
		}
	}
}

// consumedTopics are the topics stg reads through its consumer: its inputs
// without files and table topics (tables are read whole, outside the
// group).
func consumedTopics(pl *ir.Pipeline, stg *ir.Stage) []string {
	tables := map[string]bool{}
	for _, op := range pl.Operators {
		if op.Source != nil && op.Source.Table && op.Source.Topic != "" {
			tables[op.Source.Topic] = true
		}
	}
	var out []string
	for _, t := range stg.Inputs {
		if !strings.HasPrefix(t, "file:") && !tables[t] {
			out = append(out, t)
		}
	}
	return out
}

// applied is one stateful operator as the last apply recorded it.
type applied struct {
	state.Stateful
	backend, stage string // stage identity; "" in a format 1 state
}

// stateChanges classifies every stateful operator and every consumer of p
// against the last apply (st, nil when none) as new, kept, reset or
// dropped, resets first. The rules are the workers' (ir.StateShape,
// runtime/control): state lives per stage identity and is reset for the
// whole stage when a stateful operator it already held changes its shape;
// a consumer is its stage's consumer group, which resumes at its committed
// offsets when the stage's identity is unchanged.
func stateChanges(p *ir.Plan, st *state.State) []ir.StateChange {
	pl := p.Pipeline
	fresh := ""
	switch {
	case pl.Broker == nil:
		fresh = "the embedded broker starts empty on every apply"
	case st == nil:
	case len(st.Broker) == 1 && st.Broker[0] == "embedded":
		fresh = "the last apply ran on the embedded broker, which kept nothing"
	}
	if fresh != "" || st == nil {
		st = &state.State{}
	}
	var out []ir.StateChange
	out = append(out, statefulChanges(p, st, fresh)...)
	out = append(out, consumerChanges(p, st, fresh)...)
	rank := map[string]int{ir.StateReset: 0, ir.StateNew: 1, ir.StateKept: 2, ir.StateDropped: 3}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].State] < rank[out[j].State] })
	return out
}

func statefulChanges(p *ir.Plan, st *state.State, fresh string) []ir.StateChange {
	pl := p.Pipeline
	prev := map[string]*applied{} // by state address
	var prevOrder []string
	for _, s := range st.Stages {
		for _, sf := range s.Stateful {
			a := &applied{Stateful: sf, backend: s.Backend, stage: s.Identity}
			sa := sf.Address
			if sf.StateAddress != "" {
				sa = sf.StateAddress
			}
			prev[sa] = a
			prevOrder = append(prevOrder, sa)
		}
		if s.Identity == "" { // format 1: operators and backend only
			for _, id := range s.Operators {
				kind, _, _ := strings.Cut(id, ".")
				if k := ir.Kind(kind); k == ir.KindAggregate || k == ir.KindDedupe || k == ir.KindJoin {
					sa := id
					if x := st.Identities[id]; x != "" {
						sa = x
					}
					prev[sa] = &applied{Stateful: state.Stateful{Address: id}, backend: s.Backend}
					prevOrder = append(prevOrder, sa)
				}
			}
		}
	}
	type current struct {
		op    *ir.Operator
		shape *ir.StateShape
		stg   *ir.Stage
		ident string
		sc    ir.StateChange
	}
	var cur []*current
	for _, op := range pl.Operators {
		shape := pl.ShapeOf(op)
		stg := p.StageOf(op.ID)
		if shape == nil || stg == nil {
			continue
		}
		cur = append(cur, &current{op: op, shape: shape, stg: stg, ident: pl.StageIdentity(stg),
			sc: ir.StateChange{Address: op.ID, Kind: string(op.Kind)}})
	}
	matched := map[string]bool{}
	for _, c := range cur {
		sa := c.op.StateAddress()
		w := prev[sa]
		if w == nil || fresh != "" {
			c.sc.State, c.sc.Reason = ir.StateNew, fresh
			continue
		}
		matched[sa] = true
		renamed := ""
		if w.Address != c.op.ID {
			renamed = fmt.Sprintf("renamed from %s (moved block)", w.Address)
		}
		reset := func(why string) {
			c.sc.State = ir.StateReset
			c.sc.Reason = why
			if renamed != "" {
				c.sc.Reason = renamed + "; " + why
			}
		}
		switch {
		case w.backend != c.stg.Backend:
			reset(fmt.Sprintf("moved %s → %s: state does not move between backends", w.backend, c.stg.Backend))
		case c.stg.Backend == ir.BackendBeam:
			reset("beam state lives in the job, and apply submits a new job, which starts empty")
		case w.stage != "" && w.stage != c.ident:
			reset(fmt.Sprintf("its stage is now %s, was %s: state lives with its stage", c.ident, w.stage))
		case w.Shape == nil:
			c.sc.State = ir.StateKept
			c.sc.Reason = "the last apply's state file (format 1) recorded no definition to compare; workers keep the state if the operator is unchanged"
		default:
			if why := ir.StateResetReason(w.Shape, c.shape); why != "" {
				reset(why)
			} else {
				c.sc.State, c.sc.Reason = ir.StateKept, renamed
			}
		}
	}
	// State is kept or reset per native stage: one reset empties the
	// stage's state directory, so every operator that had state there
	// loses it too (new ones start empty anyway).
	for _, c := range cur {
		if c.sc.State != ir.StateKept || c.stg.Backend != ir.BackendNative {
			continue
		}
		for _, o := range cur {
			if o != c && o.ident == c.ident && o.sc.State == ir.StateReset && prev[o.op.StateAddress()] != nil && prev[o.op.StateAddress()].stage == c.ident {
				c.sc.State = ir.StateReset
				c.sc.Reason = fmt.Sprintf("%s resets, and state is kept or reset per stage (%s)", o.op.ID, c.ident)
				break
			}
		}
	}
	// A rename without a moved block: the new address starts empty.
	// Reported as a reset of the new address, with the fix.
	inSpec := map[string]bool{}
	for _, op := range pl.Operators {
		inSpec[op.ID] = true
	}
	for _, c := range cur {
		if c.sc.State != ir.StateNew || fresh != "" {
			continue
		}
		for _, sa := range prevOrder {
			w := prev[sa]
			if matched[sa] || inSpec[w.Address] || w.Shape == nil || ir.StateResetReason(w.Shape, c.shape) != "" {
				continue
			}
			matched[sa] = true
			c.sc.State = ir.StateReset
			c.sc.Reason = fmt.Sprintf("renamed from %s: state does not follow a rename; add moved { from = %s  to = %s } to keep it", w.Address, w.Address, c.op.ID)
			break
		}
	}
	var out []ir.StateChange
	for _, c := range cur {
		out = append(out, c.sc)
	}
	for _, sa := range prevOrder {
		if !matched[sa] && fresh == "" {
			w := prev[sa]
			kind, _, _ := strings.Cut(w.Address, ".")
			out = append(out, ir.StateChange{Address: w.Address, Kind: kind, State: ir.StateDropped, Reason: "no longer in the plan: its state is no longer used"})
		}
	}
	return out
}

func consumerChanges(p *ir.Plan, st *state.State, fresh string) []ir.StateChange {
	pl := p.Pipeline
	type prevConsumer struct {
		stage   state.Stage
		ident   string
		matched bool
	}
	var prev []*prevConsumer
	byIdent := map[string]*prevConsumer{}
	for _, s := range st.Stages {
		ident := s.Identity
		if ident == "" { // format 1: derive it as StageIdentity does
			ident = pl.StageIdentity(&ir.Stage{ID: s.ID, Backend: s.Backend, Operators: s.Operators})
		}
		pc := &prevConsumer{stage: s, ident: ident}
		prev = append(prev, pc)
		byIdent[ident] = pc
	}
	var out []ir.StateChange
	for _, stg := range p.Stages {
		topics := consumedTopics(pl, stg)
		if len(topics) == 0 {
			continue
		}
		ident := pl.StageIdentity(stg)
		sc := ir.StateChange{Address: ident, Kind: kindConsumer, Topics: topics}
		if stg.Backend == ir.BackendNative {
			sc.Group = pl.Name + "." + ident
		}
		start := startPositions(pl, stg, topics)
		w := byIdent[ident]
		switch {
		case fresh != "":
			sc.State, sc.Reason, sc.Offsets = ir.StateNew, fresh, start
		case w != nil && stg.Backend == ir.BackendBeam:
			w.matched = true
			sc.State, sc.Offsets = ir.StateReset, start
			sc.Reason = "beam commits no offsets: the new job reads its topics again, from where start_from says"
		case w != nil:
			w.matched = true
			sc.State, sc.Offsets = ir.StateKept, "resumes at committed offsets"
		default:
			// Every backend starts a new consumer at start_from: native
			// stages per partition without a committed offset, a broker
			// transform through its deploy request's offset, a beam job
			// per partition when it starts.
			sc.State, sc.Offsets = ir.StateNew, start
			// A consumer whose identity changed (its first operator was
			// renamed without a moved block, or the stages were regrouped)
			// replaces one that read the same topics: its offsets
			// do not carry over.
			for _, pc := range prev {
				if pc.matched || pc.stage.Backend != stg.Backend || !overlap(pc.stage.Inputs, topics) {
					continue
				}
				if _, still := findStage(p, pc.ident); still {
					continue
				}
				pc.matched = true
				sc.State = ir.StateReset
				sc.Reason = fmt.Sprintf("replaces consumer %s, whose committed offsets do not carry over to a new identity (rename its first operator with a moved block to keep them)", pc.ident)
				break
			}
		}
		out = append(out, sc)
	}
	if fresh == "" {
		for _, pc := range prev {
			if pc.matched || len(pc.stage.Inputs) == 0 && pc.stage.Identity != "" {
				continue
			}
			if _, still := findStage(p, pc.ident); still {
				continue
			}
			sc := ir.StateChange{Address: pc.ident, Kind: kindConsumer, State: ir.StateDropped, Group: pc.stage.Group, Topics: pc.stage.Inputs,
				Reason: "no longer in the plan: it stops, and its committed offsets stay on the broker"}
			out = append(out, sc)
		}
	}
	return out
}

// findStage returns the plan's stage with that identity.
func findStage(p *ir.Plan, ident string) (*ir.Stage, bool) {
	for _, s := range p.Stages {
		if p.Pipeline.StageIdentity(s) == ident {
			return s, true
		}
	}
	return nil, false
}

// overlap reports whether two consumers share an input topic.
func overlap(a, b []string) bool {
	for _, t := range a {
		if slices.Contains(b, t) {
			return true
		}
	}
	return false
}

// startPositions says where a new consumer of topics starts: each source
// topic at its start_from, channel topics at their beginning.
func startPositions(pl *ir.Pipeline, stg *ir.Stage, topics []string) string {
	pos := map[string][]string{}
	var order []string
	for _, t := range topics {
		at := ir.StartEarliest
		for _, id := range stg.Operators {
			if op := pl.Operator(id); op != nil && op.Source != nil && op.Source.Topic == t {
				at = op.Source.StartPosition()
			}
		}
		if pos[at] == nil {
			order = append(order, at)
		}
		pos[at] = append(pos[at], t)
	}
	if len(order) == 1 {
		return "reads from " + order[0]
	}
	parts := make([]string, len(order))
	for i, at := range order {
		parts[i] = fmt.Sprintf("%s (%s)", at, strings.Join(pos[at], ", "))
	}
	return "reads from " + strings.Join(parts, ", ")
}
