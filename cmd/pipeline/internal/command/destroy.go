package command

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
)

// DestroyCommand removes what apply deployed, as the state records it.
type DestroyCommand struct{ *Meta }

func (c *DestroyCommand) Synopsis() string { return "Remove what apply deployed" }

func (c *DestroyCommand) Help() string {
	return help("destroy [options] [PATH]", `
Removes what the last apply of the spec at PATH (default ".") deployed, as
its state file (.pipeline/state.json) records it: it shows what will be
removed and what is kept, asks for confirmation on a terminal, then

  - deletes the broker transforms deployed to Redpanda (admin_url),
  - deletes the intermediate topics between stages (channels) on the spec's
    broker; source, sink and dead-letter topics are never deleted,
  - removes the local run state (.pipeline/run: operator state, checkpoints),
  - clears the state file.

The spec supplies the broker, admin_url and credentials. After an apply on
the embedded broker nothing is left running (the broker stopped with apply),
so destroy only clears the local state.`,
		append([]string{"-auto-approve", "Skip the confirmation (required when stdin is not a terminal).",
			"-lock-timeout D", "Wait up to D for the state lock another command holds (default 0: fail at once, naming the holder)."}, varOptions...)...)
}

// destroyAction is one thing destroy removes.
type destroyAction struct {
	what string // shown before confirmation: "delete topic x (channel ...)"
	do   func(ctx context.Context) error
	// forget removes what was destroyed from the state, so that a destroy
	// that fails half-way records what is left.
	forget func(*state.State)
}

// destroyEnv is what a backend's destroy step works from: the state of the
// last apply, and the spec's plan for connection settings and credentials
// (nil after an apply on the embedded broker, which left nothing running).
type destroyEnv struct {
	state *state.State
	plan  *ir.Plan
}

// destroySteps tear down, per backend, what apply left running: they turn
// the state's stages on that backend into actions. Adding a backend (beam:
// cancel its jobs) is one entry here; native stages run inside apply or
// run processes and leave nothing behind but the local run state.
var destroySteps = map[string]func(*destroyEnv) ([]destroyAction, hcl.Diagnostics){
	ir.BackendBroker: destroyTransforms,
}

func (c *DestroyCommand) Run(args []string) int {
	fs := c.newFlagSet("destroy")
	lockTimeout := fs.Duration("lock-timeout", 0, "")
	autoApprove := fs.Bool("auto-approve", false, "")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	path, ok := optionalPath(pos)
	if !ok {
		return c.usageError("destroy", "destroy takes one PATH, got %d arguments", len(pos))
	}
	if _, err := os.Stat(path); err != nil {
		c.showDiags(diagsOf(fileError(path, err)), nil)
		return 1
	}
	stDir := state.Dir(path)
	unlock, err := state.LockAs(stDir, "destroy "+path, *lockTimeout)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot destroy: %v", err)), nil)
		return 1
	}
	defer unlock()
	st, err := state.Read(stDir)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot destroy: %v", err)), nil)
		return 1
	}
	runDir := filepath.Join(stDir, "run")
	_, runErr := os.Stat(runDir)
	hasRun := runErr == nil
	if (st == nil || len(st.Stages)+len(st.Topics) == 0) && !hasRun {
		fmt.Fprintf(c.Stdout, "Nothing to destroy: no apply is recorded in %s.\n", filepath.Join(stDir, "state.json"))
		return 0
	}
	if st == nil {
		st = &state.State{}
	}

	env := &destroyEnv{state: st}
	var (
		actions []destroyAction
		diags   hcl.Diagnostics
		files   map[string]*hcl.File
		kept    []string
	)
	embedded := len(st.Broker) == 1 && st.Broker[0] == "embedded"
	if needsSpec(st, embedded) {
		ld, ldiags := c.loadAndPlan(path, &v)
		files, env.plan = ld.files, ld.plan
		diags = append(diags, ldiags...)
		if ldiags.HasErrors() {
			diags = append(diags, errorDiag("Cannot destroy: the spec at %s must load, for its broker and admin_url settings", path))
		}
	}
	if !diags.HasErrors() {
		backends := map[string]bool{}
		for _, s := range st.Stages {
			backends[s.Backend] = true
		}
		for _, b := range slices.Sorted(maps.Keys(backends)) {
			if step := destroySteps[b]; step != nil {
				a, d := step(env)
				actions, diags = append(actions, a...), append(diags, d...)
			}
		}
		if !embedded {
			a, d := destroyWorkerStages(env) // before anything they write to goes
			actions, diags = append(a, actions...), append(diags, d...)
			a, k, d := destroyChannelTopics(env)
			actions, kept, diags = append(actions, a...), k, append(diags, d...)
		}
	}
	c.showDiags(diags, files)
	if diags.HasErrors() {
		return 1
	}
	if hasRun {
		actions = append(actions, destroyAction{
			what: fmt.Sprintf("remove the local run state %s (operator state and checkpoints)", runDir),
			do:   func(context.Context) error { return os.RemoveAll(runDir) },
		})
	}
	actions = append(actions, destroyAction{
		what:   fmt.Sprintf("clear the state file %s", filepath.Join(stDir, "state.json")),
		do:     func(context.Context) error { return nil },
		forget: func(s *state.State) { s.Stages, s.Topics, s.ChannelTopics, s.SpecHash = nil, nil, nil, "" },
	})

	c.describe(st, embedded, actions, kept)
	if !*autoApprove {
		ok, err := c.confirm("destroy", "Do you really want to destroy all of the above?")
		if err != nil {
			c.showDiags(diagsOf(errorDiag("%v", err)), nil)
			return 1
		}
		if !ok {
			fmt.Fprintln(c.Stdout, "\nDestroy cancelled.")
			return 1
		}
	}
	fmt.Fprintln(c.Stdout)

	ctx, stop := c.signalContext()
	defer stop()
	next := *st
	next.Serial++
	var failed error
	for _, a := range actions {
		if err := a.do(ctx); err != nil {
			failed = fmt.Errorf("%s: %w", a.what, err)
			break
		}
		if a.forget != nil {
			a.forget(&next)
		}
		fmt.Fprintf(c.Stdout, "Done: %s.\n", a.what)
	}
	if err := state.Write(stDir, &next); err != nil {
		failed = errors.Join(failed, fmt.Errorf("cannot record the state: %w", err))
	}
	if failed != nil {
		c.showDiags(diagsOf(errorDiag("Destroy failed: %v. The state records what is left; run destroy again.", failed)), nil)
		return 1
	}
	fmt.Fprintln(c.Stdout, "\nDestroy complete.")
	return 0
}

