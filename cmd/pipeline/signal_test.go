package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// idleSpec runs until stopped: a topic source on the embedded broker that
// nothing produces to.
const idleSpec = `pipeline "idle" {}
source "in" {
  topic  = "in"
  format = "json"
  schema = object({ a = number })
}
sink "out" {
  input = source.in
  file  = "out.jsonl"
}
`

// TestSignalsStopTheCLI starts the binary, sends SIGTERM or SIGINT while
// it plans (CPU work that watches no context) and while it runs (waiting
// for records), and expects it to exit within seconds, saying why; a run
// once ignored SIGTERM and needed kill -9 (issue 17, item 9).
func TestSignalsStopTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI: skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "pipeline")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build pipeline: %v\n%s", err, out)
	}
	slow := t.TempDir()
	if err := os.WriteFile(filepath.Join(slow, "main.hcl"), []byte(testkit.AlternatingChain(12000, true)), 0o600); err != nil {
		t.Fatal(err)
	}
	idle := t.TempDir()
	if err := os.WriteFile(filepath.Join(idle, "main.hcl"), []byte(idleSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		sig      syscall.Signal
		after    time.Duration // CPU time the process has used
		wait     time.Duration // or wall time, whichever comes first
		wantCode int           // -1: any
		want     string
	}{
		{"SIGTERM while planning", []string{"plan", slow}, syscall.SIGTERM, 500 * time.Millisecond, 30 * time.Second, 1, "Interrupted by SIGTERM before anything was changed: exiting."},
		{"SIGINT while planning", []string{"plan", slow}, syscall.SIGINT, 500 * time.Millisecond, 30 * time.Second, 1, "Interrupted by SIGINT before anything was changed: exiting."},
		{"SIGTERM while running", []string{"run", idle}, syscall.SIGTERM, 300 * time.Millisecond, 4 * time.Second, -1, "Interrupted by SIGTERM: stopping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Dir = t.TempDir()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// Signal once the process has used tt.after of CPU (or waited
			// tt.wait): long past its start (before main, a signal kills
			// it silently), and, on a loaded machine, past as much work as
			// on an idle one.
			for deadline := time.Now().Add(tt.wait); cpuTime(cmd.Process.Pid) < tt.after; {
				select {
				case err := <-done:
					t.Fatalf("exited before the signal (%v): make the spec slower\n%s", err, stderr.String())
				case <-time.After(20 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					break
				}
			}
			sent := time.Now()
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("still running 15 s after %v\n%s", tt.sig, stderr.String())
			}
			code := cmd.ProcessState.ExitCode() // -1: killed by the signal
			t.Logf("exited %d, %v after the signal", code, time.Since(sent).Round(time.Millisecond))
			if code == -1 || (tt.wantCode >= 0 && code != tt.wantCode) {
				t.Errorf("exit status %v, want %d", err, tt.wantCode)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr.String())
			}
		})
	}
}

// cpuTime is the CPU time process pid has used (user and system, from
// /proc/PID/stat, in clock ticks of 10 ms), or a large value when it
// cannot be read (not Linux): then the caller signals at once.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return time.Hour
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return time.Hour
	}
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return time.Duration(u+s) * 10 * time.Millisecond
}
