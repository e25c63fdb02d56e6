package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/internal/fsread"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
)

// CalibrateCommand measures what each operator kind costs on each backend
// on this machine and writes a cost profile for plan.
type CalibrateCommand struct{ *Meta }

// defaultCalibration is how long calibrate measures each operator kind.
const defaultCalibration = 500 * time.Millisecond

func (c *CalibrateCommand) Synopsis() string {
	return "Measure operator costs on this machine into a cost profile"
}

func (c *CalibrateCommand) Help() string {
	return help("calibrate [options] [PATH]", `
Runs short micro-benchmarks of each operator kind the spec at PATH (default
".") uses (source decode, filter, map, route, join, dedupe, aggregate, sink
encode) on every backend that can measure itself on this machine, using the
spec's own operators fed synthetic records generated from their schemas,
and writes the CPU cost per record of each into a cost profile:
cost-profile.json beside the spec unless -cost-profile says otherwise.
Backends that cannot be measured yet keep their built-in costs.

The profile is small, deterministic JSON meant to be checked in next to the
spec. plan and apply use the profile beside the spec when there is one, say
which profile they used, and apply refuses a saved plan made with another.`,
		append([]string{
			"-cost-profile FILE", "Write the profile to FILE instead of " + costprofile.DefaultFile + " beside the spec.",
			"-duration D", fmt.Sprintf("Measure each operator kind for D (default %s).", defaultCalibration),
		}, varOptions...)...)
}

func (c *CalibrateCommand) Run(args []string) int {
	fs := c.newFlagSet("calibrate")
	out := fs.String("cost-profile", "", "")
	duration := fs.Duration("duration", defaultCalibration, "")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	path, ok := optionalPath(pos)
	if !ok {
		return c.usageError("calibrate", "calibrate takes one PATH, got %d arguments", len(pos))
	}
	if *duration <= 0 {
		return c.usageError("calibrate", "-duration must be positive, not %s", *duration)
	}
	res, files, diags := c.loadSpec(path, &v)
	c.showDiags(diags, files)
	if res == nil {
		return 1
	}
	if *out == "" {
		*out = defaultProfilePath(path)
	}

	ctx, stop := c.signalContext()
	defer stop()
	machine := costprofile.ThisMachine()
	prof := &costprofile.Profile{
		FormatVersion: costprofile.FormatVersion,
		Pipeline:      res.Pipeline.Name,
		MeasuredAt:    time.Now().UTC().Format(time.RFC3339),
		Machine:       machine,
		Duration:      duration.String(),
		Backends:      map[string]costprofile.Measurements{},
	}
	fmt.Fprintf(c.Stdout, "Calibrating %s on this machine (%d cores, %s/%s, %s), %s per operator kind.\n",
		path, machine.Cores, machine.GOOS, machine.GOARCH, machine.GoVersion, duration)
	for _, b := range c.backends().All() {
		name := b.Name()
		if name != ir.BackendNative && res.Pipeline.Backend(name) == nil {
			// Only enabled backends are candidates for placement.
			fmt.Fprintf(c.Stdout, "\n%s: not enabled in the spec (add backend %q {} to place and calibrate it)\n", name, name)
			continue
		}
		fmt.Fprintf(c.Stdout, "\n%s:\n", name)
		ms, err := b.Calibrate(ctx, res.Pipeline, costprofile.Calibration{
			Duration: *duration,
			Started: func(kind ir.Kind, op string) {
				fmt.Fprintf(c.Stdout, "  %-10s %-28s ", kind, op)
			},
			Measured: func(_ ir.Kind, m costprofile.Measurement) {
				fmt.Fprintf(c.Stdout, "%9.1f ns/record (%d records)\n", m.NsPerRecord, m.Records)
			},
		})
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintln(c.Stdout)
				c.showDiags(diagsOf(errorDiag("Calibration interrupted; %s was not written", *out)), nil)
				return 1
			}
			fmt.Fprintf(c.Stdout, "\n%s: not calibrated (%v); it keeps its built-in costs\n", name, err)
			continue
		}
		if len(ms) > 0 {
			prof.Backends[name] = ms
		}
	}
	data, err := prof.Encode()
	if err == nil {
		err = writeFileAtomic(*out, data, 0o644)
	}
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot write the cost profile: %v", err)), nil)
		return 1
	}
	fmt.Fprintf(c.Stdout, "\nWrote %s. Check it in beside the spec: plan and apply use it", *out)
	if *out != defaultProfilePath(path) {
		fmt.Fprintf(c.Stdout, " when given -cost-profile %s", *out)
	}
	fmt.Fprintln(c.Stdout, ".")
	return 0
}

// defaultProfilePath is where plan looks for the spec's cost profile.
func defaultProfilePath(specPath string) string {
	dir := specPath
	if st, err := os.Stat(specPath); err == nil && !st.IsDir() {
		dir = filepath.Dir(specPath)
	}
	return filepath.Join(dir, costprofile.DefaultFile)
}

// profileFile is the cost profile a plan is made with; all zero for the
// built-in defaults.
type profileFile struct {
	profile *costprofile.Profile
	ref     *ir.CostProfile
	src     []byte // the file's contents, also when it is invalid
	name    string
}

// addSource adds the profile's text to files, so diagnostics about it show
// the offending line.
func (f profileFile) addSource(files map[string]*hcl.File) map[string]*hcl.File {
	if f.src == nil {
		return files
	}
	if files == nil {
		files = map[string]*hcl.File{}
	}
	files[f.name] = &hcl.File{Bytes: f.src}
	return files
}

// readProfile reads the cost profile named by -cost-profile (file), or the
// one beside the spec at specPath when there is one.
func readProfile(specPath, file string) (profileFile, hcl.Diagnostics) {
	explicit := file != ""
	if !explicit {
		file = defaultProfilePath(specPath)
	}
	src, err := fsread.ReadFile(file, 0)
	switch {
	case !explicit && errors.Is(err, fs.ErrNotExist):
		return profileFile{}, nil
	case err != nil:
		return profileFile{}, hcl.Diagnostics{fileError(file, err)}
	}
	f := profileFile{src: src, name: file}
	p, diags := costprofile.Parse(file, src, backendNames())
	if diags.HasErrors() {
		return f, diags
	}
	f.profile, f.ref = p, p.Ref(file, src)
	return f, nil
}

// checkProfileStale refuses a saved plan made with another cost profile
// than planning would use now: the one given with -cost-profile (file),
// else the one beside the spec.
func checkProfileStale(p *ir.Plan, file string) hcl.Diagnostics {
	if file == "" && p.CostProfile != nil {
		file = p.CostProfile.File // the plan's own, if it still reads the same
	}
	now, diags := readProfile(p.SpecPath, file)
	if diags.HasErrors() {
		return hcl.Diagnostics{errorDiag("Saved plan is stale: its cost profile %s cannot be read; run plan again", file)}
	}
	switch was := p.CostProfile; {
	case was == nil && now.ref == nil:
		return nil
	case was == nil:
		return hcl.Diagnostics{errorDiag("Saved plan is stale: it was made with the built-in costs, and the cost profile %s now applies; run plan again", now.ref.File)}
	case now.ref == nil:
		return hcl.Diagnostics{errorDiag("Saved plan is stale: it was made with the cost profile %s, which no longer applies; run plan again", was.File)}
	case now.ref.Hash != was.Hash:
		return hcl.Diagnostics{errorDiag("Saved plan is stale: it was made with the cost profile %s (%s), and %s (%s) applies now; run plan again",
			was.File, was.Hash, now.ref.File, now.ref.Hash)}
	}
	return nil
}
