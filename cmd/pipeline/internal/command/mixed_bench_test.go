package command

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// BenchmarkPlanMixed1000 is `pipeline plan -json` in process on issue 15's
// 1,000-operator spec (testkit.MixedSpec), for profiling; the figure that
// counts is the whole process's (BenchmarkPlanBinary in cmd/pipeline).
func BenchmarkPlanMixed1000(b *testing.B) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(testkit.MixedSpec(1000)), 0o644); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if code := Run([]string{"plan", "-json", dir}, &Meta{Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader("")}); code != 0 {
			b.Fatalf("plan exited %d", code)
		}
	}
}
