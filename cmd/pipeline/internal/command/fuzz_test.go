package command

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadPlanRender runs plan (load, plan, render diagnostics or the plan)
// and validate -json over arbitrary spec text: no input may crash or hang
// the CLI, exit with anything but 0 or 1, or make output grow out of
// proportion to the input (issue 17).
func FuzzLoadPlanRender(f *testing.F) {
	for _, s := range []string{
		strings.Repeat("(", 100000),
		"pipeline \"p\" {}\nlocals {\n  x = " + strings.Repeat(`"${`, 50000) + "\n}\n",
		"pipeline \"p\" {}\nlocals {\n  x = " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n}\n",
		"pipeline \"p\" {}\nlocals {\n  x = lookup(",
		strings.Repeat("\x00", 20000),
		"pipeline \"p\" {}\n# " + strings.Repeat("x", 50000) + "\nlocals { x = 1 +  }\n",
		string(manyVars(2000)),
		string(manyVars(4000)),
		alternatingChain(20),
		// Deep nesting of calls and an operator chain, just past and well
		// within the nesting limit.
		"pipeline \"p\" {}\nlocals {\n  x = " + strings.Repeat("lower(", 2000) + "\"A\"" + strings.Repeat(")", 2000) + "\n}\n",
		"pipeline \"p\" {}\nlocals {\n  x = " + strings.Repeat("lower(", 200) + "\"A\"" + strings.Repeat(")", 200) + "\n}\n",
		"pipeline \"p\" {}\nlocals {\n  x = " + strings.Repeat("true && ", 10000) + "true\n}\n",
		// Long lines: one huge literal, and one line full of bad tokens.
		"pipeline \"p\" {}\nlocals {\n  x = \"" + strings.Repeat("y", 200000) + "\"\n}\n",
		"pipeline \"p\" {}\nlocals {\n  x = " + strings.Repeat("@", 10000) + "\n}\n",
	} {
		f.Add([]byte(s))
	}
	for _, glob := range []string{"../../../../examples/*/main.hcl", "testdata/*/*.hcl"} {
		names, _ := filepath.Glob(glob)
		for _, name := range names {
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), src, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"plan", dir}, {"validate", "-json", dir}} {
			var out, errb bytes.Buffer
			code := Run(args, &Meta{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Env: []string{"HOME=/nonexistent"}})
			if code != 0 && code != 1 {
				t.Fatalf("%v exited %d\n%s", args, code, errb.String())
			}
			// Diagnostics are cut around their range (and capped in text);
			// a plan is proportional to the spec. JSON lists every
			// diagnostic, about 1 KB each, at most one per byte.
			if limit := 2000*len(src) + 1<<20; out.Len()+errb.Len() > limit {
				t.Fatalf("%v printed %d bytes for %d bytes of spec", args, out.Len()+errb.Len(), len(src))
			}
		}
	})
}

func manyVars(n int) []byte {
	var b strings.Builder
	b.WriteString("pipeline \"p\" {}\n")
	for i := range n {
		fmt.Fprintf(&b, "variable \"v%d\" {\n  default = %d\n}\n", i, i)
	}
	return []byte(b.String())
}
