package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

const (
	crashChildEnv = "PIPELINE_CRASH_CHILD" // broker address, set in the worker subprocess
	crashStateEnv = "PIPELINE_CRASH_STATE"
	crashIdleEnv  = "PIPELINE_CRASH_IDLE"
	crashCaseEnv  = "PIPELINE_CRASH_CASE"
	crashResetEnv = "PIPELINE_CRASH_RESET"
)

// crashCase is a pipeline the crash test runs, with its input and the check
// of its complete output.
type crashCase struct {
	plan   func() *ir.Plan
	record func(i int) *kgo.Record
	check  func(t *testing.T, records int, values [][]byte) (want int)
}

const windowBase = 1_767_225_600_000 // 2026-01-01T00:00:00Z

var crashCases = map[string]crashCase{
	// Stateless: every kept record exactly once.
	"filter": {
		plan:   func() *ir.Plan { return filterPlan("topic:orders", "topic:out", ir.ExactlyOnce) },
		record: func(i int) *kgo.Record { return &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: orderJSON(i)} },
		check: func(t *testing.T, records int, values [][]byte) int {
			want := expectedIDs(records)
			got := ids(t, values)
			if diff := cmp.Diff(want, got); diff != "" {
				seen := map[int]int{}
				for _, id := range got {
					seen[id]++
				}
				var dup, lost int
				for _, id := range want {
					switch seen[id] {
					case 0:
						lost++
					case 1:
					default:
						dup++
					}
				}
				t.Errorf("%d records, want %d: %d lost, %d duplicated", len(got), len(want), lost, dup)
			}
			return len(want)
		},
	},
	// Stateful: a count per key and one-second window. Record i has key
	// i%10 and event time base+i ms, so every window of every key counts
	// exactly 100 records. A lost or replayed state snapshot shows up as a
	// wrong count, a missing window or a window emitted twice.
	"window": {
		plan: windowPlan,
		record: func(i int) *kgo.Record {
			v, _ := json.Marshal(map[string]int{"id": i, "k": i % 10, "ts": windowBase + i})
			return &kgo.Record{Key: []byte(strconv.Itoa(i % 10)), Value: v}
		},
		check: func(t *testing.T, records int, values [][]byte) int {
			type win struct {
				K     int    `json:"k"`
				N     int    `json:"n"`
				Start string `json:"window_start"`
			}
			seen := map[[2]any]int{}
			bad := 0
			for _, v := range values {
				var w win
				if err := json.Unmarshal(v, &w); err != nil {
					t.Fatalf("output %q: %v", v, err)
				}
				seen[[2]any{w.K, w.Start}]++
				if w.N != 100 {
					bad++
					if bad <= 5 {
						t.Errorf("window %s key %d counted %d, want 100", w.Start, w.K, w.N)
					}
				}
			}
			want := records / 100
			dup := 0
			for _, n := range seen {
				if n > 1 {
					dup++
				}
			}
			if len(seen) != want || dup > 0 || bad > 0 {
				t.Errorf("%d distinct windows, want %d; %d emitted more than once; %d with a wrong count", len(seen), want, dup, bad)
			}
			return want
		},
	},
}

// windowPlan is source.orders → aggregate.per_key (count per k, tumbling
// 1s on record.ts) → sink.out, exactly once.
func windowPlan() *ir.Plan {
	in := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.Number, "k": cty.Number, "ts": cty.Number})}
	out := ir.Schema{Type: cty.Object(map[string]cty.Type{"k": cty.Number, "n": cty.Number, "window_start": cty.String, "window_end": cty.String})}
	return &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline: &ir.Pipeline{
			Name: "orders", Optimize: "cost", DeadLetterTopic: "orders.dlq",
			Backends: []*ir.Backend{{Name: ir.BackendNative}},
			Operators: []*ir.Operator{
				{ID: "source.orders", Kind: ir.KindSource, Name: "orders", Schema: in,
					Source: &ir.Source{Topic: "orders", Format: "json", EventTime: &ir.Expr{Source: "record.ts"}}},
				{ID: "aggregate.per_key", Kind: ir.KindAggregate, Name: "per_key", Inputs: []string{"source.orders"}, Schema: out,
					Aggregate: &ir.Aggregate{
						Key:    []ir.Field{{Name: "k", Expr: ir.Expr{Source: "record.k"}}},
						Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 1000},
						Fields: []ir.AggField{{Name: "n", Func: ir.AggCount}},
					}},
				{ID: "sink.out", Kind: ir.KindSink, Name: "out", Inputs: []string{"aggregate.per_key"}, Schema: out,
					Sink: &ir.Sink{Topic: "out", Format: "json", Delivery: ir.ExactlyOnce}},
			},
		},
		Stages: []*ir.Stage{{
			ID: "native.1", Backend: ir.BackendNative,
			Operators: []string{"source.orders", "aggregate.per_key", "sink.out"},
			Inputs:    []string{"orders"}, Outputs: []string{"out", "orders.dlq"},
		}},
	}
}

