package command

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/pipeline-compiler/pipeline/ir"
)

// VersionCommand prints the CLI's version.
type VersionCommand struct{ *Meta }

func (c *VersionCommand) Synopsis() string { return "Print the pipeline version" }

func (c *VersionCommand) Help() string {
	return help("version [-json]", "Prints the version of pipeline and of the plan format it reads.",
		"-json", "Print the version as JSON.")
}

func (c *VersionCommand) Run(args []string) int {
	fs := c.newFlagSet("version")
	jsonOut := fs.Bool("json", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	if len(pos) > 0 {
		return c.usageError("version", "version takes no arguments")
	}
	if *jsonOut {
		b, _ := json.MarshalIndent(map[string]string{
			"version":             c.Version,
			"plan_format_version": ir.FormatVersion,
			"go_version":          runtime.Version(),
		}, "", "  ")
		fmt.Fprintf(c.Stdout, "%s\n", b)
		return 0
	}
	fmt.Fprintf(c.Stdout, "pipeline %s\nplan format %s, %s\n", c.Version, ir.FormatVersion, runtime.Version())
	return 0
}
