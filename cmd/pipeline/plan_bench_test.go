package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// BenchmarkPlanBinary1000 runs the built binary's `plan -json` on a
// 1,000-operator spec with broker, native and beam configured
// (testkit.MixedSpec), a whole process per operation: loading, type
// checking, optimizing, compiling the broker stages and encoding JSON
// together. Issue 15's targets are under 1 s and under 200 MB for the
// process; it reports the process's CPU time (cpu-ms/op, what the load of
// a shared machine moves least), wall time, and the greatest resident set
// (maxrss-MB).
//
//	go test ./cmd/pipeline -run '^$' -bench PlanBinary1000 -benchtime 5x
func BenchmarkPlanBinary1000(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "pipeline")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	spec := filepath.Join(dir, "spec")
	if err := os.Mkdir(spec, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(spec, "main.hcl"), []byte(testkit.MixedSpec(1000)), 0o644); err != nil {
		b.Fatal(err)
	}
	var cpu, wall time.Duration
	var maxRSS int64
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "plan", "-json", spec)
		start := time.Now()
		out, err := cmd.Output()
		wall += time.Since(start)
		if err != nil {
			b.Fatalf("plan -json: %v\n%s", err, out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		maxRSS = max(maxRSS, ru.Maxrss) // KiB on Linux
	}
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "wall-ms/op")
	b.ReportMetric(float64(maxRSS)/1024, "maxrss-MB")
}
