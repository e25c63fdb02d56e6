package command

import (
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/planfmt"
)

// GraphCommand prints the planned operator graph for Graphviz or Mermaid.
type GraphCommand struct{ *Meta }

func (c *GraphCommand) Synopsis() string { return "Print the planned operator graph" }

func (c *GraphCommand) Help() string {
	return help("graph [options] [PATH]", `
Plans the spec at PATH (default ".") and prints its operators as a graph:
nodes are operators labelled with kind.name and backend, stages are
clusters (subgraphs), edges carry route output names and are dashed where a
channel moves records between stages.

  pipeline graph examples/orders | dot -Tsvg > orders.svg`,
		append([]string{"-format FORMAT", "dot (default) or mermaid."}, varOptions...)...)
}

func (c *GraphCommand) Run(args []string) int {
	fs := c.newFlagSet("graph")
	format := fs.String("format", planfmt.FormatDOT, "")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	if *format != planfmt.FormatDOT && *format != planfmt.FormatMermaid {
		return c.usageError("graph", "-format must be dot or mermaid, not %q", *format)
	}
	path, ok := optionalPath(pos)
	if !ok {
		return c.usageError("graph", "graph takes one PATH, got %d arguments", len(pos))
	}
	ld, diags := c.loadAndPlan(path, &v)
	c.showDiags(diags, ld.files)
	if diags.HasErrors() {
		return 1
	}
	if *format == planfmt.FormatMermaid {
		_ = planfmt.WriteMermaid(c.Stdout, ld.plan)
	} else {
		_ = planfmt.WriteDOT(c.Stdout, ld.plan)
	}
	return 0
}
