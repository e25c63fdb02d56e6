package broker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/wasmhost"
)

// BenchmarkLognorm runs examples/lognorm's stage over its data (150 messy
// log lines, cycled) on the native engine and through the transform
// module in the WebAssembly host, side by side. One op is one record; the
// figures in BENCHMARKS.md come from
//
//	go test ./backends/broker -run '^$' -bench Lognorm -benchtime 1000000x
func BenchmarkLognorm(b *testing.B) {
	ctx := context.Background()
	p := loadPipeline(b, "../../examples/lognorm")
	raw, err := os.ReadFile(filepath.Join("../../examples/lognorm/data/raw-logs.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var lines [][]byte
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		lines = append(lines, []byte(l))
	}
	input := func(i int) native.Input {
		return native.Input{Stream: "source.raw", Offset: int64(i), Value: lines[i%len(lines)], TimestampMs: 1}
	}
	run := func(b *testing.B, eng interface {
		Process(context.Context, native.Input, native.Emitter) error
		Drain(context.Context, native.Emitter) error
	}) {
		var out counter
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			if err := eng.Process(ctx, input(i), &out); err != nil {
				b.Fatal(err)
			}
		}
		if err := eng.Drain(ctx, &out); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		if out.n == 0 {
			b.Fatal("no outputs")
		}
	}
	b.Run("native", func(b *testing.B) {
		eng, err := native.New(singleStagePlan(p, ir.BackendNative), "s0")
		if err != nil {
			b.Fatal(err)
		}
		defer eng.Close()
		run(b, eng)
	})
	b.Run("wasm", func(b *testing.B) {
		a, err := Compile(singleStagePlan(p, ir.BackendBroker), "s0")
		if err != nil {
			b.Fatal(err)
		}
		rt, err := wasmhost.NewRuntime(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer rt.Close(ctx)
		m, err := a.Host(ctx, rt)
		if err != nil {
			b.Fatal(err)
		}
		tr := a.Transform()
		if g := os.Getenv("BENCH_GOGC"); g != "" {
			tr.Env = map[string]string{"GOGC": g}
		}
		eng, err := wasmhost.NewEngine(ctx, m, tr)
		if err != nil {
			b.Fatal(err)
		}
		defer eng.Close()
		run(b, eng)
		b.ReportMetric(float64(eng.Instance().MemoryBytes()), "wasm-memory-bytes")
	})
}

// counter counts outputs and dead letters.
type counter struct{ n, dead int }

func (c *counter) Emit(native.Output) error           { c.n++; return nil }
func (c *counter) DeadLetter(native.DeadLetter) error { c.dead++; return nil }
