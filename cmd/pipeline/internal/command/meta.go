package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/backends/beam/beamclient"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/diagfmt"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/optimizer"
)

// Meta is what every command shares: where to write, what to read, the
// environment, and the spec loader.
type Meta struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
	// Env is the environment in os.Environ form, passed to lang for
	// PIPELINE_VAR_* and env().
	Env []string
	// Version is the CLI's version string.
	Version string
	// Load loads a spec; nil means lang.Load. Tests substitute it.
	Load func(path string, opts lang.Options) (*lang.Result, hcl.Diagnostics)
	// BeamLocator finds pipeline-beam; nil means the process-wide one,
	// which looks once. Tests substitute a fake binary.
	BeamLocator *beamclient.Locator
	// Interrupts answers SIGINT and SIGTERM for the process (main sets
	// it); nil leaves signals to the commands' contexts.
	Interrupts *Interrupts
}

// getenv looks a variable up in m.Env.
func (m *Meta) getenv(key string) string {
	for _, kv := range m.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// errorDiag is a diagnostic with no source range, for problems outside the
// spec (a missing path, an unreadable plan file).
func errorDiag(format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf(format, args...)}
}

// fileError turns a file system error into one clear sentence.
func fileError(path string, err error) *hcl.Diagnostic {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errorDiag("No such file or directory: %s", path)
	case errors.Is(err, fs.ErrPermission):
		return errorDiag("Permission denied: %s", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return errorDiag("Cannot read %s: %v", path, err)
}

// showDiags renders diagnostics for people on stderr.
func (m *Meta) showDiags(diags hcl.Diagnostics, files map[string]*hcl.File) {
	if len(diags) == 0 {
		return
	}
	_ = diagfmt.Write(m.Stderr, diags, files)
}

// varFlags are the flags that set variables: -var and -var-file; and the
// cost profile that prices the backends (-cost-profile, on the commands
// that register it; otherwise the one beside the spec, if any).
type varFlags struct {
	vars        stringList
	varFiles    stringList
	costProfile string
}

// register adds -var and -var-file to fs.
func (v *varFlags) register(fs *flag.FlagSet) {
	fs.Var(&v.vars, "var", "")
	fs.Var(&v.varFiles, "var-file", "")
}

// optionalPath is the one PATH argument of a command that defaults to the
// working directory; ok is false when there are more.
func optionalPath(pos []string) (path string, ok bool) {
	switch len(pos) {
	case 0:
		return ".", true
	case 1:
		return pos[0], true
	}
	return "", false
}

func (v *varFlags) options(m *Meta) lang.Options {
	return lang.Options{Vars: v.vars, VarFiles: v.varFiles, Env: m.Env}
}

// loaded is a spec loaded and planned.
type loaded struct {
	files map[string]*hcl.File
	plan  *ir.Plan // nil when there are errors
	// spec is the pipeline as the spec states it, before the optimizer's
	// rewrites: tests run against it, so a test may expect records on any
	// stream the spec names.
	spec *ir.Pipeline
	// opts are the options the plan was made with: planning again with
	// them (plan -explain) prices the backends the same way.
	opts []optimizer.Option
}

// loadSpec loads the spec at path. Problems come back as diagnostics,
// including a missing path or var file; res.Pipeline is set when there are
// no errors.
func (m *Meta) loadSpec(path string, v *varFlags) (res *lang.Result, files map[string]*hcl.File, diags hcl.Diagnostics) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, hcl.Diagnostics{fileError(path, err)}
	}
	for _, f := range v.varFiles {
		if _, err := os.Stat(f); err != nil {
			return nil, nil, hcl.Diagnostics{fileError(f, err)}
		}
	}
	load := m.Load
	if load == nil {
		load = lang.Load
	}
	res, diags = load(path, v.options(m))
	if res != nil {
		files = res.Files
	}
	if diags.HasErrors() || res == nil || res.Pipeline == nil {
		if !diags.HasErrors() {
			diags = append(diags, errorDiag("The spec at %s produced no pipeline", path))
		}
		return nil, files, diags
	}
	return res, files, diags
}

// loadAndPlan loads the spec at path and plans it with the cost profile
// v names or the one beside the spec, and compares the plan with the last
// apply's state. Problems come back as diagnostics.
func (m *Meta) loadAndPlan(path string, v *varFlags) (*loaded, hcl.Diagnostics) {
	out := &loaded{}
	res, files, diags := m.loadSpec(path, v)
	out.files = files
	if res == nil {
		return out, diags
	}
	resolveFiles(res.Pipeline, path)
	// Each backend checks its own block's settings (validate shows them).
	be := m.backends()
	if diags = append(diags, be.Validate(res.Pipeline)...); diags.HasErrors() {
		return out, diags
	}
	prof, pdiags := readProfile(path, v.costProfile)
	out.files = prof.addSource(out.files) // for the carets of its diagnostics
	if diags = append(diags, pdiags...); diags.HasErrors() {
		return out, diags
	}
	out.opts = append(be.PlanOptions(res.Pipeline, prof.profile), optimizer.WithSpecHash(res.SpecHash))
	// An unreadable state is refused, never taken for "nothing applied":
	// apply would overwrite it, forgetting what runs (destroy refuses too).
	st, err := state.Read(state.Dir(path))
	if err != nil {
		d := errorDiag("Cannot use the state of the last apply: %v", err)
		d.Detail = "Plan and apply compare the spec with what the last apply deployed. Restore the file from a backup, or move it away if nothing it records is deployed any more."
		return out, append(diags, d)
	}
	plan, pdiags := optimizer.Plan(res.Pipeline, out.opts...)
	diags = append(diags, pdiags...)
	if !diags.HasErrors() {
		plan.SpecPath = path
		plan.CostProfile = prof.ref
		diags = append(diags, applyMoved(plan.Pipeline, st)...)
		renameChannels(plan)
		if st != nil {
			plan.StateSerial = st.Serial
			plan.Changes = changesSince(plan, st)
		}
		plan.StateChanges = stateChanges(plan, st)
		if diags.HasErrors() {
			return out, diags
		}
		out.plan = plan
		out.spec = res.Pipeline
	}
	return out, diags
}

// resolveFiles makes relative file source and sink paths relative to the
// working directory instead of the spec: a spec says file = "data/x.jsonl"
// meaning beside itself, wherever pipeline is run from.
func resolveFiles(p *ir.Pipeline, specPath string) {
	dir := specPath
	if st, err := os.Stat(specPath); err == nil && !st.IsDir() {
		dir = filepath.Dir(specPath)
	}
	fix := func(f *string) {
		if *f != "" && !filepath.IsAbs(*f) {
			*f = filepath.Join(dir, *f)
		}
	}
	for _, op := range p.Operators {
		if op.Source != nil {
			fix(&op.Source.File)
		}
		if op.Sink != nil {
			fix(&op.Sink.File)
		}
	}
}
