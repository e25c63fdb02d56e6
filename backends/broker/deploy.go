package broker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// CompileStages compiles every broker stage of p, in plan order.
func CompileStages(p *ir.Plan) ([]*Artifact, error) {
	var out []*Artifact
	for _, st := range p.Stages {
		if st.Backend != ir.BackendBroker {
			continue
		}
		a, err := Compile(p, st.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Metadata is what a deploy request says about the artifact's transform.
func (a *Artifact) Metadata() TransformMetadata {
	return TransformMetadata{Name: a.Name, InputTopic: a.InputTopic, OutputTopics: a.OutputTopics, Environment: a.Env, From: a.From}
}

// startOffset is where a new transform reading topic (stream's topic)
// starts: where the source's start_from says, or the start of a channel
// topic, which only the pipeline writes.
func startOffset(pl *ir.Pipeline, stream, topic string) (*StartOffset, error) {
	pos := ir.StartEarliest
	if op := pl.Operator(stream); op != nil && op.Source != nil && op.Source.Topic == topic {
		pos = op.Source.StartPosition()
	}
	switch pos {
	case ir.StartEarliest:
		return &StartOffset{Format: OffsetFromStart, Value: 0}, nil
	case ir.StartLatest:
		return &StartOffset{Format: OffsetFromEnd, Value: 0}, nil
	}
	ms, err := eval.ParseTimestamp(pos)
	if err != nil {
		return nil, fmt.Errorf("%s: start_from: %w", stream, err)
	}
	return &StartOffset{Format: OffsetTimestamp, Value: ms}, nil
}

// Describe adds to every broker stage of p a note with its module's size
// and the memory it needs against the per-function memory limit
// (memory_limit, or Redpanda's default), and returns a warning at
// memory_limit (or the backend block) for each module that needs more.
// arts are the stages' artifacts (CompileStages). It replaces the static
// memory note the broker's capabilities put on every stage: the computed
// one says the same with numbers. Describing a plan again (a saved plan
// being applied) replaces the notes it added before.
func Describe(p *ir.Plan, arts []*Artifact) hcl.Diagnostics {
	cfg, _ := DecodeConfig(p.Pipeline) // problems were reported by Validate
	limit, stated := cfg.EffectiveMemoryLimit()
	limitText := FormatSize(limit) + " (memory_limit)"
	if !stated {
		limitText = FormatSize(limit) + " (Redpanda's default; memory_limit is not set)"
	}
	var subject *hcl.Range
	if cfg != nil {
		r := cfg.block
		if mr, ok := cfg.ranges["memory_limit"]; ok {
			r = mr
		}
		subject = &r
	} else if be := p.Pipeline.Backend(ir.BackendBroker); be != nil {
		subject = be.Range.Ptr()
	}
	static := staticMemoryNotes()
	var diags hcl.Diagnostics
	for _, a := range arts {
		st := p.Stage(a.Stage)
		if st == nil {
			continue
		}
		prefix := "module " + a.Name + ".wasm: "
		st.Notes = slices.DeleteFunc(st.Notes, func(n string) bool { return static[n] || strings.HasPrefix(n, prefix) })
		note := fmt.Sprintf("%s%s; needs %s of memory, limit %s", prefix, FormatSize(int64(a.ModuleSize)), FormatSize(a.MemoryBytes), limitText)
		if a.MemoryBytes > limit {
			note += ": too low, see the warning"
			want := (a.MemoryBytes + 1<<20 - 1) &^ (1<<20 - 1) // whole MiB
			detail := fmt.Sprintf("Stage %s runs as transform %s, whose module needs %s of memory; the per-function limit is %s. "+
				"Redpanda cannot give the module that much, so the transform will fail. Raise the cluster's limit (rpk cluster config set data_transforms_per_function_memory_limit %d) "+
				"and say so in backend \"broker\" with memory_limit = %q.",
				st.ID, a.Name, FormatSize(a.MemoryBytes), limitText, want, strings.ReplaceAll(FormatSize(want), " ", ""))
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Transform needs more memory than the broker allows",
				Detail:   detail,
				Subject:  subject,
			})
		}
		st.Notes = append(st.Notes, note)
		st.SecretEnv = a.SecretEnv()
		for _, se := range st.SecretEnv {
			st.Notes = append(st.Notes, fmt.Sprintf("%ssensitive %s reaches the transform through its environment (%s), set at deploy time; the module does not hold it", prefix, se.Value, se.Env))
		}
	}
	return diags
}

// staticMemoryNotes are the capability notes about transform memory that
// Describe's computed note replaces.
func staticMemoryNotes() map[string]bool {
	out := map[string]bool{}
	for _, n := range Capabilities().Notes {
		if strings.Contains(n, "data_transforms_per_function_memory_limit") {
			out[n] = true
		}
	}
	return out
}

// Deployed is a transform as the state of the last apply records it.
type Deployed struct {
	Stage  string
	Name   string
	SHA256 string
}

// Action is what apply does to one transform.
type Action string

// Actions.
const (
	Create    Action = "create"
	Update    Action = "update"
	Unchanged Action = "unchanged"
	Delete    Action = "delete"
)

// Change is one transform's action and why.
type Change struct {
	Action Action
	Name   string
	Stage  string
	Why    string
	// Artifact is what to deploy; nil for Delete.
	Artifact *Artifact
}

func (c Change) String() string {
	return fmt.Sprintf("transform %s (stage %s): %s: %s", c.Name, c.Stage, c.Action, c.Why)
}

// Diff decides what to do with each transform: want are the plan's
// artifacts, prev what the last apply deployed, live what the cluster
// runs. A transform is unchanged only when the last apply recorded the
// same module digest and the cluster runs it with the same topics and
// environment; transforms that prev recorded and want no longer has are
// deleted. Transforms the pipeline never deployed are never touched.
// Changes come in the order Reconcile applies them: deploys, then deletes.
func Diff(want []*Artifact, prev []Deployed, live []Transform) []Change {
	prevBy := map[string]Deployed{}
	for _, d := range prev {
		prevBy[d.Name] = d
	}
	liveBy := map[string]Transform{}
	for _, t := range live {
		liveBy[t.Name] = t
	}
	var out []Change
	wanted := map[string]bool{}
	for _, a := range want {
		wanted[a.Name] = true
		c := Change{Name: a.Name, Stage: a.Stage, Artifact: a}
		d, recorded := prevBy[a.Name]
		t, running := liveBy[a.Name]
		switch {
		case !running && !recorded:
			c.Action, c.Why = Create, "new"
		case !running:
			c.Action, c.Why = Create, "the last apply deployed it, but the cluster does not have it"
		case !recorded:
			c.Action, c.Why = Update, "the cluster has a transform of this name that the last apply did not record"
		case d.SHA256 != a.SHA256():
			c.Action, c.Why = Update, fmt.Sprintf("module changed (sha256 %s → %s)", short(d.SHA256), short(a.SHA256()))
		case t.InputTopic != a.InputTopic || !slices.Equal(sorted(t.OutputTopics), sorted(a.OutputTopics)):
			c.Action, c.Why = Update, "the cluster runs it with other topics"
		case !maps.Equal(t.Environment, a.Env) && (len(t.Environment) > 0 || len(a.Env) > 0):
			c.Action, c.Why = Update, "the cluster runs it with another environment"
		default:
			c.Action, c.Why = Unchanged, "sha256 "+short(a.SHA256())
		}
		out = append(out, c)
	}
	for _, d := range prev {
		if wanted[d.Name] {
			continue
		}
		why := "no longer in the plan"
		if _, running := liveBy[d.Name]; !running {
			why += " (the cluster no longer has it)"
		}
		out = append(out, Change{Action: Delete, Name: d.Name, Stage: d.Stage, Why: why})
	}
	return out
}

// Reconcile applies changes in order: it deploys created and updated
// transforms, then deletes removed ones (deploy first: a stage that moved
// to another transform briefly runs twice, which at-least-once delivery
// allows, rather than not at all). A transform already gone counts as
// deleted. done, when non-nil, is called after each change is applied.
// It stops at the first failure.
func Reconcile(ctx context.Context, c *AdminClient, changes []Change, done func(Change)) error {
	for _, ch := range changes {
		var err error
		switch ch.Action {
		case Create, Update:
			err = c.Deploy(ctx, ch.Artifact.Metadata(), ch.Artifact.Module())
		case Delete:
			if err = c.Delete(ctx, ch.Name); errors.Is(err, ErrNotFound) {
				err = nil
			}
		}
		if err != nil {
			return err
		}
		if done != nil {
			done(ch)
		}
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func sorted(s []string) []string {
	return slices.Sorted(slices.Values(s))
}
