package command

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/planfmt"
	"github.com/pipeline-compiler/pipeline/internal/fsread"
	"github.com/pipeline-compiler/pipeline/ir"
)

// ShowCommand prints a saved plan.
type ShowCommand struct{ *Meta }

func (c *ShowCommand) Synopsis() string { return "Show a saved plan" }

func (c *ShowCommand) Help() string {
	return help("show [-json] FILE", `
Prints the plan saved by "pipeline plan -out FILE", as plan prints it.`,
		"-json", "Print the plan as JSON with sensitive values redacted.")
}

func (c *ShowCommand) Run(args []string) int {
	fs := c.newFlagSet("show")
	jsonOut := fs.Bool("json", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	if len(pos) != 1 {
		return c.usageError("show", "show takes one plan FILE, got %d arguments", len(pos))
	}
	plan, d := readPlan(pos[0])
	if d != nil {
		c.showDiags(diagsOf(d), nil)
		return 1
	}
	if *jsonOut {
		return c.printJSON(plan)
	}
	_ = planfmt.Write(c.Stdout, plan.Redacted())
	return 0
}

// readPlan reads a plan file written by plan -out.
func readPlan(path string) (*ir.Plan, *hcl.Diagnostic) {
	b, err := fsread.ReadFile(path, 0)
	if err != nil {
		return nil, fileError(path, err)
	}
	p, err := ir.DecodePlan(b)
	if err != nil {
		return nil, errorDiag("%s is not a plan file: %v", path, err)
	}
	return p, nil
}

func diagsOf(d ...*hcl.Diagnostic) hcl.Diagnostics { return d }
