package command

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/planfmt"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/control"
)

// ApplyCommand deploys a plan. With no broker block it runs everything on
// this machine: an embedded broker, native stages in-process.
type ApplyCommand struct{ *Meta }

func (c *ApplyCommand) Synopsis() string { return "Deploy a spec or a saved plan" }

func (c *ApplyCommand) Help() string {
	return help("apply [options] PATH|PLANFILE", `
Plans the spec at PATH (or takes a saved plan), shows the plan, asks for
confirmation on a terminal, creates topics, records what it deployed in
.pipeline/state.json beside the spec (mode 0600, locked while in use), and
runs the stages.

With a broker block, apply publishes the native part of the plan to the
control topic (`+control.ControlTopic+`) on that broker, where long-running
"pipeline worker" processes take it from, waits until every live worker
reports running the new version, prints the rollout and exits: 1 when a
worker reports a failure or none picks the version up within -wait-timeout.

With no broker block, apply starts an embedded Kafka-protocol broker on a
loopback port it prints, runs every stage in-process until the inputs are
exhausted (file sources), interrupted, or idle for -exit-when-idle, and then
prints what each sink received.

With admin_url in backend "broker", broker stages are deployed to Redpanda
through its Admin API after their topics are created: only transforms whose
module changed (or that the cluster lacks) are deployed, and those the plan
no longer has are deleted. "pipeline destroy" removes them.

A saved plan is refused when the spec, its variables, the cost profile or
the state changed since it was made.`,
		append(append([]string{"-auto-approve", "Skip the confirmation (required when stdin is not a terminal).",
			"-wait=false", "With a broker block: return once the plan is published, without waiting for the workers.",
			"-wait-timeout D", "With a broker block: how long to wait for live workers to run the new version (default 5m).",
			"-cost-profile FILE", "Price the backends with this cost profile instead of the one beside the spec."}, runOptions...), varOptions...)...)
}

func (c *ApplyCommand) Run(args []string) int {
	fs := c.newFlagSet("apply")
	autoApprove := fs.Bool("auto-approve", false, "")
	var rf runFlags
	rf.register(fs)
	var v varFlags
	v.register(fs)
	fs.StringVar(&v.costProfile, "cost-profile", "", "")
	wait := fs.Bool("wait", true, "")
	waitTimeout := fs.Duration("wait-timeout", 5*time.Minute, "")
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	path, ok := optionalPath(pos)
	if !ok {
		return c.usageError("apply", "apply takes one PATH or PLANFILE, got %d arguments", len(pos))
	}
	plan, files, diags := c.planFor(path, &v)
	var transforms *transformDeploy // non-nil: broker stages go to Redpanda
	if plan != nil {
		var tdiags hcl.Diagnostics
		transforms, tdiags = prepareTransforms(plan)
		diags = append(diags, tdiags...)
		if err := runnable(transforms.local(plan)); err != nil {
			diags = append(diags, errorDiag("Cannot apply: %v", err))
		}
		diags = append(diags, workersCannotHost(transforms.local(plan))...)
	}
	c.showDiags(diags, files)
	if diags.HasErrors() {
		return 1
	}

	stDir := state.Dir(plan.SpecPath)
	unlock, err := state.Lock(stDir)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot apply: %v", err)), nil)
		return 1
	}
	defer unlock()
	serial, err := state.Serial(stDir)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot apply: %v", err)), nil)
		return 1
	}
	if serial != plan.StateSerial {
		c.showDiags(diagsOf(errorDiag("Saved plan is stale: the state changed since the plan was made (serial %d, now %d); run plan again", plan.StateSerial, serial)), nil)
		return 1
	}
	if transforms == nil {
		c.showDiags(orphanedTransforms(stDir), nil)
	}

	_ = planfmt.Write(c.Stdout, plan)
	if !*autoApprove {
		ok, err := c.confirm("apply", "Do you want to apply this plan?")
		if err != nil {
			c.showDiags(diagsOf(errorDiag("%v", err)), nil)
			return 1
		}
		if !ok {
			fmt.Fprintln(c.Stdout, "\nApply cancelled.")
			return 1
		}
	}
	fmt.Fprintln(c.Stdout)

	ctx, stop := c.signalContext()
	defer stop()
	s, err := c.connect(ctx, plan, &rf)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot connect to the broker: %v", err)), nil)
		return 1
	}
	defer s.Close()
	next := deployed(plan, s, serial+1)
	if transforms != nil {
		prev, err := state.Read(stDir)
		if err != nil {
			c.showDiags(diagsOf(errorDiag("Cannot deploy the broker transforms: %v", err)), nil)
			return 1
		}
		err = transforms.deploy(ctx, c.Meta, s, prev)
		transforms.record(next) // what did deploy, even after a failure
		if err != nil {
			if werr := state.Write(stDir, next); werr != nil {
				err = fmt.Errorf("%w; and cannot record the state: %v", err, werr)
			}
			c.showDiags(diagsOf(errorDiag("Cannot deploy the broker transforms: %v", err)), nil)
			return 1
		}
	}
	if err := state.Write(stDir, next); err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot record the state: %v", err)), nil)
		return 1
	}
	beams, err := c.submitBeam(ctx, plan, s, &rf)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot submit the beam stages: %v", err)), nil)
		return 1
	}
	if beams != nil {
		beams.record(next)
		if err := state.Write(stDir, next); err != nil {
			beams.stop()
			c.showDiags(diagsOf(errorDiag("Cannot record the state: %v", err)), nil)
			return 1
		}
	}
	if s.embedded == nil {
		// A real broker: native stages go to the workers, which outlive
		// apply (runtime/control).
		return c.rollout(ctx, plan, s, next.Serial, *wait, *waitTimeout)
	}
	runErr := c.execute(ctx, transforms.local(plan), s, &rf, filepath.Join(stDir, "run"), beams)
	if runErr != nil {
		c.showDiags(diagsOf(errorDiag("Apply failed while running: %v", runErr)), nil)
	}
	if err := c.showResults(context.Background(), plan, s); err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot read the results: %v", err)), nil)
		return 1
	}
	if runErr != nil {
		return 1
	}
	if s.embedded != nil {
		fmt.Fprintln(c.Stdout, "\nApply complete. The embedded broker stops now; its topics are not kept.")
	} else {
		fmt.Fprintln(c.Stdout, "\nApply complete.")
	}
	return 0
}

