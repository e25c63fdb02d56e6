package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// TestEndToEnd runs the pipeline binary as a user does: a Kafka-protocol
// broker in a separate process, records produced with kcat, `pipeline run
// -exit-when-idle`, and the outputs read back with kcat in read_committed
// isolation.
func TestEndToEnd(t *testing.T) {
	e := startE2E(t)
	run := exec.Command(filepath.Join(e.bin, "pipeline"), "run", "-exit-when-idle", "2s",
		"-state-dir", t.TempDir(), "-var", "broker="+e.addr, "testdata/e2e")
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("pipeline run: %v\n%s", err, out)
	}
	e.check(t)
}

// TestTwoWorkersShareTheLoad runs two worker processes of one spec at once,
// sharing a state directory: the consumer group splits the partitions, a
// partition group that moves between them in a rebalance resumes from the
// shared snapshots, and the output is still exactly the one-worker output.
func TestTwoWorkersShareTheLoad(t *testing.T) {
	e := startE2E(t)
	state := t.TempDir()
	var workers []*exec.Cmd
	var logs []*bytes.Buffer
	for _, id := range []string{"w1", "w2"} {
		var log bytes.Buffer
		w := exec.Command(filepath.Join(e.bin, "pipeline"), "run", "-exit-when-idle", "3s", "-instance-id", id,
			"-state-dir", state, "-var", "broker="+e.addr, "testdata/e2e")
		w.Stdout, w.Stderr = &log, &log
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		workers, logs = append(workers, w), append(logs, &log)
	}
	for i, w := range workers {
		if err := w.Wait(); err != nil {
			t.Fatalf("worker %d: %v\n%s", i+1, err, logs[i])
		}
	}
	e.check(t)
}

// e2e is a broker in its own process holding the test's input, and what
// the spec must produce from it.
type e2e struct {
	kcat, bin, addr string
	wantBig         map[string]bool
	wantAgg         map[string][2]float64 // customer|minute → orders, total
}

func startE2E(t *testing.T) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	kcat := needKcat(t)
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "pipeline"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build pipeline: %v\n%s", err, out)
	}
	addr := testkit.StartBroker(t, "-partitions", "2")

	// 600 orders over three minutes of event time, and one record that is
	// not JSON: it must reach the dead-letter topic, not stop the pipeline.
	var input bytes.Buffer
	wantBig := map[string]bool{}
	wantAgg := map[string][2]float64{} // customer|minute → orders, total
	countries := []string{"US", "us", "DE", "FR"}
	for i := 0; i < 600; i++ {
		id, amount, cust, country := fmt.Sprintf("o%03d", i), float64((i*37)%400), fmt.Sprintf("C%d", i%7), countries[i%4]
		ts := fmt.Sprintf("2026-01-01T00:%02d:%02dZ", i/200, (i%200)*3/10)
		fmt.Fprintf(&input, `{"id":%q,"amount":%v,"customer_id":%q,"country":%q,"ts":%q}`+"\n", id, amount, cust, country, ts)
		if amount >= 100 && strings.EqualFold(country, "us") {
			wantBig[fmt.Sprintf(`{"amount":%v,"customer":%q,"id":%q}`, amount, strings.ToLower(cust), id)] = true
		}
		k := fmt.Sprintf("%s|%d", strings.ToLower(cust), i/200)
		a := wantAgg[k]
		wantAgg[k] = [2]float64{a[0] + 1, a[1] + amount}
	}
	input.WriteString("this is not json\n")
	produce := exec.Command(kcat, "-b", addr, "-t", "orders", "-P")
	produce.Stdin = &input
	if out, err := produce.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	return &e2e{kcat: kcat, bin: bin, addr: addr, wantBig: wantBig, wantAgg: wantAgg}
}

// check reads the outputs with kcat (read_committed) and compares them, as
// multisets, with what the input must give.
func (e *e2e) check(t *testing.T) {
	t.Helper()
	kcat, addr, wantBig, wantAgg := e.kcat, e.addr, e.wantBig, e.wantAgg
	consume := func(topic, format string) []string {
		out, err := exec.Command(kcat, "-b", addr, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
			"-X", "isolation.level=read_committed", "-f", format).Output()
		if err != nil {
			t.Fatalf("kcat -C %s: %v", topic, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 1 && lines[0] == "" {
			return nil
		}
		sort.Strings(lines)
		return lines
	}

	if d := cmp.Diff(sortedKeys(wantBig), normalized(t, consume("big-us-orders", "%s\n"))); d != "" {
		t.Errorf("big-us-orders (-want +got):\n%s", d)
	}
	var wantAggRecs []string
	for k, a := range wantAgg {
		cust, minute, _ := strings.Cut(k, "|")
		wantAggRecs = append(wantAggRecs, fmt.Sprintf(
			`{"customer":%q,"orders":%v,"total":%v,"window_end":"2026-01-01T00:%02s:00Z","window_start":"2026-01-01T00:%02s:00Z"}`,
			cust, a[0], a[1], fmt.Sprint(mustAtoi(minute)+1), minute))
	}
	sort.Strings(wantAggRecs)
	if d := cmp.Diff(normalized(t, wantAggRecs), normalized(t, consume("orders-per-minute", "%s\n"))); d != "" {
		t.Errorf("orders-per-minute (-want +got):\n%s", d)
	}
	dlq := consume("e2e.dlq", "%h %s\n")
	if len(dlq) != 1 || !strings.Contains(dlq[0], "this is not json") || !strings.Contains(dlq[0], "pipeline.source.offset=") {
		t.Errorf("dead-letter topic = %q, want the one bad record with its source offset in the headers", dlq)
	}
}

// needKcat is the test kit's kcat: CI installs it (.ci/run), so there a
// missing kcat fails the test instead of skipping it.
var needKcat = testkit.Kcat

func normalized(t *testing.T, recs []string) []string {
	t.Helper()
	out := make([]string, len(recs))
	for i, r := range recs {
		var v any
		if err := json.Unmarshal([]byte(r), &v); err != nil {
			t.Fatalf("not JSON: %q", r)
		}
		b, _ := json.Marshal(v)
		out[i] = string(b)
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustAtoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}