// TestCrashExactlyOnce kills the worker process with SIGKILL at random
// moments (at least 10 of them while it makes progress) as it moves 100k
// records into an exactly_once sink, then checks with read_committed
// consumers (franz-go and kcat) that every expected record is there
// exactly once.
func TestCrashExactlyOnce(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the worker subprocess")
	}
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	for _, name := range []string{"filter", "window"} {
		t.Run(name, func(t *testing.T) { crashTest(t, name, crashCases[name]) })
	}
	// After a kill -9, a damaged checkpoint must stop the stateful stage,
	// not restart its counts from zero (issue 17 item 1).
	for _, dc := range []struct {
		name   string
		damage func(t *testing.T, snapshot string) (named string)
	}{
		{"damaged offsets", func(t *testing.T, snap string) string {
			f := filepath.Join(snap, "offsets.json")
			if err := os.WriteFile(f, []byte("\x00 not offsets {"), 0o600); err != nil {
				t.Fatal(err)
			}
			return f
		}},
		{"snapshots removed", func(t *testing.T, snap string) string {
			if err := os.RemoveAll(snap); err != nil {
				t.Fatal(err)
			}
			return snap
		}},
	} {
		t.Run("window/"+dc.name, func(t *testing.T) { crashDamageTest(t, crashCases["window"], dc.damage) })
	}
}

// crashDamageTest streams records to the window case's worker, kills it
// with SIGKILL three times, damages every complete snapshot of every
// partition group, and restarts it: the restart must fail with an error
// that names a damaged snapshot and commit nothing; with ResetState it
// must run to the end.
func crashDamageTest(t *testing.T, tc crashCase, damage func(t *testing.T, snapshot string) string) {
	plan := tc.plan()
	if _, err := native.New(plan, "native.1"); err != nil {
		skipIfNoEngine(t, err)
		t.Fatal(err)
	}
	addr := startBroker(t, "-partitions", "3")
	state := t.TempDir()
	const records = 20_000
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("orders"), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produce := func(from, to int) {
		var recs []*kgo.Record
		for i := from; i < to; i++ {
			recs = append(recs, tc.record(i))
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	child := func(env ...string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWorkerChild$", "-test.v")
		cmd.Env = append(append(os.Environ(), crashChildEnv+"="+addr, crashStateEnv+"="+state, crashCaseEnv+"=window"), env...)
		return cmd
	}
	for k := range 3 {
		produce(k*records/4, (k+1)*records/4)
		cmd := child()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		cmd.Process.Kill()
		cmd.Wait()
	}
	produce(3*records/4, records)
	before := len(consumeAll(t, []string{addr}, "out", -1, 2*time.Second))

	snaps, err := filepath.Glob(filepath.Join(worker.StageStateDir(state, plan, plan.Stages[0]), "pg-*", "*", "offsets.json"))
	if err != nil || len(snaps) == 0 {
		t.Fatalf("no checkpoint after the kills in %s (%v): the kills came too early", state, err)
	}
	var named []string
	for _, f := range snaps {
		named = append(named, damage(t, filepath.Dir(f)))
	}
	out, err := child(crashIdleEnv + "=1").CombinedOutput()
	if err == nil {
		t.Fatalf("restart with damaged checkpoints succeeded; want a refusal\n%s", out)
	}
	if !slices.ContainsFunc(named, func(f string) bool { return bytes.Contains(out, []byte(f)) }) ||
		!bytes.Contains(out, []byte("-reset-state")) {
		t.Errorf("refusal names none of the damaged snapshots %q, or not the way out (-reset-state):\n%s", named, out)
	}
	if n := len(consumeAll(t, []string{addr}, "out", -1, 2*time.Second)); n != before {
		t.Errorf("the refused restart committed %d more windows", n-before)
	}

	out, err = child(crashIdleEnv+"=1", crashResetEnv+"=1").CombinedOutput()
	if err != nil {
		t.Fatalf("restart with ResetState: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("state reset")) {
		t.Errorf("restart with ResetState logged no state reset:\n%s", out)
	}
	if n := len(consumeAll(t, []string{addr}, "out", -1, 2*time.Second)); n <= before {
		t.Errorf("restart with ResetState emitted no window (%d before, %d after)", before, n)
	}
}

func crashTest(t *testing.T, name string, tc crashCase) {
	if _, err := native.New(tc.plan(), "native.1"); err != nil {
		skipIfNoEngine(t, err)
		t.Fatal(err)
	}
	records, kills := 100_000, 10
	if v := os.Getenv("PIPELINE_CRASH_RECORDS"); v != "" {
		records, _ = strconv.Atoi(v)
	}
	start := time.Now()
	addr := startBroker(t, "-partitions", "3")

	// Records arrive as a stream over about 40 seconds, so that the kills
	// land while the worker has work to do.
	produced := make(chan error, 1)
	go func() {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("orders"), kgo.AllowAutoTopicCreation())
		if err != nil {
			produced <- err
			return
		}
		defer cl.Close()
		const chunks = 200
		for c := range chunks {
			var recs []*kgo.Record
			for i := c * records / chunks; i < (c+1)*records/chunks; i++ {
				recs = append(recs, tc.record(i))
			}
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				produced <- err
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		produced <- nil
	}()

	state := t.TempDir()
	child := func(idle bool) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWorkerChild$", "-test.v")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+addr, crashStateEnv+"="+state, crashCaseEnv+"="+name)
		if idle {
			cmd.Env = append(cmd.Env, crashIdleEnv+"=1")
		}
		cmd.Stderr = os.Stderr
		return cmd
	}
	plan := tc.plan()
	group := worker.GroupID(plan, plan.Stages[0]) // the stage's identity, not its number
	adminCl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer adminCl.Close()
	adm := kadm.NewClient(adminCl)
	committed := func() int64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return -1
		}
		var n int64
		offs.Each(func(o kadm.OffsetResponse) { n += o.At })
		return n
	}
	midStream, prev := 0, int64(0)
	producing := true
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for i := 0; i < kills || producing; i++ {
		select {
		case err := <-produced:
			if err != nil {
				t.Fatal(err)
			}
			producing = false
		default:
		}
		cmd := child(false)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		d := time.Duration(1000+rng.IntN(3000)) * time.Millisecond
		time.Sleep(d)
		cmd.Process.Kill()
		cmd.Wait()
		c := committed()
		if c > prev && c < int64(records) {
			midStream++
		}
		prev = max(prev, c)
		t.Logf("kill %d after %v: %d input records committed", i+1, d, c)
		kills = max(kills, i+1)
	}
	if midStream < 10 {
		t.Errorf("only %d of %d kills hit a worker in the middle of the stream, want at least 10", midStream, kills)
	}
	if out, err := child(true).Output(); err != nil {
		t.Fatalf("final worker: %v\n%s", err, out)
	}

	var values [][]byte
	for _, r := range consumeAll(t, []string{addr}, "out", -1, 3*time.Second) {
		values = append(values, r.Value)
	}
	want := tc.check(t, records, values)
	if kcat, err := exec.LookPath("kcat"); err == nil {
		// Cross-check with an independent client; kcat reads read_committed.
		out, err := exec.Command(kcat, "-b", addr, "-C", "-t", "out", "-o", "beginning", "-e", "-q").Output()
		if err != nil {
			t.Fatalf("kcat -C: %v", err)
		}
		if n := bytes.Count(out, []byte("\n")); n != want {
			t.Errorf("kcat read %d records, want %d", n, want)
		}
	}
	t.Logf("%d kills (%d while the worker made progress), %d records in, %d out, %v",
		kills, midStream, records, len(values), time.Since(start))
}

