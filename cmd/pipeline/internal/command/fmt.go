package command

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/internal/fsread"
	"github.com/pipeline-compiler/pipeline/lang"
)

// FmtCommand rewrites spec files in the canonical style.
type FmtCommand struct{ *Meta }

func (c *FmtCommand) Synopsis() string { return "Rewrite spec files in the canonical style" }

func (c *FmtCommand) Help() string {
	return help("fmt [options] [PATH...]", `
Rewrites .hcl files in the canonical style. PATH is a file or a directory
(default "."); "-" reads stdin and writes the formatted text to stdout.
Files that change are listed on stdout.

Exit status: 0 when all is well, 1 on errors (unreadable file, syntax error),
3 with -check when some input is not formatted (as terraform fmt -check).`,
		"-check", "Do not write; exit 3 if any input needs formatting.",
		"-diff", "Print a unified diff of the changes.",
		"-recursive", "Also format files in subdirectories.",
		"-write=false", "Do not write files (default true; implied by -check).",
	)
}

// exitNeedsFormat is fmt -check's exit status when input is not formatted.
const exitNeedsFormat = 3

func (c *FmtCommand) Run(args []string) int {
	fs := c.newFlagSet("fmt")
	check := fs.Bool("check", false, "")
	diff := fs.Bool("diff", false, "")
	recursive := fs.Bool("recursive", false, "")
	write := fs.Bool("write", true, "")
	paths, err := parse(fs, args)
	if err != nil {
		return 1
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	if *check {
		*write = false
	}

	if len(paths) == 1 && paths[0] == "-" {
		return c.formatStdin(*check, *diff)
	}

	failed, changed := false, false
	for _, p := range paths {
		if p == "-" {
			return c.usageError("fmt", `"-" (stdin) cannot be combined with other paths`)
		}
		files, err := specFiles(p, *recursive)
		if err != nil {
			c.showDiags(diagsOf(fileError(p, err)), nil)
			failed = true
			continue
		}
		for _, f := range files {
			ch, ok := c.formatFile(f, *write, *diff)
			changed = changed || ch
			failed = failed || !ok
		}
	}
	switch {
	case failed:
		return 1
	case *check && changed:
		return exitNeedsFormat
	}
	return 0
}

// formatFile formats one file; it reports whether the file changed (or would
// change) and whether all went well.
func (c *FmtCommand) formatFile(path string, write, diff bool) (changed, ok bool) {
	src, err := fsread.ReadFile(path, 0)
	if err != nil {
		c.showDiags(diagsOf(fileError(path, err)), nil)
		return false, false
	}
	out, ok := c.format(path, src)
	if !ok || bytes.Equal(src, out) {
		return false, ok
	}
	fmt.Fprintln(c.Stdout, path)
	if diff {
		io.WriteString(c.Stdout, unifiedDiff(path, src, out))
	}
	if write {
		info, err := os.Stat(path)
		if err != nil {
			c.showDiags(diagsOf(fileError(path, err)), nil)
			return true, false
		}
		if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
			c.showDiags(diagsOf(errorDiag("Cannot write %s: %v", path, err)), nil)
			return true, false
		}
	}
	return true, true
}

func (c *FmtCommand) formatStdin(check, diff bool) int {
	in := c.Stdin
	if in == nil {
		in = strings.NewReader("")
	}
	src, err := io.ReadAll(in)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot read stdin: %v", err)), nil)
		return 1
	}
	out, ok := c.format("<stdin>", src)
	if !ok {
		return 1
	}
	changed := !bytes.Equal(src, out)
	switch {
	case diff:
		if changed {
			io.WriteString(c.Stdout, unifiedDiff("<stdin>", src, out))
		}
	case !check:
		c.Stdout.Write(out)
	}
	if check && changed {
		return exitNeedsFormat
	}
	return 0
}

// format returns src in canonical style. lang.FormatFile refuses text that
// does not parse (formatting it could mangle it); its diagnostics are shown
// with their source lines.
func (c *FmtCommand) format(name string, src []byte) ([]byte, bool) {
	out, diags := lang.FormatFile(name, src)
	if diags.HasErrors() {
		c.showDiags(diags, map[string]*hcl.File{name: {Bytes: src}})
		return nil, false
	}
	return out, true
}

// specFiles lists the .hcl files at path: the file itself, or the .hcl
// files in the directory (and, with recursive, its subdirectories, skipping
// hidden ones), sorted.
func specFiles(path string, recursive bool) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".hcl") && d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}
