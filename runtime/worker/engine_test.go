package worker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// bufferingEngine holds every input until Flush, as a batching engine
// (the WebAssembly host's) does; its Advance and Drain do not flush, so
// outputs reach the sink only if the worker flushes before committing.
type bufferingEngine struct {
	*native.Engine
	pending []native.Input
	flushes *atomic.Int64
}

func (e *bufferingEngine) Process(_ context.Context, in native.Input, _ native.Emitter) error {
	in.Value = append([]byte(nil), in.Value...)
	e.pending = append(e.pending, in)
	return nil
}

func (e *bufferingEngine) Flush(ctx context.Context, out native.Emitter) error {
	e.flushes.Add(1)
	for _, in := range e.pending {
		if err := e.Engine.Process(ctx, in, out); err != nil {
			return err
		}
	}
	e.pending = nil
	return nil
}

// onBroker places filterPlan's stage on the broker backend.
func onBroker(p *ir.Plan) *ir.Plan {
	p.Stages[0].Backend = ir.BackendBroker
	return p
}

func bufferingEngines(flushes *atomic.Int64) worker.Option {
	return worker.StageEngines(ir.BackendBroker, func(_ context.Context, p *ir.Plan, stageID string) (worker.Engine, error) {
		// The same operators on a native engine, behind a buffer.
		q := *p
		st := *p.Stage(stageID)
		st.Backend = ir.BackendNative
		q.Stages = []*ir.Stage{&st}
		eng, err := native.New(&q, stageID)
		if err != nil {
			return nil, err
		}
		return &bufferingEngine{Engine: eng, flushes: flushes}, nil
	})
}

func TestStageEnginesRunOtherBackendsFiles(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "orders.jsonl")
	out := filepath.Join(dir, "big.jsonl")
	var lines []string
	for i := range 300 {
		lines = append(lines, string(orderJSON(i)))
	}
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := onBroker(filterPlan("file:"+in, "file:"+out, ir.AtLeastOnce))
	if err := worker.Run(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a worker without StageEngines ran a broker stage")
	}
	var flushes atomic.Int64
	if err := worker.Run(context.Background(), plan, bufferingEngines(&flushes), worker.DeadLetterFile(filepath.Join(dir, "dlq.jsonl"))); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var values [][]byte
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		values = append(values, []byte(l))
	}
	if diff := cmp.Diff(expectedIDs(300), ids(t, values)); diff != "" {
		t.Errorf("output ids (-want +got):\n%s", diff)
	}
	if flushes.Load() == 0 {
		t.Error("the worker never flushed the engine")
	}
}

func TestStageEnginesRunOtherBackendsTopics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b := testkit.EmbeddedBroker(t, embedded.Partitions(2))
	produce(t, b.Addrs(), "orders", 300, true)
	var flushes atomic.Int64
	var last worker.Progress
	err := worker.Run(ctx, onBroker(filterPlan("topic:orders", "topic:out", ir.AtLeastOnce)),
		worker.Brokers(b.Addrs()...),
		worker.StateDir(t.TempDir()),
		worker.ExitWhenIdle(time.Second),
		bufferingEngines(&flushes),
		worker.OnProgress(func(p worker.Progress) { last = p }))
	if err != nil {
		t.Fatal(err)
	}
	var values [][]byte
	for _, r := range consumeAll(t, b.Addrs(), "out", len(expectedIDs(300)), 2*time.Second) {
		values = append(values, r.Value)
	}
	if diff := cmp.Diff(expectedIDs(300), ids(t, values)); diff != "" {
		t.Errorf("output ids (-want +got):\n%s", diff)
	}
	if dead := consumeAll(t, b.Addrs(), "orders.dlq", 1, 2*time.Second); len(dead) != 1 {
		t.Errorf("got %d dead letters, want 1", len(dead))
	}
	want := []worker.StageProgress{{Stage: "native.1", RecordsIn: 301, RecordsOut: 100, DeadLetters: 1, Done: true}}
	// The watermark is the records' event time, which this test does not fix.
	if diff := cmp.Diff(want, last.Stages, cmpopts.IgnoreFields(worker.StageProgress{}, "WatermarkMs", "HasWatermark")); diff != "" {
		t.Errorf("final progress (-want +got):\n%s", diff)
	}
}
