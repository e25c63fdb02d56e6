package command

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
)

// describeBroker compiles the plan's broker stages and puts each module's
// size and the memory it needs into its stage's notes (plan shows them),
// returning a warning per module that needs more than the broker's
// per-function memory limit, or an error when a stage does not compile.
func describeBroker(p *ir.Plan) hcl.Diagnostics {
	_, diags := compileBroker(p)
	return diags
}

// compileBroker compiles the plan's broker stages (see describeBroker).
func compileBroker(p *ir.Plan) ([]*broker.Artifact, hcl.Diagnostics) {
	if p == nil || !slices.ContainsFunc(p.Stages, func(s *ir.Stage) bool { return s.Backend == ir.BackendBroker }) {
		return nil, nil
	}
	arts, err := broker.CompileStages(p)
	if err != nil {
		return nil, hcl.Diagnostics{errorDiag("Cannot compile the broker stages: %v", err)}
	}
	return arts, broker.Describe(p, arts)
}

// transformDeploy deploys a plan's broker stages to Redpanda through the
// Admin API, when backend "broker" sets admin_url. A nil *transformDeploy
// means there is nothing to deploy that way: broker stages, if any, run in
// the local WebAssembly host.
type transformDeploy struct {
	cfg    *broker.Config
	client *broker.AdminClient
	arts   []*broker.Artifact
	// done are the transforms deployed (or found unchanged) so far, by
	// name; kept are transforms of the previous state not deleted (yet).
	done map[string]*broker.Artifact
	kept []state.Stage
}

// prepareTransforms compiles the plan's broker stages, describes them in
// the plan's notes, and, with admin_url, returns how to deploy them.
func prepareTransforms(p *ir.Plan) (*transformDeploy, hcl.Diagnostics) {
	arts, diags := compileBroker(p)
	if diags.HasErrors() {
		return nil, diags
	}
	cfg, cdiags := broker.DecodeConfig(p.Pipeline)
	if cdiags.HasErrors() { // a saved plan is not validated on load
		return nil, append(diags, cdiags...)
	}
	if cfg == nil || cfg.AdminURL == "" {
		return nil, diags
	}
	client, err := cfg.NewAdminClient()
	if err != nil {
		return nil, append(diags, errorDiag("Cannot reach the Redpanda Admin API: %v", err))
	}
	return &transformDeploy{cfg: cfg, client: client, arts: arts, done: map[string]*broker.Artifact{}}, diags
}

// local is the part of p that runs on this machine: without the broker
// stages when they are deployed to Redpanda.
func (d *transformDeploy) local(p *ir.Plan) *ir.Plan {
	if d == nil {
		return p
	}
	q := *p
	q.Stages = slices.DeleteFunc(slices.Clone(p.Stages), func(s *ir.Stage) bool { return s.Backend == ir.BackendBroker })
	return &q
}

