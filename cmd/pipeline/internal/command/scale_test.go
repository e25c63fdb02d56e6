package command

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-compiler/pipeline/internal/cputime"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// alternatingChain is a spec of n operators pinned alternately to the
// broker and native backends.
func alternatingChain(n int) string { return testkit.AlternatingChain(n, false) }

// BenchmarkPlanAlternatingChain: planning must grow linearly with the
// number of stages; compare the ns/op of N and 2N (issue 17, item 9: 1,000
// stages took 20 s).
func BenchmarkPlanAlternatingChain(b *testing.B) {
	for _, n := range []int{500, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(alternatingChain(n)), 0o644); err != nil {
				b.Fatal(err)
			}
			defer cputime.Report(b)()
			for b.Loop() {
				if code := Run([]string{"plan", dir}, &Meta{Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader("")}); code != 0 {
					b.Fatalf("plan exited %d", code)
				}
			}
		})
	}
}

// TestPlanLongAlternatingChain: a 1,000-operator alternating chain plans,
// its broker stage compiles (its 500 filters' configuration once exceeded
// the module's 64 KiB), and each filter is pushed up in one rewrite
// (issue 17, items 9 and 12).
func TestPlanLongAlternatingChain(t *testing.T) {
	dir := writeSpec(t, alternatingChain(1000))
	res := run(t, nil, "", "plan", dir)
	if res.code != 0 {
		t.Fatalf("plan: exit %d\n%s", res.code, res.stderr)
	}
	if got := strings.Count(res.stdout, " pushed before map.m1: "); got != 499 {
		t.Errorf("%d rewrites listed, want 499 (one per filter after the first)", got)
	}
}