// TestCrashWorkerChild is the worker process of TestCrashExactlyOnce.
func TestCrashWorkerChild(t *testing.T) {
	addr := os.Getenv(crashChildEnv)
	if addr == "" {
		t.Skip("only runs as TestCrashExactlyOnce's subprocess")
	}
	tc, ok := crashCases[os.Getenv(crashCaseEnv)]
	if !ok {
		t.Fatalf("unknown crash case %q", os.Getenv(crashCaseEnv))
	}
	opts := []worker.Option{
		worker.Brokers(addr),
		worker.StateDir(os.Getenv(crashStateEnv)),
		worker.InstanceID("crash"),
		worker.Logger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		worker.MaxPollRecords(500),
		worker.ClientOptions(
			kgo.ProducerLinger(0),
			kgo.SessionTimeout(1500*time.Millisecond),
			kgo.HeartbeatInterval(300*time.Millisecond),
			// A member killed in the middle of a rebalance holds the group
			// for the rebalance timeout (default 60s): keep it short.
			kgo.RebalanceTimeout(5*time.Second),
		),
	}
	if os.Getenv(crashIdleEnv) != "" {
		opts = append(opts, worker.ExitWhenIdle(2*time.Second))
	}
	if os.Getenv(crashResetEnv) != "" {
		opts = append(opts, worker.ResetState())
	}
	if os.Getenv("PIPELINE_CRASH_KGO_LOG") != "" {
		opts = append(opts, worker.ClientOptions(kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelInfo, nil))))
	}
	if err := worker.Run(context.Background(), tc.plan(), opts...); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		t.Fatal(err)
	}
}
