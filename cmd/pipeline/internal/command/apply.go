package command

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

A plan that resets the state of a stateful operator (aggregate, dedupe,
join) or the offsets of a consumer is refused, naming each reset and why,
unless -allow-state-reset is given. A moved block keeps state across a
rename.

A saved plan is refused when the spec, its variables, the cost profile or
the state changed since it was made.`,
		append(append([]string{"-auto-approve", "Skip the confirmation (required when stdin is not a terminal).",
			"-lock-timeout D", "Wait up to D for the state lock another command holds (default 0: fail at once, naming the holder).",
			"-allow-state-reset", "Apply even though the plan resets state or offsets (see plan's State and offsets).",
			"-wait=false", "With a broker block: return once the plan is published, without waiting for the workers.",
			"-wait-timeout D", "With a broker block: how long to wait for live workers to run the new version (default 5m).",
			"-cost-profile FILE", "Price the backends with this cost profile instead of the one beside the spec."}, runOptions...), varOptions...)...)
}

func (c *ApplyCommand) Run(args []string) int {
	fs := c.newFlagSet("apply")
	lockTimeout := fs.Duration("lock-timeout", 0, "")
	autoApprove := fs.Bool("auto-approve", false, "")
	var rf runFlags
	rf.register(fs)
	var v varFlags
	v.register(fs)
	fs.StringVar(&v.costProfile, "cost-profile", "", "")
	allowReset := fs.Bool("allow-state-reset", false, "")
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

	if c.getenv(pauseEnv) != "" {
		state.BeforeRename = func() { c.pauseAt(pauseStateRename) }
		defer func() { state.BeforeRename = nil }()
	}
	stDir := state.Dir(plan.SpecPath)
	unlock, err := state.LockAs(stDir, "apply "+path, *lockTimeout)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot apply: %v", err)), nil)
		return 1
	}
	defer unlock()
	c.pauseAt(pauseLocked)
	serial, err := state.Serial(stDir)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot apply: %v", err)), nil)
		return 1
	}
	if serial != plan.StateSerial {
		c.showDiags(diagsOf(errorDiag("Saved plan is stale: the state changed since the plan was made (serial %d, now %d); run plan again", plan.StateSerial, serial)), nil)
		return 1
	}
	// What the plan does to state is derived again under the lock, from
	// the state as it is now: a saved plan's list is not trusted.
	prevState, err := state.Read(stDir)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot apply: %v", err)), nil)
		return 1
	}
	plan.StateChanges = stateChanges(plan, prevState)
	if resets := plan.StateResets(); len(resets) > 0 && !*allowReset {
		c.showDiags(diagsOf(refuseResets(resets)), nil)
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
	// Sinks of schema formats frame records with their schema's ID: the
	// registry assigns it now (or finds it when already registered).
	if changed, err := registerSinkSchemas(ctx, plan); err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot register the sinks' schemas: %v", err)), nil)
		return 1
	} else if changed && transforms != nil {
		var tdiags hcl.Diagnostics
		if transforms, tdiags = prepareTransforms(plan); tdiags.HasErrors() {
			c.showDiags(tdiags, files)
			return 1
		}
	}
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
	c.pauseAt(pauseStateWritten)
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
		if rf.resetState {
			c.showDiags(hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "-reset-state has no effect here",
				Detail: "With a broker block, native stages run on `pipeline worker` processes: start those with -reset-state to let a stage with a damaged checkpoint start empty."}}, nil)
		}
		code := c.rollout(ctx, plan, s, next.Serial, *wait, *waitTimeout)
		c.pauseAt(pauseRolledOut)
		if code == 0 {
			// The workers created their topics by now: record them as
			// they are, for plan -refresh.
			recordTopics(ctx, s.clientOpts, next)
			if err := state.Write(stDir, next); err != nil {
				c.showDiags(diagsOf(errorDiag("Cannot record the state: %v", err)), nil)
				return 1
			}
		}
		return code
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

// refuseResets is apply's refusal of a plan that resets state: each reset
// and its reason, and the ways forward.
func refuseResets(resets []ir.StateChange) *hcl.Diagnostic {
	var b strings.Builder
	for _, r := range resets {
		what := r.Address
		if r.Kind == kindConsumer {
			what = "consumer " + r.Address
		}
		fmt.Fprintf(&b, "%s: %s\n", what, r.Reason)
	}
	b.WriteString("Records already processed would be forgotten or processed again. Keep the state (a moved block for a rename; see the README's compatibility rules), or run apply with -allow-state-reset to accept it.")
	d := errorDiag("Cannot apply: this plan resets state or offsets (%d)", len(resets))
	d.Detail = b.String()
	return d
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
//
// A saved plan holds no sensitive value, only salted hashes (ir.Secret):
// the values come from v (-var, -var-file) and the environment, as for
// plan, and one whose hash differs is refused, naming it. The plan
// returned carries them.
func (m *Meta) verifySaved(p *ir.Plan, v *varFlags) (*ir.Plan, hcl.Diagnostics) {
	if p.Pipeline == nil || p.SpecPath == "" {
		return nil, hcl.Diagnostics{errorDiag("Cannot apply: the saved plan was modified: it names no spec or pipeline")}
	}
	fresh, diags := m.checkStale(p, v)
	if diags = append(diags, checkProfileStale(p, v.costProfile)...); diags.HasErrors() {
		return nil, diags
	}
	if p.SecretSalt != "" {
		sealed, err := fresh.Sealed(p.SecretSalt)
		if err != nil {
			return nil, hcl.Diagnostics{errorDiag("Cannot apply: %v", err)}
		}
		if !samePlan(p, sealed) {
			return nil, hcl.Diagnostics{errorDiag("Cannot apply: the saved plan was modified: it is not the plan the spec at %s gives; run plan again", p.SpecPath)}
		}
		p.Unseal(fresh)
		return p, nil
	}
	if !samePlan(p, fresh) {
		return nil, hcl.Diagnostics{errorDiag("Cannot apply: the saved plan was modified: it is not the plan the spec at %s gives; run plan again", p.SpecPath)}
	}
	return p, nil
}

// samePlan compares two plans' bodies, leaving out what the saved plan may
// legitimately differ in: the comparison with the state (checked through
// state_serial), the explanations (plan -explain) and the cost profile's
// identity (checked by checkProfileStale).
func samePlan(saved, fresh *ir.Plan) bool {
	norm := func(p *ir.Plan) []byte {
		c := *p
		c.Changes, c.StateChanges, c.Explain, c.CostProfile, c.StateSerial, c.Drift = nil, nil, nil, nil, 0, nil
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
// compared. It returns the plan the spec gives now. A sealed plan's
// sensitive variables come from v and the environment instead, and are
// checked against the plan's hashes first, so a wrong or missing value is
// named rather than reported as a changed spec.
func (m *Meta) checkStale(p *ir.Plan, v *varFlags) (*ir.Plan, hcl.Diagnostics) {
	var fv varFlags
	sealed := p.SecretSalt != ""
	if sealed {
		fv.vars, fv.varFiles = slices.Clone(v.vars), slices.Clone(v.varFiles)
	}
	names := make([]string, 0, len(p.Pipeline.Vars))
	for name, c := range p.Pipeline.Vars {
		if !sealed || !c.Sensitive {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names { // after v's: the plan's values win
		fv.vars = append(fv.vars, name+"="+varLiteral(p.Pipeline.Vars[name]))
	}
	if p.CostProfile != nil {
		if _, err := os.Stat(p.CostProfile.File); err == nil {
			fv.costProfile = p.CostProfile.File // checkProfileStale compares it
		}
	}
	ld, diags := m.loadAndPlan(p.SpecPath, &fv)
	if diags.HasErrors() {
		if sealed {
			return nil, append(hcl.Diagnostics{errorDiag("Cannot apply the saved plan: the spec at %s does not load with the plan's variable values and the sensitive ones given now (-var, -var-file, PIPELINE_VAR_*)", p.SpecPath)}, diags...)
		}
		return nil, hcl.Diagnostics{errorDiag("Saved plan is stale: the spec at %s no longer loads; run plan again", p.SpecPath)}
	}
	if sealed {
		now, err := ld.plan.Sealed(p.SecretSalt)
		if err != nil {
			return nil, hcl.Diagnostics{errorDiag("Cannot apply: %v", err)}
		}
		if d := secretMismatch(p.Secrets, now.Secrets); d != nil {
			return nil, hcl.Diagnostics{d}
		}
	}
	if ld.plan.SpecHash != p.SpecHash {
		return nil, hcl.Diagnostics{errorDiag("Saved plan is stale: the spec at %s changed since the plan was made; run plan again", p.SpecPath)}
	}
	return ld.plan, nil
}

// secretMismatch names the sensitive values that differ from (or are
// missing compared with) those the plan was made with.
func secretMismatch(saved, now []ir.Secret) *hcl.Diagnostic {
	got := map[string]string{}
	for _, s := range now {
		got[s.Kind+" "+s.Name] = s.Hash
	}
	var bad []string
	for _, s := range saved {
		if got[s.Kind+" "+s.Name] != s.Hash {
			bad = append(bad, fmt.Sprintf("%s %s", s.Kind, s.Name))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	d := errorDiag("Cannot apply the saved plan: sensitive values differ from those it was made with: %s", strings.Join(bad, ", "))
	d.Detail = "A saved plan keeps only a hash of each sensitive value. Give apply the same values the plan was made with: -var, -var-file, PIPELINE_VAR_NAME, or the environment variables env() reads."
	return d
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
	recordState(p, st)
	return st
}

// Test-only pause points of apply (PIPELINE_TEST_PAUSE_AT), in the order
// apply reaches them: the lock taken; the new state written to its
// temporary file, before the rename; the state recorded, before the plan
// is published to the workers; the rollout over, before the state records
// the topics as they are.
const (
	pauseEnv          = "PIPELINE_TEST_PAUSE_AT"
	pauseLocked       = "locked"
	pauseStateRename  = "state-rename"
	pauseStateWritten = "state-written"
	pauseRolledOut    = "rolled-out"
)

// pauseAt is a test-only hook: when PIPELINE_TEST_PAUSE_AT names phase,
// apply says so on stderr and sleeps, so that a test can kill it right
// there (cmd/pipeline's TestKillDuringApply). Nothing else sets it.
func (m *Meta) pauseAt(phase string) {
	if m.getenv(pauseEnv) != phase {
		return
	}
	fmt.Fprintf(m.Stderr, "%s: paused at %s (pid %d)\n", pauseEnv, phase, os.Getpid())
	time.Sleep(10 * time.Minute)
}
