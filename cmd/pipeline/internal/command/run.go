package command

import (
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
)

// RunCommand runs a spec's native stages in the foreground: the worker
// process of a deployment.
type RunCommand struct{ *Meta }

func (c *RunCommand) Synopsis() string {
	return "Run the native stages of a spec or plan in the foreground"
}

func (c *RunCommand) Help() string {
	return help("run [options] PATH|PLANFILE", `
Runs the native stages of the spec at PATH (or of a saved plan) in the
foreground against the spec's broker, creating missing topics. With no broker
block it starts an embedded Kafka-protocol broker on loopback. More run
processes of the same spec share the load through their consumer groups.

Stops on interrupt, when every input is a file and all were read, or with
-exit-when-idle once no input arrives for that long (after draining).`,
		append(append(append([]string(nil), runOptions...),
			"-cpuprofile FILE", "Write a CPU profile of this process to FILE (go tool pprof), for benchmarks."), varOptions...)...)
}

func (c *RunCommand) Run(args []string) int {
	fs := c.newFlagSet("run")
	var rf runFlags
	rf.register(fs)
	var v varFlags
	v.register(fs)
	cpuProfile := fs.String("cpuprofile", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			return c.usageError("run", "-cpuprofile: %v", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if len(pos) != 1 {
		return c.usageError("run", "run takes one PATH or PLANFILE, got %d arguments", len(pos))
	}
	plan, files, diags := c.planFor(pos[0], &v)
	plan = localPart(plan) // with admin_url, Redpanda runs the broker stages
	if plan != nil {
		if err := runnable(plan); err != nil {
			diags = append(diags, errorDiag("Cannot run: %v", err))
		}
	}
	c.showDiags(diags, files)
	if diags.HasErrors() {
		return 1
	}
	ctx, stop := c.signalContext()
	defer stop()
	if _, err := registerSinkSchemas(ctx, plan); err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot register the sinks' schemas: %v", err)), nil)
		return 1
	}
	s, err := c.connect(ctx, plan, &rf)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot connect to the broker: %v", err)), nil)
		return 1
	}
	defer s.Close()
	beams, err := c.submitBeam(ctx, plan, s, &rf)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot submit the beam stages: %v", err)), nil)
		return 1
	}
	if err := c.execute(ctx, plan, s, &rf, c.stateDirFor(plan, &rf), beams); err != nil {
		c.showDiags(diagsOf(errorDiag("Run failed: %v", err)), nil)
		return 1
	}
	return 0
}

// planFor loads and plans a spec, or reads a saved plan when path is a file
// that is not an .hcl spec.
func (m *Meta) planFor(path string, v *varFlags) (*ir.Plan, map[string]*hcl.File, hcl.Diagnostics) {
	if st, err := os.Stat(path); err == nil && !st.IsDir() && filepath.Ext(path) != ".hcl" {
		p, d := readPlan(path)
		if d != nil {
			return nil, nil, diagsOf(d)
		}
		p, diags := m.verifySaved(p, v)
		if diags.HasErrors() {
			return nil, nil, diags
		}
		return p, nil, diags
	}
	ld, diags := m.loadAndPlan(path, v)
	return ld.plan, ld.files, diags
}

// stateDirFor is where operator state and checkpoints live: -state-dir, or
// .pipeline/run beside the spec.
func (m *Meta) stateDirFor(p *ir.Plan, rf *runFlags) string {
	if rf.stateDir != "" {
		return rf.stateDir
	}
	if p.SpecPath != "" {
		return filepath.Join(state.Dir(p.SpecPath), "run")
	}
	return filepath.Join(".pipeline", "run")
}
