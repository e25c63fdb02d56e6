package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// TestReplay checks pipeline replay against a broker in another process,
// outputs read with kcat: production (apply, a worker) runs over six
// orders and a record that does not decode first, and keeps running; a replay
// of [00:01, 00:02) then reads only the two orders of that minute and
// writes their window totals to revenue.replay alone, leaving every
// production consumer group's committed offsets and every production
// topic's end offsets as they were. A second replay starts from -from
// again; -target aggregate.revenue writes the aggregate's output to
// totals.aggregate.revenue.replay; bad flags exit 1 with one clear line.
func TestReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	h := startWorkers(t, "w1") // production: a worker that keeps running during the replays
	spec := filepath.Join(t.TempDir(), "totals")
	if err := os.MkdirAll(spec, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(spec, "main.hcl"), fmt.Appendf(nil, totalsSpec, "revenue", ""), 0o644); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(h.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := context.Background()

	// Each order's Kafka timestamp is its event time.
	at := func(hms string) time.Time {
		ts, err := time.Parse(time.RFC3339, "2026-01-01T"+hms+"Z")
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	order := func(customer string, amount int, hms string) *kgo.Record {
		return &kgo.Record{Topic: "orders", Timestamp: at(hms),
			Value: fmt.Appendf(nil, `{"customer":%q,"amount":%d,"ts":"2026-01-01T%sZ"}`, customer, amount, hms)}
	}
	orders := []*kgo.Record{
		order("c1", 10, "00:00:05"), order("c2", 5, "00:00:20"), // minute 0
		// Minute 1, the range replayed, with a record that does not decode.
		order("c1", 20, "00:01:10"), order("c2", 7, "00:01:30"), {Topic: "orders", Timestamp: at("00:01:40"), Value: []byte("not json")},
		order("c1", 40, "00:02:05"), order("c1", 1, "00:03:00"), // minutes 2 and 3
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	// The production sink topic has three partitions (the broker's default
	// is one): its shadow is created with three too.
	if _, err := adm.CreateTopic(ctx, 3, 1, nil, "revenue"); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, orders...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	total := func(customer string, sum int, start, end string) string {
		return normJSON(t, fmt.Sprintf(`{"customer":%q,"total":%d,"window_start":"2026-01-01T%sZ","window_end":"2026-01-01T%sZ"}`, customer, sum, start, end))
	}

	// Production: every window the watermark (the greatest event time,
	// 00:03:00) closed has fired; minute 3 stays open.
	if out, code := h.run("apply", "-auto-approve", "-var", "broker="+h.addr, "-wait-timeout", "40s", spec); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	wantProd := []string{
		total("c1", 10, "00:00:00", "00:01:00"), total("c1", 20, "00:01:00", "00:02:00"),
		total("c1", 40, "00:02:00", "00:03:00"), total("c2", 5, "00:00:00", "00:01:00"), total("c2", 7, "00:01:00", "00:02:00"),
	}
	h.await("production's windows", time.Minute, func() bool { return len(h.consume("revenue")) >= len(wantProd) })
	h.await("production to commit every order", time.Minute, func() bool {
		offs, err := adm.FetchOffsets(ctx, "totals.native.source.orders")
		o, ok := offs.Lookup("orders", 0)
		return err == nil && ok && o.At == int64(len(orders))
	})
	if d := cmp.Diff(wantProd, h.consume("revenue")); d != "" {
		t.Fatalf("production revenue (-want +got):\n%s", d)
	}
	groupsBefore, endsBefore := productionView(t, adm)
	if len(groupsBefore) == 0 {
		t.Fatal("production committed no offsets")
	}
	stateBefore := listFiles(t, h.stateDir)

	replay := func(args ...string) string {
		t.Helper()
		out, code := h.run(append(append([]string{"replay", "-var", "broker=" + h.addr, "-exit-when-idle", "2s"}, args...), spec)...)
		if code != 0 {
			t.Logf("replay state: %v", listFiles(t, filepath.Join(spec, ".pipeline")))
			t.Fatalf("replay %v: exit %d\n%s", args, code, out)
		}
		return out
	}
	out := replay("-from", "2026-01-01T00:01:00Z", "-to", "2026-01-01T00:02:00Z")
	for _, want := range []string{"read         3 from source.orders (topic orders)", "written      2 to   sink.revenue (revenue.replay)", "dead letters 1 (topic totals.dlq.replay)"} {
		if !strings.Contains(out, want) {
			t.Errorf("replay summary: want %q in\n%s", want, out)
		}
	}
	minute1 := []string{total("c1", 20, "00:01:00", "00:02:00"), total("c2", 7, "00:01:00", "00:02:00")}
	if d := cmp.Diff(minute1, h.consume("revenue.replay")); d != "" {
		t.Errorf("revenue.replay (-want +got):\n%s", d)
	}
	if got := testkit.ConsumeFormat(t, h.addr, "totals.dlq.replay", "%s|%h"); len(got) != 1 || !strings.HasPrefix(got[0], "not json|") || !strings.Contains(got[0], "pipeline.reason=decode") {
		t.Errorf("totals.dlq.replay: %q, want the record that does not decode, reason decode", got)
	}
	if td, err := adm.ListTopics(ctx, "revenue.replay"); err != nil || len(td["revenue.replay"].Partitions) != 3 {
		t.Errorf("revenue.replay: %d partitions (%v), want 3 as revenue has", len(td["revenue.replay"].Partitions), err)
	}

	// Production is untouched: its groups' offsets, its topics' ends (the
	// sink, the source, the channel and dead-letter topics), its state.
	groupsAfter, endsAfter := productionView(t, adm)
	for g, offs := range groupsBefore {
		if d := cmp.Diff(offs, groupsAfter[g]); d != "" {
			t.Errorf("committed offsets of production group %s changed (-before +after):\n%s", g, d)
		}
	}
	for g := range groupsAfter {
		if _, ok := groupsBefore[g]; !ok && !strings.HasPrefix(g, "totals.replay.") {
			t.Errorf("replay used group %s, want one named totals.replay.*", g)
		}
	}
	for topic, end := range endsBefore {
		if !maps.Equal(endsAfter[topic], end) {
			t.Errorf("production topic %s: end offsets %v before the replay, %v after", topic, end, endsAfter[topic])
		}
	}
	if d := cmp.Diff(stateBefore, listFiles(t, h.stateDir)); d != "" {
		t.Errorf("production state directory changed (-before +after):\n%s", d)
	}

	// A second replay reads the range again (its groups start over) and
	// appends to the shadow topic.
	replay("-from", "2026-01-01T00:01:00Z", "-to", "2026-01-01T00:02:00Z")
	twice := []string{minute1[0], minute1[0], minute1[1], minute1[1]}
	if d := cmp.Diff(twice, h.consume("revenue.replay")); d != "" {
		t.Errorf("revenue.replay after a second replay (-want +got):\n%s", d)
	}

	// -target: the aggregate and what it reads, into a topic named after it.
	out = replay("-target", "aggregate.revenue", "-from", "2026-01-01T00:00:00Z", "-to", "2026-01-01T00:01:00Z")
	if !strings.Contains(out, "totals.aggregate.revenue.replay") {
		t.Errorf("replay -target: the summary does not name the target's topic\n%s", out)
	}
	minute0 := []string{total("c1", 10, "00:00:00", "00:01:00"), total("c2", 5, "00:00:00", "00:01:00")}
	if d := cmp.Diff(minute0, h.consume("totals.aggregate.revenue.replay")); d != "" {
		t.Errorf("replay -target aggregate.revenue (-want +got):\n%s\n%s", d, out)
	}
	if d := cmp.Diff(twice, h.consume("revenue.replay")); d != "" {
		t.Errorf("revenue.replay after a replay of another target (-want +got):\n%s", d)
	}

	// -sink-topic names the shadow topic.
	replay("-sink-topic", "sink.revenue=revenue_backfill", "-from", "2026-01-01T00:02:00Z", "-to", "2026-01-01T00:10:00Z")
	later := []string{total("c1", 1, "00:03:00", "00:04:00"), total("c1", 40, "00:02:00", "00:03:00")}
	if d := cmp.Diff(later, h.consume("revenue_backfill")); d != "" {
		t.Errorf("replay -sink-topic sink.revenue=revenue_backfill (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantProd, h.consume("revenue")); d != "" {
		t.Errorf("production revenue after the replays (-want +got):\n%s", d)
	}

	// A replay while another of the pipeline runs is refused before it
	// touches anything; the first goes on. (-exit-when-idle 15s keeps the
	// first one's aggregate stage in its group.)
	var firstOut bytes.Buffer
	first := exec.Command(h.bin, "replay", "-var", "broker="+h.addr, "-exit-when-idle", "15s",
		"-sink-topic", "sink.revenue=revenue_first", "-from", "2026-01-01T00:00:00Z", "-to", "2026-01-01T00:01:00Z", spec)
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Process.Kill(); first.Wait() })
	h.await("the first replay to join its aggregate's group", time.Minute, func() bool {
		return h.assigned("totals.replay.native.aggregate.revenue", "totals.replay.source.orders")
	})
	if out, code := h.run("replay", "-var", "broker="+h.addr, "-from", "-24h", "-to", "now", spec); code != 1 ||
		!strings.Contains(out, "consumer group totals.replay.native.aggregate.revenue has members: is another replay of totals running?") {
		t.Errorf("a second replay while one runs: exit %d, want 1 naming the group\n%s", code, out)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first replay: %v\n%s", err, firstOut.String())
	}
	if d := cmp.Diff(minute0, h.consume("revenue_first")); d != "" {
		t.Errorf("the first replay's output (-want +got):\n%s", d)
	}

	// Bad flags: exit 1, one clear error, no stack trace.
	noBroker := filepath.Join(t.TempDir(), "nobroker.hcl")
	if err := os.WriteFile(noBroker, []byte(strings.Replace(fmt.Sprintf(totalsSpec, "revenue", ""), "broker \"main\" {\n  brokers = [var.broker]\n}", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"to before from", []string{"-from", "2026-01-02T00:00:00Z", "-to", "2026-01-01T00:00:00Z", spec},
			"error: -to (2026-01-01T00:00:00Z) must be after -from (2026-01-02T00:00:00Z)"},
		{"unparsable time", []string{"-from", "yesterday", "-to", "2026-01-01T00:00:00Z", spec},
			`error: -from "yesterday" is neither an RFC 3339 time`},
		{"missing -to", []string{"-from", "-24h", spec}, "error: replay needs both -from and -to"},
		{"unknown target", []string{"-target", "aggregate.revenu", "-from", "-24h", "-to", "-1h", "-var", "broker=" + h.addr, spec},
			`Unknown -target "aggregate.revenu"`},
		{"unknown sink", []string{"-sink-topic", "sink.revenu=x", "-from", "-24h", "-to", "-1h", "-var", "broker=" + h.addr, spec},
			`Did you mean "sink.revenue"?`},
		{"shadow onto a production topic", []string{"-sink-topic", "sink.revenue=orders", "-from", "-24h", "-to", "-1h", "-var", "broker=" + h.addr, spec},
			`Cannot replay sink.revenue into topic "orders": the spec reads or writes that topic`},
		{"no broker block", []string{"-from", "-24h", "-to", "-1h", "-var", "broker=" + h.addr, noBroker}, "Nothing to replay: the spec has no broker block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := h.run(append([]string{"replay"}, tc.args...)...)
			if code != 1 || !strings.Contains(out, tc.want) || strings.Contains(out, "goroutine ") {
				t.Errorf("replay %v: exit %d, want 1 with %q\n%s", tc.args, code, tc.want, out)
			}
		})
	}
}

// productionView returns every consumer group's committed offsets and
// every topic's end offsets, but for the broker's and the workers' own
// topics.
func productionView(t *testing.T, adm *kadm.Client) (map[string]map[string]map[int32]int64, map[string]map[int32]int64) {
	t.Helper()
	ctx := context.Background()
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]map[string]map[int32]int64{}
	for _, g := range listed.Groups() {
		offs, err := adm.FetchOffsets(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]map[int32]int64{}
		offs.Each(func(o kadm.OffsetResponse) {
			if m[o.Topic] == nil {
				m[o.Topic] = map[int32]int64{}
			}
			m[o.Topic][o.Partition] = o.At
		})
		groups[g] = m
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ends := map[string]map[int32]int64{}
	names := topics.Names()
	listedEnds, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		t.Fatal(err)
	}
	listedEnds.Each(func(o kadm.ListedOffset) {
		// Internal topics, and the workers' status reports (_pipeline-status)
		// that grow while they run.
		if strings.HasPrefix(o.Topic, "_") || strings.HasSuffix(o.Topic, ".replay") {
			return
		}
		if ends[o.Topic] == nil {
			ends[o.Topic] = map[int32]int64{}
		}
		ends[o.Topic][o.Partition] = o.Offset
	})
	return groups, ends
}

// listFiles returns the files under dir with their sizes, but for a
// running worker's working store (live-*): its checkpoints.
func listFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() && strings.HasPrefix(info.Name(), "live-") {
			return filepath.SkipDir
		}
		if !info.IsDir() {
			out[path] = info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