// needsSpec reports whether destroying st needs the spec's settings: a
// configured broker (its topics, jobs reading it), or transforms deployed
// to Redpanda. After an apply on the embedded broker the spec may be gone.
func needsSpec(st *state.State, embedded bool) bool {
	return !embedded || slices.ContainsFunc(st.Stages, func(s state.Stage) bool { return s.Transform != nil })
}

// describe prints what destroy will do and what it keeps.
func (c *DestroyCommand) describe(st *state.State, embedded bool, actions []destroyAction, kept []string) {
	w := c.Stdout
	if st.Pipeline != "" {
		fmt.Fprintf(w, "Pipeline %q, applied at %s (serial %d) to %s.\n", st.Pipeline, st.AppliedAt.Format("2006-01-02 15:04:05 MST"), st.Serial, strings.Join(st.Broker, ", "))
	}
	if embedded {
		fmt.Fprintln(w, "\nThe last apply ran on the embedded broker, which stopped when apply exited:")
		fmt.Fprintln(w, "no topics, transforms or stages of it are left running. destroy only clears the local state.")
	}
	fmt.Fprintln(w, "\ndestroy will:")
	for _, a := range actions {
		fmt.Fprintf(w, "  - %s\n", a.what)
	}
	if len(kept) > 0 {
		fmt.Fprintln(w, "\ndestroy keeps (it never deletes data the pipeline does not own):")
		for _, k := range kept {
			fmt.Fprintf(w, "  - %s\n", k)
		}
	}
}

