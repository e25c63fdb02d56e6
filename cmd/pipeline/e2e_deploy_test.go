package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/runtime/control"
)

// TestDeployWithWorkers is the deployment story end to end, against a
// broker in another process: two `pipeline worker` processes started
// before any apply; apply returns once both run the version; a second
// apply adds a sink on another branch while a session spans the upgrade;
// a plan a worker cannot run (a missing sensitive variable) fails apply and
// leaves the other pipeline running; one worker is killed with -9 and the
// other takes over; destroy stops the stages on both, which stay up; and
// apply with no worker fails after -wait-timeout. Outputs are read with
// kcat (read_committed) and compared with what the clicks must give.
func TestDeployWithWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	h := startWorkers(t, "w1", "w2")
	pipeline, addr := h.bin, h.addr

	// The specs are copied, so that apply's .pipeline state stays in the
	// test's directory; v2 replaces v1 in place, as a git pull would.
	spec := filepath.Join(t.TempDir(), "clicks")
	secret := filepath.Join(t.TempDir(), "guarded")
	copySpec(t, "testdata/deploy/v1", spec)
	copySpec(t, "testdata/deploy/secret", secret)

	apply := func(dir string, extra ...string) (string, int) {
		t.Helper()
		return h.run(append(append([]string{"apply", "-auto-approve", "-var", "broker=" + addr, "-wait-timeout", "40s"}, extra...), dir)...)
	}
	produce := func(lines ...string) { t.Helper(); h.produce("clicks", lines...) }
	consume, await, reports, stageIn := h.consume, h.await, h.reports, h.stageIn
	workers := h.procs
	click := func(user, ts string) string { return fmt.Sprintf(`{"user":%q,"ts":"2026-01-01T%sZ"}`, user, ts) }
	session := func(user string, clicks int, start, end string) string {
		return normJSON(t, fmt.Sprintf(`{"user":%q,"clicks":%d,"window_start":"2026-01-01T%sZ","window_end":"2026-01-01T%sZ"}`, user, clicks, start, end))
	}

	// 1. Both workers run version 1 when apply returns.
	out, code := apply(spec)
	if code != 0 || !strings.Contains(out, "Rollout complete: version 1 of pipeline clicks runs on 2 worker(s): w1, w2.") {
		t.Fatalf("apply v1: exit %d\n%s", code, out)
	}
	st, err := exec.Command(pipeline, "status", "-json", "-var", "broker="+addr, spec).Output()
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	var status struct {
		Workers []struct {
			Worker   string
			Live     bool
			Pipeline *control.PipelineStatus
		}
	}
	if err := json.Unmarshal(st, &status); err != nil {
		t.Fatalf("status -json: %v\n%s", err, st)
	}
	if len(status.Workers) != 2 {
		t.Fatalf("status shows %d workers, want 2:\n%s", len(status.Workers), st)
	}
	for _, w := range status.Workers {
		if !w.Live || w.Pipeline == nil || w.Pipeline.Running != 1 || len(w.Pipeline.Stages) != 2 {
			t.Errorf("status of %s: live %v, pipeline %+v; want live, running version 1 with 2 stages", w.Worker, w.Live, w.Pipeline)
		}
	}
	produce(click("u1", "00:00:00"))
	await("u1's first click to reach the session stage", 30*time.Second, func() bool {
		return stageIn("clicks", "native.aggregate.sessions") >= 1
	})

	// 2. Version 2 adds a sink on another branch; u1's session spans it.
	copySpec(t, "testdata/deploy/v2", spec)
	out, code = apply(spec)
	if code != 0 || !strings.Contains(out, "Rollout complete: version 2 of pipeline clicks") {
		t.Fatalf("apply v2: exit %d\n%s", code, out)
	}
	produce(click("u1", "00:00:10"), click("u2", "00:05:00"))

	// 6. A plan the workers cannot run: apply fails, naming the variable;
	// the workers keep serving clicks.
	out, code = apply(secret, "-var", "token=s3cret")
	if code != 1 || !strings.Contains(out, `the plan needs the sensitive variable "token"`) || strings.Contains(out, "s3cret") {
		t.Fatalf("apply of a plan the workers cannot run: exit %d\n%s", code, out)
	}

	// 3. kill -9 mid-stream the worker that holds the session stage's
	// partition: the other takes over. The kill waits for version 2's
	// rebalances to settle: on the test's broker (kfake), a member killed
	// before its JoinGroup answer arrives never expires and keeps its
	// partitions, which Kafka and Redpanda do not do.
	var victim string
	await("version 2's groups to settle", 30*time.Second, func() bool {
		victim = h.holder("clicks.native.aggregate.sessions", "clicks.source.clicks")
		return victim != "" && h.assigned("clicks.native.source.clicks", "clicks")
	})
	survivor := map[string]string{"w1": "w2", "w2": "w1"}[victim]
	var batch []string
	for i := range 200 {
		batch = append(batch, click(fmt.Sprintf("u%d", i%10), fmt.Sprintf("00:%02d:%02d", 10+i/60, i%60)))
	}
	produce(batch[:100]...)
	time.Sleep(300 * time.Millisecond)
	if err := workers[victim].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	workers[victim].Wait()
	produce(batch[100:]...)
	produce(click("zz", "01:00:00")) // closes every session before it
	want := []string{
		session("u1", 2, "00:00:00", "00:00:40"),
		session("u2", 1, "00:05:00", "00:05:30"),
	}
	for u := range 10 {
		// u's clicks are every 10 s from 00:10:0u to 00:13:1u.
		last := 190 + u
		want = append(want, session(fmt.Sprintf("u%d", u), 20, fmt.Sprintf("00:10:%02d", u), fmt.Sprintf("00:%02d:%02d", 10+(last+30)/60, (last+30)%60)))
	}
	sort.Strings(want)
	await("every session", 60*time.Second, func() bool { return len(consume("click-sessions")) >= len(want) })
	time.Sleep(time.Second) // anything extra would show now
	if d := cmp.Diff(want, consume("click-sessions")); d != "" {
		t.Errorf("click-sessions (-want +got):\n%s", d)
	}
	if got := len(consume("clicks-copy")); got != 2+200+1 {
		t.Errorf("clicks-copy has %d records, want the %d clicks produced after version 2", got, 2+200+1)
	}

	// 4. destroy: the surviving worker stops the stages and stays up.
	dcmd := exec.Command(pipeline, "destroy", "-auto-approve", "-var", "broker="+addr, spec)
	if out, err := dcmd.CombinedOutput(); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	await(survivor+" to drop the pipeline", 10*time.Second, func() bool {
		r := reports()[survivor]
		return r != nil && r.Live(time.Now()) && r.Pipeline("clicks") == nil && r.Pipeline("guarded") != nil
	})
	produce(click("zz", "02:00:00")) // would close zz's session if processed
	time.Sleep(2 * time.Second)
	if got := consume("click-sessions"); len(got) != len(want) {
		t.Errorf("after destroy, click-sessions has %d records, want %d", len(got), len(want))
	}
	if err := workers[survivor].Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("worker %s stopped after destroy: %v", survivor, err)
	}

	// 5. No worker: apply fails after -wait-timeout with the message.
	workers[survivor].Process.Signal(syscall.SIGTERM)
	workers[survivor].Wait()
	copySpec(t, "testdata/deploy/v1", spec)
	out, code = apply(spec, "-wait-timeout", "2s")
	if code != 1 || !strings.Contains(out, "no worker is serving pipeline clicks: start one with `pipeline worker -brokers "+addr+"`") {
		t.Fatalf("apply with no worker: exit %d\n%s", code, out)
	}
}

func copySpec(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(from, "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, "main.hcl"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func normJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %q", s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
