package command

import (
	"flag"
	"fmt"
	"strings"
)

// stringList is a repeatable string flag (-var a=1 -var b=2).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// newFlagSet returns a flag set that reports errors on m.Stderr with a hint
// to the command's help instead of a full usage dump.
func (m *Meta) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(m.Stderr, "Run \"pipeline %s -help\" for usage.\n", name)
	}
	return fs
}

// parse parses args, allowing flags after positional arguments (plan DIR
// -json) as well as before; "--" ends flags. A lone "-" is an argument.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// flag.Parse stops at the first non-flag, or consumes "--".
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageError reports wrong arguments in one line plus the help hint.
func (m *Meta) usageError(name, format string, args ...any) int {
	fmt.Fprintf(m.Stderr, "error: %s\n", fmt.Sprintf(format, args...))
	fmt.Fprintf(m.Stderr, "Run \"pipeline %s -help\" for usage.\n", name)
	return 1
}