// deploy creates the topics the transforms read and write, then deploys
// every transform whose module changed since prev (the last apply's state)
// or that the cluster lacks, and deletes those prev recorded that the plan
// no longer has. It prints each change.
func (d *transformDeploy) deploy(ctx context.Context, m *Meta, s *session, prev *state.State) error {
	var topics []string
	for _, a := range d.arts {
		topics = append(append(topics, a.InputTopic), a.OutputTopics...)
	}
	limits, unread, err := createTopics(ctx, s, topics)
	if err != nil {
		return err
	}
	// Redpanda would refuse an output over its topic's max.message.bytes
	// on every retry: each transform learns the limits, and dead-letters
	// such an output instead.
	var warns hcl.Diagnostics
	for _, err := range unread {
		warns = append(warns, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Transform outputs to a topic whose config cannot be read are not checked against its size limit", Detail: err.Error()})
	}
	for _, a := range d.arts {
		if err := a.SetTopicLimits(limits); err != nil {
			warns = append(warns, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Transform outputs are not checked against their topics' size limits", Detail: err.Error()})
		}
	}
	m.showDiags(warns, nil)
	live, err := d.client.List(ctx)
	if err != nil {
		return err
	}
	var deployedBefore []broker.Deployed
	if prev != nil {
		for _, st := range prev.Stages {
			if st.Transform != nil {
				deployedBefore = append(deployedBefore, broker.Deployed{Stage: st.ID, Name: st.Transform.Name, SHA256: st.Transform.SHA256})
				d.kept = append(d.kept, st)
			}
		}
	}
	changes := broker.Diff(d.arts, deployedBefore, live)
	fmt.Fprintf(m.Stdout, "Broker transforms (Redpanda Admin API %s):\n", d.client.URL())
	count := map[broker.Action]int{}
	err = broker.Reconcile(ctx, d.client, changes, func(ch broker.Change) {
		count[ch.Action]++
		fmt.Fprintf(m.Stdout, "  %s %s (stage %s): %s\n", ch.Action, ch.Name, ch.Stage, ch.Why)
		if ch.Artifact != nil {
			d.done[ch.Name] = ch.Artifact
		}
		d.kept = slices.DeleteFunc(d.kept, func(st state.Stage) bool { return st.Transform.Name == ch.Name })
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%d deployed, %d unchanged, %d deleted.\n\n", count[broker.Create]+count[broker.Update], count[broker.Unchanged], count[broker.Delete])
	return nil
}

// record adds to st what was deployed: each broker stage's transform, and
// transforms of the previous state not deleted (after a failure), so that
// the next apply or destroy finds them.
func (d *transformDeploy) record(st *state.State) {
	if d == nil {
		return
	}
	for i := range st.Stages {
		for _, a := range d.done {
			if a.Stage == st.Stages[i].ID {
				st.Stages[i].Transform = recordedTransform(a, d.client.URL())
			}
		}
	}
	for _, k := range d.kept {
		if !slices.ContainsFunc(st.Stages, func(s state.Stage) bool { return s.Transform != nil && s.Transform.Name == k.Transform.Name }) {
			st.Stages = append(st.Stages, k)
		}
	}
}

// recordedTransform is what the state records of a transform deployed from
// a: the values of its secret-carrying variables are left out.
func recordedTransform(a *broker.Artifact, adminURL string) *state.Transform {
	env := maps.Clone(a.Env)
	for _, se := range a.SecretEnv() {
		if _, ok := env[se.Env]; ok {
			env[se.Env] = state.SensitiveEnv
		}
	}
	return &state.Transform{Name: a.Name, SHA256: a.SHA256(), AdminURL: adminURL,
		InputTopic: a.InputTopic, OutputTopics: slices.Clone(a.OutputTopics), Env: env}
}

// createTopics creates the topics that do not exist yet on the session's
// broker with the broker's default partitions and replication, and returns
// each topic's max.message.bytes. A topic whose config cannot be read is
// left out of limits and named in unread.
func createTopics(ctx context.Context, s *session, topics []string) (limits map[string]int, unread []error, err error) {
	topics = slices.DeleteFunc(slices.Clone(topics), func(t string) bool { return t == "" || strings.HasPrefix(t, "file:") })
	if len(topics) == 0 {
		return nil, nil, nil
	}
	cl, err := kgo.NewClient(s.clientOpts...)
	if err != nil {
		return nil, nil, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if err := kafka.EnsureTopics(ctx, adm, topics, -1); err != nil {
		return nil, nil, err
	}
	limits, unread = kafka.MaxMessageBytes(ctx, adm, topics)
	return limits, unread, nil
}

// orphanedTransforms warns when the last apply (state in stDir) deployed
// transforms through the Admin API and this apply will not manage them
// (the spec no longer sets admin_url): they keep running on the cluster.
func orphanedTransforms(stDir string) hcl.Diagnostics {
	prev, err := state.Read(stDir)
	if err != nil || prev == nil {
		return nil
	}
	var names []string
	for _, st := range prev.Stages {
		if st.Transform != nil {
			names = append(names, st.Transform.Name+" ("+st.Transform.AdminURL+")")
		}
	}
	if len(names) == 0 {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagWarning,
		Summary:  "Broker transforms left running",
		Detail: fmt.Sprintf("The last apply deployed %s to Redpanda, and this spec does not set admin_url, so apply cannot manage them: they keep running. "+
			"Run destroy with the previous spec, or delete them with rpk transform delete.", strings.Join(names, ", ")),
	}}
}

// localPart is the part of p this process runs: without the broker stages
// when backend "broker" sets admin_url, since apply deployed them to
// Redpanda, which runs them.
func localPart(p *ir.Plan) *ir.Plan {
	if p == nil {
		return nil
	}
	if cfg, _ := broker.DecodeConfig(p.Pipeline); cfg == nil || cfg.AdminURL == "" {
		return p
	}
	return (&transformDeploy{}).local(p)
}
