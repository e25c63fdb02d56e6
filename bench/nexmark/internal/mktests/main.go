// Command mktests writes each Nexmark query's tests.hcl and the given
// records they share (see package testgen). It runs from bench/nexmark:
// `go generate ./bench/nexmark`.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pipeline-compiler/pipeline/bench/nexmark/internal/testgen"
)

func main() {
	for _, q := range testgen.Queries() {
		files, err := testgen.Render(q)
		for path, b := range files {
			if err == nil {
				err = os.MkdirAll(filepath.Dir(path), 0o755)
			}
			if err == nil {
				err = os.WriteFile(path, b, 0o644)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "mktests:", err)
			os.Exit(1)
		}
	}
}
