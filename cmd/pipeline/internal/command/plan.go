package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/diagfmt"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/planfmt"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
)

// PlanCommand compiles a spec into a physical plan and shows it.
type PlanCommand struct{ *Meta }

func (c *PlanCommand) Synopsis() string { return "Show where each operator will run" }

func (c *PlanCommand) Help() string {
	return help("plan [options] [PATH]", `
Loads the spec at PATH (default "."), places every operator on a backend,
fuses operators into stages and shows the stages, the topics each reads and
writes, and why it runs where it does.

Costs come from the cost profile beside the spec (cost-profile.json, written
by "pipeline calibrate") or -cost-profile FILE, else from the backends'
built-in defaults; the plan says which. When an earlier apply left its state
(.pipeline/state.json beside the spec), the plan also lists what changes:
operators that move to another backend, and stages to add, change and
delete.

With -detailed-exitcode the exit status is 0 when there is nothing to deploy
(the last apply recorded the same spec, variable values and stages), 1 on
error and 2 when the plan has changes.

Without -refresh plan contacts nothing. With -refresh it also compares what
exists with what the last apply recorded: topics (gone, or their partition
count or topic configs changed), Redpanda transforms (gone, or other topics
or environment), beam jobs (gone, failed, cancelled or finished at their job
service) and live workers running another version than the state's. These
objects changed outside pipeline are listed first under "Drift" (plan -json:
drift), and -detailed-exitcode exits 2 when there are any. An endpoint that
cannot be reached gives a warning naming it.`,
		append([]string{
			"-json", "Print the plan as JSON with sensitive values redacted.",
			"-out FILE", "Save the plan to FILE (mode 0600) for show and apply; sensitive values are kept only as salted hashes.",
			"-detailed-exitcode", "Exit 2 when the plan has changes, or -refresh found drift (see above).",
			"-refresh", "Compare what exists (topics, transforms, beam jobs, workers) with the state (see above).",
			"-explain", "Also show, per operator, every backend it could run on, its cost there and why it lost.",
			"-cost-profile FILE", "Price the backends with this cost profile instead of the one beside the spec.",
		}, varOptions...)...)
}

func (c *PlanCommand) Run(args []string) int {
	fs := c.newFlagSet("plan")
	jsonOut := fs.Bool("json", false, "")
	out := fs.String("out", "", "")
	detailed := fs.Bool("detailed-exitcode", false, "")
	explain := fs.Bool("explain", false, "")
	refresh := fs.Bool("refresh", false, "")
	var v varFlags
	v.register(fs)
	fs.StringVar(&v.costProfile, "cost-profile", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	path, ok := optionalPath(pos)
	if !ok {
		return c.usageError("plan", "plan takes one PATH, got %d arguments", len(pos))
	}

	ld, diags := c.loadAndPlan(path, &v)
	diags = append(diags, describeBroker(ld.plan)...) // module sizes and memory, in the notes
	if diags.HasErrors() {
		if *jsonOut {
			_ = diagfmt.WriteJSON(c.Stdout, diags, ld.files)
		} else {
			c.showDiags(diags, ld.files)
		}
		return 1
	}
	diags = append(diags, staleSchemaPins(ld.spec)...) // best effort, never fails offline
	plan := ld.plan
	if *refresh {
		diags = append(diags, c.refreshPlan(plan)...)
	}
	c.showDiags(diags, ld.files) // warnings
	if *explain {
		// Planning is deterministic: the same pipeline planned again with
		// explanations gives the same stages, plus the alternatives.
		ex, _ := optimizer.Plan(plan.Pipeline, append(slices.Clone(ld.opts), optimizer.WithExplain())...)
		if ex != nil {
			plan.Explain = ex.Explain
		}
	}

	if *out != "" {
		if err := writePlan(*out, plan); err != nil {
			c.showDiags(diagsOf(errorDiag("Cannot save the plan: %v", err)), nil)
			return 1
		}
	}
	if *jsonOut {
		if code := c.printJSON(plan); code != 0 {
			return code
		}
	} else {
		_ = planfmt.Write(c.Stdout, plan)
		if *out != "" {
			fmt.Fprintf(c.Stdout, "\nSaved the plan to: %s\n\nTo deploy exactly this plan, run:\n  pipeline apply %s\n", *out, *out)
		}
	}
	if *detailed && (hasChanges(plan) || len(plan.Drift) > 0) {
		return 2
	}
	return 0
}

// refreshPlan fills plan.Drift (plan -refresh) from the state beside the
// spec, returning warnings for what could not be asked.
func (c *PlanCommand) refreshPlan(plan *ir.Plan) hcl.Diagnostics {
	st, err := state.Read(state.Dir(plan.SpecPath))
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Cannot refresh", Detail: err.Error()}}
	}
	ctx, stop := c.signalContext()
	defer stop()
	drift, diags := c.refresh(ctx, plan, st)
	plan.Drift = drift
	return diags
}

// hasChanges reports whether applying the plan would change anything: it
// would not when the last apply recorded the same spec (sources and
// variable values) and the same stages (see changesSince).
func hasChanges(p *ir.Plan) bool {
	if p.Changes == nil { // no state, or one that cannot be read
		return len(p.Stages) > 0
	}
	return !p.Changes.Empty()
}

// printJSON prints the plan's redacted JSON encoding.
func (m *Meta) printJSON(p *ir.Plan) int {
	b, err := p.Redacted().Encode()
	if err != nil {
		m.showDiags(diagsOf(errorDiag("Cannot encode the plan: %v", err)), nil)
		return 1
	}
	_, _ = m.Stdout.Write(b)
	return 0
}

// writePlan saves the plan to path with mode 0600, atomically (a reader
// sees the old file or the new one, never a mix), sealed: sensitive values
// are replaced by salted hashes, so a saved plan can be kept as a CI
// artifact; apply takes the values again and checks them.
func writePlan(path string, p *ir.Plan) error {
	sealed, err := p.Sealed(ir.NewSalt())
	if err != nil {
		return err
	}
	b, err := sealed.Encode()
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b, 0o600)
}

// writeFileAtomic replaces path with b (mode perm): a reader sees the old
// file or the new one, never a mix.
func writeFileAtomic(path string, b []byte, perm fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary name would only confuse
		}
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
