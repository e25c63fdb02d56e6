package command

import (
	"fmt"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/hashicorp/cli"
)

// registry lists the subcommands. Adding a command is one line here.
var registry = []struct {
	name string
	new  func(*Meta) cli.Command
}{
	{"validate", func(m *Meta) cli.Command { return &ValidateCommand{m} }},
	{"fmt", func(m *Meta) cli.Command { return &FmtCommand{m} }},
	{"plan", func(m *Meta) cli.Command { return &PlanCommand{m} }},
	{"calibrate", func(m *Meta) cli.Command { return &CalibrateCommand{m} }},
	{"show", func(m *Meta) cli.Command { return &ShowCommand{m} }},
	{"graph", func(m *Meta) cli.Command { return &GraphCommand{m} }},
	{"apply", func(m *Meta) cli.Command { return &ApplyCommand{m} }},
	{"compile", func(m *Meta) cli.Command { return &CompileCommand{m} }},
	{"destroy", func(m *Meta) cli.Command { return &DestroyCommand{m} }},
	{"force-unlock", func(m *Meta) cli.Command { return &ForceUnlockCommand{m} }},
	{"run", func(m *Meta) cli.Command { return &RunCommand{m} }},
	{"replay", func(m *Meta) cli.Command { return &ReplayCommand{m} }},
	{"worker", func(m *Meta) cli.Command { return &WorkerCommand{m} }},
	{"status", func(m *Meta) cli.Command { return &StatusCommand{m} }},
	{"test", func(m *Meta) cli.Command { return &TestCommand{m} }},
	{"schemas", func(m *Meta) cli.Command { return &SchemasCommand{m} }},
	{"version", func(m *Meta) cli.Command { return &VersionCommand{m} }},
}

// Commands returns the command factories for hashicorp/cli.
func Commands(m *Meta) map[string]cli.CommandFactory {
	out := make(map[string]cli.CommandFactory, len(registry))
	for _, c := range registry {
		out[c.name] = func() (cli.Command, error) { return c.new(m), nil }
	}
	return out
}

// Run runs the CLI with args (without the program name) and returns the exit
// status. A panic anywhere below is reported as one line, not a stack trace,
// unless PIPELINE_DEBUG is set in m.Env.
func Run(args []string, m *Meta) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(m.Stderr, "error: internal error: %v\n", r)
			if m.getenv("PIPELINE_DEBUG") != "" {
				m.Stderr.Write(debug.Stack())
			} else {
				fmt.Fprintln(m.Stderr, "This is a bug in pipeline; set PIPELINE_DEBUG=1 to see where it happened.")
			}
			code = 1
		}
	}()
	c := &cli.CLI{
		Name:        "pipeline",
		Args:        args,
		Version:     "pipeline " + m.Version,
		Commands:    Commands(m),
		HelpFunc:    helpFunc,
		HelpWriter:  m.Stdout,
		ErrorWriter: m.Stderr,
	}
	code, err := c.Run()
	if err != nil {
		fmt.Fprintf(m.Stderr, "error: %v\n", err)
		return 1
	}
	return code
}

// helpFunc is the top-level help: usage and the commands, written with the
// one-dash flags the docs use.
func helpFunc(commands map[string]cli.CommandFactory) string {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Usage: pipeline [-version] [-help] <command> [args]\n\n")
	b.WriteString("Compiles HCL pipeline specs into plans placed on the broker, native and beam backends.\n\nCommands:\n")
	for _, name := range names {
		synopsis := ""
		if c, err := commands[name](); err == nil {
			synopsis = c.Synopsis()
		}
		fmt.Fprintf(&b, "  %-10s %s\n", name, synopsis)
	}
	b.WriteString("\nRun \"pipeline <command> -help\" for a command's options.")
	return b.String()
}

// help formats a command's help text: usage line, description, options.
func help(usage, description string, options ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: pipeline %s\n\n", usage)
	b.WriteString(strings.TrimSpace(description))
	b.WriteString("\n")
	if len(options) > 0 {
		b.WriteString("\nOptions:\n\n")
		for i := 0; i+1 < len(options); i += 2 {
			fmt.Fprintf(&b, "  %-22s %s\n", options[i], options[i+1])
		}
	}
	return b.String()
}

var varOptions = []string{
	"-var NAME=VALUE", "Set a variable; repeatable, later wins.",
	"-var-file FILE", "Read variable values from an .hcl file; repeatable.",
}
