package command

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/ir"
)

// CompileCommand writes every stage's deployable artifact.
type CompileCommand struct{ *Meta }

func (c *CompileCommand) Synopsis() string { return "Write every stage's artifact to a directory" }

func (c *CompileCommand) Help() string {
	return help("compile [options] [PATH]", `
Plans the spec at PATH (default ".") and writes every stage's artifact into
OUTDIR, one directory per stage:

  OUTDIR/STAGE/NAME.wasm        a broker stage's WebAssembly module: the
  OUTDIR/STAGE/transform.yaml   generic transform with the stage placed in
                                it, and rpk's project file, so that
                                "rpk transform deploy" in that directory
                                deploys what apply would
  OUTDIR/STAGE/stage.json       a native or beam stage's spec: the plan cut
                                down to that stage and its channels, with
                                sensitive values redacted

No Go toolchain is needed. Existing files of the same names are replaced.`,
		append([]string{"-o OUTDIR", "Write into OUTDIR (default \"compiled\"), created if missing."}, varOptions...)...)
}

// stageSpecName is the artifact of a stage that is not a broker transform.
const stageSpecName = "stage.json"

// written is one file compile wrote.
type written struct {
	stage, backend, path string
	size                 int64
	note                 string
}

func (c *CompileCommand) Run(args []string) int {
	fs := c.newFlagSet("compile")
	outDir := fs.String("o", "compiled", "")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	path, ok := optionalPath(pos)
	if !ok {
		return c.usageError("compile", "compile takes one PATH, got %d arguments", len(pos))
	}
	ld, diags := c.loadAndPlan(path, &v)
	arts, bdiags := compileBroker(ld.plan)
	diags = append(diags, bdiags...)
	c.showDiags(diags, ld.files)
	if diags.HasErrors() {
		return 1
	}
	plan := ld.plan
	byStage := map[string]*broker.Artifact{}
	for _, a := range arts {
		byStage[a.Stage] = a
	}
	var out []written
	for _, st := range plan.Stages {
		dir := filepath.Join(*outDir, st.ID)
		var files []written
		if a := byStage[st.ID]; a != nil {
			files, err = writeTransform(dir, plan, a)
		} else {
			files, err = writeStageSpec(dir, plan, st)
		}
		if err != nil {
			c.showDiags(diagsOf(errorDiag("Cannot write stage %s: %v", st.ID, err)), nil)
			return 1
		}
		out = append(out, files...)
	}
	stages := "stages"
	if len(plan.Stages) == 1 {
		stages = "stage"
	}
	fmt.Fprintf(c.Stdout, "Compiled %d %s of pipeline %q into %s:\n\n", len(plan.Stages), stages, plan.Pipeline.Name, *outDir)
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	for i, f := range out {
		stage, backend := f.stage, f.backend
		if i > 0 && out[i-1].stage == f.stage {
			stage, backend = "", ""
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", stage, backend, f.path, broker.FormatSize(f.size), f.note)
	}
	_ = tw.Flush()
	return 0
}

// writeTransform writes a broker stage's module and its transform.yaml.
func writeTransform(dir string, p *ir.Plan, a *broker.Artifact) ([]written, error) {
	tf := broker.TransformFile{TransformMetadata: a.Metadata(), Pipeline: p.Pipeline.Name, Stage: a.Stage, MemoryBytes: a.MemoryBytes, SecretEnv: a.SecretEnv()}
	files := []struct {
		name string
		data []byte
		note string
	}{
		{tf.ModuleFile(), a.Module(), fmt.Sprintf("needs %s of memory; sha256 %s", broker.FormatSize(a.MemoryBytes), a.SHA256()[:12])},
		{broker.TransformYAMLName, tf.YAML(), "for rpk transform deploy"},
	}
	var out []written
	for _, f := range files {
		path, err := writeArtifact(dir, f.name, f.data)
		if err != nil {
			return nil, err
		}
		out = append(out, written{stage: a.Stage, backend: ir.BackendBroker, path: path, size: int64(len(f.data)), note: f.note})
	}
	return out, nil
}

// writeStageSpec writes a native or beam stage's spec: the plan with only
// this stage and the channels it reads or writes, sensitive values
// redacted. ir.DecodePlan reads it back.
func writeStageSpec(dir string, p *ir.Plan, st *ir.Stage) ([]written, error) {
	sub := p.Redacted()
	sub.Stages = []*ir.Stage{sub.Stage(st.ID)}
	sub.Channels = nil
	for _, ch := range p.Channels {
		from, _ := ir.StreamOperator(ch.From)
		if p.StageOf(from) == st || p.StageOf(ch.To) == st {
			sub.Channels = append(sub.Channels, ch)
		}
	}
	sub.Explain, sub.SpecPath = nil, ""
	b, err := sub.Encode()
	if err != nil {
		return nil, err
	}
	path, err := writeArtifact(dir, stageSpecName, b)
	if err != nil {
		return nil, err
	}
	return []written{{stage: st.ID, backend: st.Backend, path: path, size: int64(len(b)), note: "stage spec"}}, nil
}

// writeArtifact writes data to dir/name, mode 0600 (dir 0700 when it
// creates it), replacing the file atomically, so that a file an earlier
// compile left with a wider mode does not keep it: a stage's artifact
// names its topics and files and may come to hold more, and only its
// owner deploys it.
func writeArtifact(dir, name string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		return "", err
	}
	return path, nil
}