// confirm asks question on a terminal; without one it refuses rather than
// guess. command names the command for the -auto-approve hint.
func (m *Meta) confirm(command, question string) (bool, error) {
	in, ok := m.Stdin.(*os.File)
	if !ok || !isTerminal(in) {
		return false, fmt.Errorf("%s needs -auto-approve when stdin is not a terminal", command)
	}
	fmt.Fprintf(m.Stdout, "\n%s Only 'yes' will be accepted: ", question)
	line, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	return strings.TrimSpace(line) == "yes", nil
}

// verifySaved refuses a saved plan that is not exactly the plan its spec
// gives now. The whole body is checked, not only spec_hash: a plan file is
// data anyone with write access can edit (a filter's where, a sink's file,
// stages: null), and apply must run only what plan showed. The plan is
// derived again from its spec, with its own variable values and cost
// profile, and compared field by field; what the last apply changed is
// checked later, under the state lock (state_serial).
func (m *Meta) verifySaved(p *ir.Plan, costProfile string) hcl.Diagnostics {
	if p.Pipeline == nil || p.SpecPath == "" {
		return hcl.Diagnostics{errorDiag("Cannot apply: the saved plan was modified: it names no spec or pipeline")}
	}
	fresh, diags := m.checkStale(p)
	if diags = append(diags, checkProfileStale(p, costProfile)...); diags.HasErrors() {
		return diags
	}
	if !samePlan(p, fresh) {
		return hcl.Diagnostics{errorDiag("Cannot apply: the saved plan was modified: it is not the plan the spec at %s gives; run plan again", p.SpecPath)}
	}
	return nil
}

// samePlan compares two plans' bodies, leaving out what the saved plan may
// legitimately differ in: the comparison with the state (checked through
// state_serial), the explanations (plan -explain) and the cost profile's
// identity (checked by checkProfileStale).
func samePlan(saved, fresh *ir.Plan) bool {
	norm := func(p *ir.Plan) []byte {
		c := *p
		c.Changes, c.Explain, c.CostProfile, c.StateSerial = nil, nil, nil, 0
		b, err := c.Encode()
		if err != nil {
			return nil
		}
		return b
	}
	a, b := norm(saved), norm(fresh)
	return a != nil && bytes.Equal(a, b)
}

// checkStale refuses a saved plan whose spec or variables changed since:
// the spec is loaded again with the plan's own variable values and its hash
// compared. It returns the plan the spec gives now.
func (m *Meta) checkStale(p *ir.Plan) (*ir.Plan, hcl.Diagnostics) {
	var v varFlags
	names := make([]string, 0, len(p.Pipeline.Vars))
	for name := range p.Pipeline.Vars {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v.vars = append(v.vars, name+"="+varLiteral(p.Pipeline.Vars[name]))
	}
	if p.CostProfile != nil {
		if _, err := os.Stat(p.CostProfile.File); err == nil {
			v.costProfile = p.CostProfile.File // checkProfileStale compares it
		}
	}
	ld, diags := m.loadAndPlan(p.SpecPath, &v)
	if diags.HasErrors() {
		return nil, hcl.Diagnostics{errorDiag("Saved plan is stale: the spec at %s no longer loads; run plan again", p.SpecPath)}
	}
	if ld.plan.SpecHash != p.SpecHash {
		return nil, hcl.Diagnostics{errorDiag("Saved plan is stale: the spec at %s changed since the plan was made; run plan again", p.SpecPath)}
	}
	return ld.plan, nil
}

// deployed is the state recorded for a plan applied through s.
func deployed(p *ir.Plan, s *session, serial int64) *state.State {
	st := &state.State{Serial: serial, Pipeline: p.Pipeline.Name, SpecHash: p.SpecHash, AppliedAt: time.Now().UTC(), Broker: s.brokers}
	if s.embedded != nil {
		st.Broker = []string{"embedded"}
	}
	topics := map[string]bool{}
	for _, stg := range p.Stages {
		st.Stages = append(st.Stages, state.Stage{ID: stg.ID, Backend: stg.Backend, Operators: stg.Operators})
		for _, t := range append(append([]string(nil), stg.Inputs...), stg.Outputs...) {
			if !strings.HasPrefix(t, "file:") {
				topics[t] = true
			}
		}
	}
	for t := range topics {
		st.Topics = append(st.Topics, t)
	}
	sort.Strings(st.Topics)
	st.ChannelTopics = channelTopics(p)
	return st
}