// destroyTransforms deletes the broker transforms the state records through
// the spec's Admin API. A transform already gone counts as deleted.
func destroyTransforms(env *destroyEnv) ([]destroyAction, hcl.Diagnostics) {
	var names []state.Stage
	for _, s := range env.state.Stages {
		if s.Transform != nil {
			names = append(names, s)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	cfg, diags := broker.DecodeConfig(env.plan.Pipeline)
	if diags.HasErrors() {
		return nil, diags
	}
	if cfg == nil || cfg.AdminURL == "" {
		return nil, hcl.Diagnostics{errorDiag("Cannot destroy: the last apply deployed broker transforms through %s, and the spec no longer sets admin_url in backend \"broker\" (destroy needs it and its credentials)", names[0].Transform.AdminURL)}
	}
	client, err := cfg.NewAdminClient()
	if err != nil {
		return nil, hcl.Diagnostics{errorDiag("Cannot destroy: %v", err)}
	}
	var out []destroyAction
	for _, s := range names {
		t := *s.Transform
		if t.AdminURL != client.URL() {
			diags = append(diags, errorDiag("Cannot destroy: transform %s was deployed through %s, but the spec's admin_url is now %s; restore it to destroy", t.Name, t.AdminURL, client.URL()))
			continue
		}
		out = append(out, destroyAction{
			what: fmt.Sprintf("delete broker transform %s (stage %s) through %s", t.Name, s.ID, t.AdminURL),
			do: func(ctx context.Context) error {
				if err := client.Delete(ctx, t.Name); err != nil && !errors.Is(err, broker.ErrNotFound) {
					return err
				}
				return nil
			},
			forget: func(st *state.State) {
				st.Stages = slices.DeleteFunc(st.Stages, func(x state.Stage) bool { return x.Transform != nil && x.Transform.Name == t.Name })
			},
		})
	}
	return out, diags
}

// destroyChannelTopics deletes the intermediate topics the state lists on
// the spec's broker, and says which topics it keeps and why. A topic is
// deleted only when the state lists it as a channel and nothing marks it
// as the user's: a source or sink topic of the spec or of the state's
// other topics, or the dead-letter topic.
func destroyChannelTopics(env *destroyEnv) (actions []destroyAction, kept []string, diags hcl.Diagnostics) {
	st := env.state
	userTopics := map[string]string{} // topic → why it is kept
	for _, t := range st.Topics {
		if !slices.Contains(st.ChannelTopics, t) {
			userTopics[t] = "named in the spec"
		}
	}
	if env.plan != nil {
		pl := env.plan.Pipeline
		for _, op := range pl.Operators {
			switch {
			case op.Source != nil && op.Source.Topic != "":
				userTopics[op.Source.Topic] = "source"
			case op.Sink != nil && op.Sink.Topic != "":
				userTopics[op.Sink.Topic] = "sink"
			}
		}
		if pl.DeadLetterTopic != "" {
			userTopics[pl.DeadLetterTopic] = "dead letters"
		}
	}
	var doomed []string
	for _, t := range st.ChannelTopics {
		if _, mine := userTopics[t]; !mine {
			doomed = append(doomed, t)
		}
	}
	for _, t := range slices.Sorted(maps.Keys(userTopics)) {
		kept = append(kept, fmt.Sprintf("topic %s (%s)", t, userTopics[t]))
	}
	if len(doomed) == 0 {
		return nil, kept, nil
	}
	if env.plan == nil || env.plan.Pipeline.Broker == nil {
		return nil, kept, hcl.Diagnostics{errorDiag("Cannot destroy: the last apply created topics on %s, and the spec has no broker block to reach them", strings.Join(st.Broker, ", "))}
	}
	b := env.plan.Pipeline.Broker
	if !sameBrokers(b.Brokers, st.Broker) {
		return nil, kept, hcl.Diagnostics{errorDiag("Cannot destroy: the last apply ran on %s, but the spec's broker block now names %s; restore it to destroy", strings.Join(st.Broker, ", "), strings.Join(b.Brokers, ", "))}
	}
	opts, err := kafka.ClientOptions(b)
	if err != nil {
		return nil, kept, hcl.Diagnostics{errorDiag("Cannot destroy: broker: %v", err)}
	}
	for _, t := range doomed {
		actions = append(actions, destroyAction{
			what: fmt.Sprintf("delete topic %s (channel between stages) on %s", t, strings.Join(st.Broker, ", ")),
			do:   func(ctx context.Context) error { return deleteTopic(ctx, opts, t) },
			forget: func(s *state.State) {
				drop := func(x string) bool { return x == t }
				s.ChannelTopics = slices.DeleteFunc(s.ChannelTopics, drop)
				s.Topics = slices.DeleteFunc(s.Topics, drop)
			},
		})
	}
	return actions, kept, nil
}

// deleteTopic deletes one topic; a topic that does not exist is gone.
func deleteTopic(ctx context.Context, opts []kgo.Opt, topic string) error {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	resps, err := kadm.NewClient(cl).DeleteTopics(ctx, topic)
	if err != nil {
		return err
	}
	if r, ok := resps[topic]; ok && r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
		return r.Err
	}
	return nil
}

// channelTopics are the plan's intermediate topics, which destroy may
// delete: every channel's topic, except one that is also a source, sink or
// dead-letter topic (the user's data, whatever the plan says).
func channelTopics(p *ir.Plan) []string {
	user := map[string]bool{p.Pipeline.DeadLetterTopic: true}
	for _, op := range p.Pipeline.Operators {
		if op.Source != nil {
			user[op.Source.Topic] = true
		}
		if op.Sink != nil {
			user[op.Sink.Topic] = true
		}
	}
	var out []string
	for _, ch := range p.Channels {
		if ch.Topic != "" && !user[ch.Topic] && !slices.Contains(out, ch.Topic) {
			out = append(out, ch.Topic)
		}
	}
	sort.Strings(out)
	return out
}

func sameBrokers(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
