// Command mktests writes each Nexmark query's tests.hcl (see package
// testgen). It runs from bench/nexmark: `go generate ./bench/nexmark`.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pipeline-compiler/pipeline/bench/nexmark/internal/testgen"
)

func main() {
	for _, q := range testgen.Queries() {
		b, err := testgen.Render(q)
		if err == nil {
			err = os.WriteFile(filepath.Join(q, "tests.hcl"), b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "mktests:", err)
			os.Exit(1)
		}
	}
}
