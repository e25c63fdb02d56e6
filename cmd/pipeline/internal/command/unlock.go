package command

import (
	"fmt"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
)

// ForceUnlockCommand releases a state lock whose holder is stuck.
type ForceUnlockCommand struct{ *Meta }

func (c *ForceUnlockCommand) Synopsis() string { return "Release a stuck state lock" }

func (c *ForceUnlockCommand) Help() string {
	return help("force-unlock [options] ID [PATH]", `
Releases the lock on the state of the spec at PATH (default ".") that ID
names: the ID a command refused with "the state is locked" printed. The
lock is released by itself when its holder exits, however it exits; use
this only for a holder that is stuck, or on a shared file system whose
host is gone. The holder is not stopped: if it still runs, it may still
write the state.`,
		"-force", "Do not ask for confirmation.")
}

func (c *ForceUnlockCommand) Run(args []string) int {
	fs := c.newFlagSet("force-unlock")
	force := fs.Bool("force", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	if len(pos) < 1 || len(pos) > 2 {
		return c.usageError("force-unlock", "force-unlock takes a lock ID and an optional PATH, got %d arguments", len(pos))
	}
	path, _ := optionalPath(pos[1:])
	dir := state.Dir(path)
	h, err := state.ReadHolder(dir)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot force-unlock: %v", err)), nil)
		return 1
	}
	if !*force && h != nil && h.ID == pos[0] {
		fmt.Fprintf(c.Stdout, "The state lock is %s.\n", h)
		ok, err := c.confirm("force-unlock", "Release it? The holder is not stopped.")
		if err != nil {
			c.showDiags(diagsOf(errorDiag("%v (or -force)", err)), nil)
			return 1
		}
		if !ok {
			fmt.Fprintln(c.Stdout, "\nForce-unlock cancelled.")
			return 1
		}
	}
	if h, err = state.ForceUnlock(dir, pos[0]); err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot force-unlock: %v", err)), nil)
		return 1
	}
	fmt.Fprintf(c.Stdout, "Released the state lock %s (it was held by %q, pid %d on %s).\n", h.ID, h.Command, h.PID, h.Host)
	return 0
}
