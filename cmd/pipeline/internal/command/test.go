package command

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestCommand runs a spec's test blocks.
type TestCommand struct{ *Meta }

func (c *TestCommand) Synopsis() string { return "Run the test blocks of one or more specs" }

func (c *TestCommand) Help() string {
	return help("test [options] [PATH...]", `
Runs every test block of the specs at PATH (default "."). A PATH ending in
"/..." means every spec directory below it, as with go test. Each test feeds
its given records through the pipeline and compares what reaches each
expected stream as a multiset after JSON normalization; a failure prints a
diff. Exits 1 when a test fails or a spec does not load.`,
		append([]string{
			"-run REGEXP", "Run only the tests whose name matches REGEXP.",
			"-backend NAME", "Run the tests on this backend (default native). Tests that cover an operator the backend cannot host are skipped.",
			"-v", "Print every test, not only failures.",
		}, varOptions...)...)
}

func (c *TestCommand) Run(args []string) int {
	fs := c.newFlagSet("test")
	runPattern := fs.String("run", "", "")
	backend := fs.String("backend", "native", "")
	verbose := fs.Bool("v", false, "")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	be := c.backends().Get(*backend)
	if be == nil {
		return c.usageError("test", "-backend %q: this build runs tests on %s", *backend, strings.Join(backendNames(), ", "))
	}
	var runOpts []testrun.Option
	if r := be.TestRunner(); r != nil {
		runOpts = append(runOpts, testrun.WithRunner(r))
	}
	var filter *regexp.Regexp
	if *runPattern != "" {
		if filter, err = regexp.Compile(*runPattern); err != nil {
			return c.usageError("test", "-run: %v", err)
		}
	}
	if len(pos) == 0 {
		pos = []string{"."}
	}
	var dirs []string
	for _, p := range pos {
		ds, err := expandSpecPattern(p)
		if err != nil {
			c.showDiags(diagsOf(fileError(strings.TrimSuffix(p, "/..."), err)), nil)
			return 1
		}
		dirs = append(dirs, ds...)
	}

	passed, failed, skipped, broken := 0, 0, 0, 0
	for _, dir := range dirs {
		ld, diags := c.loadAndPlan(dir, &v)
		c.showDiags(diags, ld.files)
		if diags.HasErrors() {
			fmt.Fprintf(c.Stdout, "FAIL\t%s\t[does not load]\n", dir)
			broken++
			continue
		}
		start := time.Now()
		results, err := testrun.RunAll(ld.spec, filter, runOpts...)
		if err != nil {
			fmt.Fprintf(c.Stdout, "FAIL\t%s\t%v\n", dir, err)
			broken++
			continue
		}
		dirFailed := 0
		for _, r := range results {
			if r.Skipped != "" {
				skipped++
				if *verbose {
					fmt.Fprintf(c.Stdout, "--- SKIP: %s (%s)\n", r.Test, r.Skipped)
				}
				continue
			}
			if r.Passed {
				passed++
				if *verbose {
					fmt.Fprintf(c.Stdout, "--- PASS: %s\n", r.Test)
				}
				continue
			}
			failed++
			dirFailed++
			fmt.Fprintf(c.Stdout, "--- FAIL: %s\n", r.Test)
			for _, f := range r.Failures {
				fmt.Fprintf(c.Stdout, "    %s (-want +got):\n%s\n", f.Target, indent(f.Diff, "        "))
			}
			for _, d := range r.DeadLetters {
				fmt.Fprintf(c.Stdout, "    dead letter from %s (%s): %s\n", d.Operator, d.Reason, d.Err)
			}
		}
		status := "ok  "
		if dirFailed > 0 {
			status = "FAIL"
		}
		fmt.Fprintf(c.Stdout, "%s\t%s\t%d tests\t%.3fs\n", status, dir, len(results), time.Since(start).Seconds())
	}
	if skipped > 0 {
		fmt.Fprintf(c.Stdout, "\n%d passed, %d failed, %d skipped (%s cannot host them; -v says why)\n", passed, failed+broken, skipped, *backend)
	} else {
		fmt.Fprintf(c.Stdout, "\n%d passed, %d failed\n", passed, failed+broken)
	}
	if failed+broken > 0 {
		return 1
	}
	return 0
}

// expandSpecPattern turns "dir/..." into every directory below dir that
// holds .hcl files, sorted; any other path is returned as is.
func expandSpecPattern(p string) ([]string, error) {
	root, ok := strings.CutSuffix(p, "/...")
	if !ok {
		if _, err := os.Stat(p); err != nil {
			return nil, err
		}
		return []string{p}, nil
	}
	if root == "" {
		root = "."
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".hcl") {
			seen[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no .hcl files below %s: %w", root, fs.ErrNotExist)
	}
	return dirs, nil
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
