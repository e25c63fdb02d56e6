package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// TestKillDuringApply kills apply with SIGKILL at each of its phases
// (PIPELINE_TEST_PAUSE_AT makes it wait there) while it applies a second
// version of a spec over a first, against a broker in another process.
// Each time the state file must parse and be exactly the old state or the
// new one, never a mix; the lock must be free for the next command (the
// kernel releases it with the process); and an apply run afterwards must
// converge: it succeeds, records the new spec, leaves no temporary file,
// and plan then has nothing to do.
func TestKillDuringApply(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "pipeline")
	if out, err := exec.Command("go", "build", "-tags", "nobeam", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := testkit.StartBroker(t, "-partitions", "1")
	v1 := fmt.Sprintf(totalsSpec, "revenue", "")
	v2 := fmt.Sprintf(totalsSpec, "revenue", auditBlocks) // a new source: no state reset

	run := func(dir string, env []string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "-var", "broker="+addr, dir)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", args[0], err)
		}
		return string(out), 0
	}
	write := func(dir, spec string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	for _, phase := range []struct {
		name string
		// newState: the state must be the new one after the kill (false:
		// the old one).
		newState bool
	}{
		{"locked", false},
		{"state-rename", false},
		{"state-written", true},
		{"rolled-out", true},
	} {
		t.Run(phase.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "totals-"+phase.name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			write(dir, v1)
			if out, code := run(dir, nil, "apply", "-auto-approve", "-wait=false"); code != 0 {
				t.Fatalf("first apply: exit %d\n%s", code, out)
			}
			stDir := state.Dir(dir)
			oldBytes, err := os.ReadFile(filepath.Join(stDir, "state.json"))
			if err != nil {
				t.Fatal(err)
			}
			old, err := state.Read(stDir)
			if err != nil {
				t.Fatal(err)
			}

			write(dir, v2)
			cmd := exec.Command(bin, "apply", "-auto-approve", "-wait=false", "-var", "broker="+addr, dir)
			cmd.Env = append(os.Environ(), "PIPELINE_TEST_PAUSE_AT="+phase.name)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			paused := make(chan string, 1)
			go func() {
				sc := bufio.NewScanner(stderr)
				var seen strings.Builder
				for sc.Scan() {
					seen.WriteString(sc.Text() + "\n")
					if strings.Contains(sc.Text(), "PIPELINE_TEST_PAUSE_AT: paused at "+phase.name) {
						paused <- ""
						_, _ = bufio.NewReader(stderr).WriteTo(&bytes.Buffer{}) // drain
						return
					}
				}
				paused <- seen.String()
			}()
			select {
			case rest := <-paused:
				if rest != "" {
					cmd.Wait()
					t.Fatalf("apply ended without pausing at %s\nstdout:\n%s\nstderr:\n%s", phase.name, stdout.String(), rest)
				}
			case <-time.After(2 * time.Minute):
				cmd.Process.Kill()
				t.Fatalf("apply did not reach %s", phase.name)
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			_ = cmd.Wait()

			if phase.name == "state-rename" {
				// Killed mid-write: the new state sits in its temporary
				// file, not in state.json.
				if tmp, _ := filepath.Glob(filepath.Join(stDir, "state-*.json")); len(tmp) != 1 {
					t.Errorf("killed before the rename: temporary state files %v, want one", tmp)
				}
			}

			// The state is the old one or the new one, whole.
			got, err := state.Read(stDir)
			if err != nil {
				t.Fatalf("after kill -9 at %s the state does not read: %v", phase.name, err)
			}
			nowBytes, _ := os.ReadFile(filepath.Join(stDir, "state.json"))
			if phase.newState {
				if got.Serial != old.Serial+1 || got.SpecHash == old.SpecHash {
					t.Errorf("after kill -9 at %s: state serial %d spec %s, want the new state (serial %d, another spec hash than %s)", phase.name, got.Serial, got.SpecHash, old.Serial+1, old.SpecHash)
				}
			} else if !bytes.Equal(nowBytes, oldBytes) {
				t.Errorf("after kill -9 at %s the state is not the old one:\n%s", phase.name, nowBytes)
			}

			// The lock died with its holder: force-unlock finds nothing
			// to release, and the next apply takes it at once and
			// converges.
			if out, err := exec.Command(bin, "force-unlock", "-force", "0123456789abcdef", dir).CombinedOutput(); err == nil || !strings.Contains(string(out), "is not locked") {
				t.Errorf("force-unlock after kill -9: %v, want a failure saying the state is not locked\n%s", err, out)
			}
			out, code := run(dir, nil, "apply", "-auto-approve", "-wait=false", "-lock-timeout", "0s")
			if code != 0 {
				t.Fatalf("apply after kill -9 at %s: exit %d\n%s", phase.name, code, out)
			}
			after, err := state.Read(stDir)
			if err != nil {
				t.Fatal(err)
			}
			if after.Serial <= got.Serial || after.SpecHash == old.SpecHash {
				t.Errorf("apply after kill -9 at %s recorded serial %d spec %s; want a serial above %d and the new spec", phase.name, after.Serial, after.SpecHash, got.Serial)
			}
			if left, _ := filepath.Glob(filepath.Join(stDir, "state-*.json")); len(left) != 0 {
				t.Errorf("temporary state files left behind: %v", left)
			}
			if out, code := run(dir, nil, "plan", "-detailed-exitcode"); code != 0 {
				t.Errorf("plan after the converging apply: exit %d, want 0 (nothing to do)\n%s", code, out)
			}
		})
	}
}
