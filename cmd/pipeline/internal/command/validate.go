package command

import (
	"fmt"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/diagfmt"
)

// ValidateCommand checks a spec: syntax, references, types, and whether its
// backend pins can be obeyed.
type ValidateCommand struct{ *Meta }

func (c *ValidateCommand) Synopsis() string { return "Check whether a pipeline spec is valid" }

func (c *ValidateCommand) Help() string {
	return help("validate [options] [PATH]", `
Checks the spec at PATH (a directory of .hcl files or one file; default ".")
without touching any broker: syntax, references, types, and whether every
backend pin can be obeyed. Exits 1 when there are errors.`,
		append([]string{"-json", "Print diagnostics as JSON (format_version 1.0) on stdout."}, varOptions...)...)
}

func (c *ValidateCommand) Run(args []string) int {
	fs := c.newFlagSet("validate")
	jsonOut := fs.Bool("json", false, "")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	path, ok := optionalPath(pos)
	if !ok {
		return c.usageError("validate", "validate takes one PATH, got %d arguments", len(pos))
	}

	ld, diags := c.loadAndPlan(path, &v)
	if *jsonOut {
		if err := diagfmt.WriteJSON(c.Stdout, diags, ld.files); err != nil {
			fmt.Fprintf(c.Stderr, "error: %v\n", err)
			return 1
		}
	} else {
		c.showDiags(diags, ld.files)
	}
	if diags.HasErrors() {
		return 1
	}
	if !*jsonOut {
		fmt.Fprintln(c.Stdout, "Success! The pipeline is valid.")
	}
	return 0
}
