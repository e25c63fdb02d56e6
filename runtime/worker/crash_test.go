package worker_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

const (
	crashChildEnv = "PIPELINE_CRASH_CHILD" // broker address, set in the worker subprocess
	crashStateEnv = "PIPELINE_CRASH_STATE"
	crashIdleEnv  = "PIPELINE_CRASH_IDLE"
)

// TestCrashExactlyOnce kills the worker process with SIGKILL at random
// moments while it moves records into an exactly_once sink, then checks
// that a read_committed consumer sees every expected record exactly once.
func TestCrashExactlyOnce(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the worker subprocess")
	}
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	if _, err := native.New(filterPlan("topic:orders", "topic:out", ir.ExactlyOnce), "native.1"); err != nil {
		skipIfNoEngine(t, err)
		t.Fatal(err)
	}
	records, kills := 100_000, 10
	if v := os.Getenv("PIPELINE_CRASH_RECORDS"); v != "" {
		records, _ = strconv.Atoi(v)
	}
	start := time.Now()
	addr := startBroker(t, "-partitions", "3")

	// Records arrive as a stream over about 40 seconds, so that every kill
	// lands while the worker has work to do.
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
				recs = append(recs, &kgo.Record{Key: []byte(strconv.Itoa(i)), Value: orderJSON(i)})
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
		cmd.Env = append(os.Environ(), crashChildEnv+"="+addr, crashStateEnv+"="+state)
		if idle {
			cmd.Env = append(cmd.Env, crashIdleEnv+"=1")
		}
		cmd.Stderr = os.Stderr
		return cmd
	}
	adminCl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer adminCl.Close()
	adm := kadm.NewClient(adminCl)
	committed := func() int64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		offs, err := adm.FetchOffsets(ctx, "orders.native.1")
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
	cmd := child(true)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("final worker: %v\n%s", err, out)
	}

	want := expectedIDs(records)
	var values [][]byte
	for _, r := range consumeAll(t, []string{addr}, "out", -1, 3*time.Second) {
		values = append(values, r.Value)
	}
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
		t.Fatalf("after %d kills: %d records, want %d: %d lost, %d duplicated", kills, len(got), len(want), lost, dup)
	}
	t.Logf("%d kills, %d records in, %d out exactly once, %v", kills, records, len(got), time.Since(start))
}

// TestCrashWorkerChild is the worker process of TestCrashExactlyOnce.
func TestCrashWorkerChild(t *testing.T) {
	addr := os.Getenv(crashChildEnv)
	if addr == "" {
		t.Skip("only runs as TestCrashExactlyOnce's subprocess")
	}
	opts := []worker.Option{
		worker.Brokers(addr),
		worker.StateDir(os.Getenv(crashStateEnv)),
		worker.InstanceID("crash"),
		worker.Logger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))),
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
	if os.Getenv("PIPELINE_CRASH_KGO_LOG") != "" {
		opts = append(opts, worker.ClientOptions(kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelInfo, nil))))
	}
	err := worker.Run(context.Background(), filterPlan("topic:orders", "topic:out", ir.ExactlyOnce), opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		t.Fatal(err)
	}
}
