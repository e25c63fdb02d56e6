package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/control"
)

// totalsSpec is the state test's spec: revenue per customer per minute,
// the aggregate behind a repartition channel, so its stage (and consumer
// group) is named after it. %s is the aggregate's name, %s extra blocks.
const totalsSpec = `pipeline "totals" {}

variable "broker" {
  type = string
}

broker "main" {
  brokers = [var.broker]
}

source "orders" {
  topic      = "orders"
  schema     = object({ customer = string, amount = number, ts = string })
  event_time = record.ts
}

aggregate "%[1]s" {
  input  = source.orders
  key    = { customer = record.customer }
  window = tumbling("1m")
  fields = { total = sum(record.amount) }
}

sink "revenue" {
  input    = aggregate.%[1]s
  topic    = "revenue"
  key      = record.customer
  delivery = "exactly_once"
}
%[2]s`

// auditBlocks add an unrelated source that starts at the end of its topic.
const auditBlocks = `
source "audit" {
  topic      = "audit"
  schema     = object({ who = string })
  start_from = "latest"
}

sink "audit" {
  input = source.audit
  topic = "audit-copy"
}
`

// TestStateAcrossApplies checks what plan says about state and offsets
// against what a worker then does, on a broker in another process, outputs
// read with kcat: a rename with a moved block keeps the window's total; an
// added source leaves every existing consumer at its committed offsets
// (nothing is output twice) and, with start_from = "latest", skips its
// topic's backlog; a key change and a rename without a moved block are
// resets that apply refuses until -allow-state-reset; a second apply while
// one runs fails naming the holder of the state lock, or waits for it.
func TestStateAcrossApplies(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	h := startWorkers(t, "w1")
	spec := filepath.Join(t.TempDir(), "totals")
	if err := os.MkdirAll(spec, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(aggregate, extra string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(spec, "main.hcl"), fmt.Appendf(nil, totalsSpec, aggregate, extra), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	order := func(customer string, amount int, ts string) string {
		return fmt.Sprintf(`{"customer":%q,"amount":%d,"ts":"2026-01-01T%sZ"}`, customer, amount, ts)
	}
	total := func(customer string, sum int, start, end string) string {
		return normJSON(t, fmt.Sprintf(`{"customer":%q,"total":%d,"window_start":"2026-01-01T%sZ","window_end":"2026-01-01T%sZ"}`, customer, sum, start, end))
	}
	changes := func() map[string]ir.StateChange {
		t.Helper()
		out, code := h.run("plan", "-json", "-var", "broker="+h.addr, spec)
		if code != 0 {
			t.Fatalf("plan -json: exit %d\n%s", code, out)
		}
		p, err := ir.DecodePlan([]byte(out))
		if err != nil {
			t.Fatalf("plan -json: %v\n%s", err, out)
		}
		m := map[string]ir.StateChange{}
		for _, c := range p.StateChanges {
			m[c.Address] = c
		}
		return m
	}
	apply := func(extra ...string) (string, int) {
		return h.run(append(append([]string{"apply", "-auto-approve", "-var", "broker=" + h.addr, "-wait-timeout", "40s"}, extra...), spec)...)
	}

	// Version 1; c1's first order.
	write("revenue", "")
	if out, code := apply(); code != 0 {
		t.Fatalf("apply v1: exit %d\n%s", code, out)
	}
	h.produce("orders", order("c1", 10, "00:00:05"))
	h.await("c1's first order to reach the aggregate", time.Minute, func() bool { return h.stageIn("totals", "native.aggregate.revenue") >= 1 })

	// Version 2 renames the aggregate with a moved block: kept, and the
	// window's total continues (10 + 20).
	write("revenue_by_customer", "\nmoved {\n  from = aggregate.revenue\n  to   = aggregate.revenue_by_customer\n}\n")
	c := changes()
	if got := c["aggregate.revenue_by_customer"]; got.State != ir.StateKept || got.Reason != "renamed from aggregate.revenue (moved block)" {
		t.Errorf("renamed with a moved block: %+v, want kept", got)
	}
	if got := c["native.aggregate.revenue"]; got.State != ir.StateKept || got.Offsets != "resumes at committed offsets" {
		t.Errorf("the aggregate's consumer after a moved rename: %+v, want kept, resuming at committed offsets", got)
	}
	if out, code := apply(); code != 0 {
		t.Fatalf("apply v2: exit %d\n%s", code, out)
	}
	h.produce("orders", order("c1", 20, "00:00:30"), order("c2", 7, "00:02:00"))
	want := []string{total("c1", 30, "00:00:00", "00:01:00")}
	h.await("c1's window", time.Minute, func() bool { return len(h.consume("revenue")) >= len(want) })

	// Version 3 adds an unrelated source whose topic has a backlog: every
	// existing consumer resumes, the new one starts at the end.
	h.produce("audit", `{"who":"backlog-1"}`, `{"who":"backlog-2"}`)
	write("revenue_by_customer", auditBlocks)
	c = changes()
	for _, addr := range []string{"native.source.orders", "native.aggregate.revenue"} {
		if got := c[addr]; got.State != ir.StateKept || got.Offsets != "resumes at committed offsets" {
			t.Errorf("consumer %s after adding a source: %+v, want kept, resuming at committed offsets", addr, got)
		}
	}
	if got := c["native.source.audit"]; got.State != ir.StateNew || got.Offsets != "reads from latest" {
		t.Errorf("the added consumer: %+v, want new, reading from latest", got)
	}
	if out, code := apply(); code != 0 {
		t.Fatalf("apply v3: exit %d\n%s", code, out)
	}
	h.await("the audit stage to join its group", time.Minute, func() bool { return h.assigned("totals.native.source.audit", "audit") })
	time.Sleep(time.Second) // its start offset (the end) is resolved
	h.produce("audit", `{"who":"after"}`)
	h.produce("orders", order("c3", 1, "00:05:00")) // closes c2's window
	want = append(want, total("c2", 7, "00:02:00", "00:03:00"))
	sort.Strings(want)
	h.await("c2's window", time.Minute, func() bool { return len(h.consume("revenue")) >= len(want) })
	h.await("the audit record", time.Minute, func() bool { return len(h.consume("audit-copy")) >= 1 })
	time.Sleep(time.Second) // anything extra would show now
	if d := cmp.Diff(want, h.consume("revenue")); d != "" {
		t.Errorf("revenue (-want +got): a record output twice or lost:\n%s", d)
	}
	if d := cmp.Diff([]string{normJSON(t, `{"who":"after"}`)}, h.consume("audit-copy")); d != "" {
		t.Errorf("audit-copy with start_from = latest (-want +got):\n%s", d)
	}

	// A key change is a reset, "key changed".
	keyed := strings.Replace(fmt.Sprintf(totalsSpec, "revenue_by_customer", auditBlocks), "{ customer = record.customer }", "{ customer = upper(record.customer) }", 1)
	if err := os.WriteFile(filepath.Join(spec, "main.hcl"), []byte(keyed), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := changes()["aggregate.revenue_by_customer"]; got.State != ir.StateReset || !strings.HasPrefix(got.Reason, "key changed") {
		t.Errorf("key change: %+v, want reset, key changed", got)
	}

	// A rename without a moved block: reset, refused, then forced.
	write("revenue_v4", auditBlocks)
	if got := changes()["aggregate.revenue_v4"]; got.State != ir.StateReset || !strings.HasPrefix(got.Reason, "renamed from aggregate.revenue_by_customer") {
		t.Errorf("rename without a moved block: %+v, want reset, renamed", got)
	}
	out, code := apply()
	if code != 1 || !strings.Contains(out, "Cannot apply: this plan resets state or offsets") ||
		!strings.Contains(out, "aggregate.revenue_v4: renamed from aggregate.revenue_by_customer") {
		t.Fatalf("apply of a reset without -allow-state-reset: exit %d, want 1 naming the reset\n%s", code, out)
	}
	if out, code := apply("-allow-state-reset"); code != 0 || !strings.Contains(out, "Rollout complete: version 4") {
		t.Fatalf("apply -allow-state-reset: exit %d\n%s", code, out)
	}

	// Two applies at once: with no worker left, the first holds the lock
	// while it waits for one; the second fails at once naming it, and a
	// third given -lock-timeout waits for it and goes on.
	h.procs["w1"].Process.Kill()
	h.procs["w1"].Wait()
	first := exec.Command(h.bin, "apply", "-auto-approve", "-var", "broker="+h.addr, "-wait-timeout", "4s", spec)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Wait()
	h.await("the first apply to take the lock", time.Minute, func() bool {
		b, _ := os.ReadFile(filepath.Join(spec, ".pipeline", "state.lock"))
		return len(b) > 0
	})
	out, code = apply()
	if code != 1 || !strings.Contains(out, "the state is locked by another pipeline process: lock ") ||
		!strings.Contains(out, fmt.Sprintf(`held by "apply %s" (pid %d on `, spec, first.Process.Pid)) {
		t.Errorf("a second apply while one runs: exit %d, want 1 naming the holder\n%s", code, out)
	}
	out, _ = apply("-lock-timeout", "30s", "-wait-timeout", "1s")
	if strings.Contains(out, "locked") || !strings.Contains(out, "no worker is serving pipeline totals") {
		t.Errorf("apply -lock-timeout 30s: want it to wait for the lock, then find no worker\n%s", out)
	}
}

// workers is a broker in another process and `pipeline worker` processes
// on it, built without Beam.
type workers struct {
	t        *testing.T
	bin      string // the pipeline binary
	kcat     string
	addr     string
	watch    *control.Watcher
	logs     map[string]*bytes.Buffer
	procs    map[string]*exec.Cmd
	stateDir string
}

func startWorkers(t *testing.T, ids ...string) *workers {
	t.Helper()
	h := &workers{t: t, kcat: needKcat(t), logs: map[string]*bytes.Buffer{}, procs: map[string]*exec.Cmd{}, stateDir: t.TempDir()}
	bin := t.TempDir()
	for pkg, name := range map[string]string{".": "pipeline", "../../runtime/embedded/cmd/kfake-broker": "kfake-broker"} {
		if out, err := exec.Command("go", "build", "-tags", "nobeam", "-o", filepath.Join(bin, name), pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	h.bin = filepath.Join(bin, "pipeline")
	broker := exec.Command(filepath.Join(bin, "kfake-broker"), "-partitions", "1", "-min-session-timeout", "500ms")
	stdout, err := broker.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var brokerLog bytes.Buffer
	broker.Stderr = &brokerLog
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { broker.Process.Kill(); broker.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("broker address: %v", err)
	}
	h.addr = strings.TrimSpace(addr)
	for _, id := range ids {
		var log bytes.Buffer
		w := exec.Command(h.bin, "worker", "-brokers", h.addr, "-instance-id", id, "-state-dir", h.stateDir,
			"-report-interval", "300ms", "-session-timeout", "2s")
		// Debug adds the Kafka client's group transitions, which a failed
		// takeover needs to be read.
		w.Env = append(os.Environ(), "PIPELINE_LOG=debug")
		w.Stdout, w.Stderr = &log, &log
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		h.procs[id], h.logs[id] = w, &log
		t.Cleanup(func() { w.Process.Kill(); w.Wait() })
	}
	t.Cleanup(func() {
		if t.Failed() {
			for id, l := range h.logs {
				t.Logf("worker %s log:\n%s", id, l)
			}
			t.Logf("broker log:\n%s", &brokerLog)
		}
	})
	if h.watch, err = control.NewWatcher(kgo.SeedBrokers(h.addr)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.watch.Close)
	h.await("every worker to report", time.Minute, func() bool { return len(h.reports()) == len(ids) })
	return h
}

// run runs the pipeline binary and returns its combined output and exit
// status.
func (h *workers) run(args ...string) (string, int) {
	h.t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(h.bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			h.t.Fatalf("%s: %v", args[0], err)
		}
		code = ee.ExitCode()
	}
	if args[0] == "plan" && len(args) > 1 && args[1] == "-json" {
		return stdout.String(), code // stderr holds warnings only
	}
	return stdout.String() + stderr.String(), code
}

func (h *workers) produce(topic string, lines ...string) {
	h.t.Helper()
	cmd := exec.Command(h.kcat, "-b", h.addr, "-t", topic, "-P")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		h.t.Fatalf("kcat -P: %v\n%s", err, out)
	}
}

// consume reads a topic from the start (read_committed), records
// normalized and sorted.
func (h *workers) consume(topic string) []string {
	h.t.Helper()
	out, err := exec.Command(h.kcat, "-b", h.addr, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
		"-X", "isolation.level=read_committed").Output()
	if err != nil {
		return nil // not created yet
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			lines = append(lines, normJSON(h.t, l))
		}
	}
	sort.Strings(lines)
	return lines
}

func (h *workers) await(what string, within time.Duration, ok func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (h *workers) reports() map[string]*control.Report {
	rs, _ := h.watch.Poll(context.Background(), 100*time.Millisecond)
	return rs
}

// stages returns the live workers' status of a stage, by identity.
func (h *workers) stages(pipeline, identity string) []control.StageStatus {
	var out []control.StageStatus
	for _, r := range h.reports() {
		if ps := r.Pipeline(pipeline); ps != nil && r.Live(time.Now()) {
			for _, st := range ps.Stages {
				if st.Identity == identity {
					out = append(out, st)
				}
			}
		}
	}
	return out
}

func (h *workers) stageIn(pipeline, identity string) int64 {
	var n int64
	for _, st := range h.stages(pipeline, identity) {
		n += st.RecordsIn
	}
	return n
}

// assigned reports whether group is stable with topic assigned to a
// member: its starting offsets are being resolved.
func (h *workers) assigned(group, topic string) bool { return h.holder(group, topic) != "" }

// holder returns the worker (the instance ID's last dot-separated part)
// that holds partitions of topic in group once the group is stable, or ""
// while it is not.
func (h *workers) holder(group, topic string) string {
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.addr))
	if err != nil {
		return ""
	}
	defer cl.Close()
	gs, err := kadm.NewClient(cl).DescribeGroups(context.Background(), group)
	if err != nil {
		return ""
	}
	g, ok := gs[group]
	if !ok || g.State != "Stable" {
		return ""
	}
	for _, m := range g.Members {
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, tp := range a.Topics {
				if tp.Topic == topic && len(tp.Partitions) > 0 {
					id := m.MemberID
					if m.InstanceID != nil {
						id = *m.InstanceID
					}
					return id[strings.LastIndex(id, ".")+1:]
				}
			}
		}
	}
	return ""
}
