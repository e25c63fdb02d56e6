package native

import (
	"context"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// discard counts outputs.
type discard struct{ n, dead int }

func (d *discard) Emit(Output) error           { d.n++; return nil }
func (d *discard) DeadLetter(DeadLetter) error { d.dead++; return nil }

// BenchmarkTumblingAggregate pushes 1M pre-encoded records over 50k keys,
// spread over one or ten one-minute tumbling windows, through Engine.Process:
// source decode, event time, key, window assignment, accumulator update,
// window firing and JSON encoding of the results.
//
//	go test ./runtime/native -run '^$' -bench TumblingAggregate -benchtime 3x
func BenchmarkTumblingAggregate(b *testing.B) {
	for _, windows := range []int{1, 10} {
		b.Run(fmt.Sprintf("windows=%d", windows), func(b *testing.B) { benchAggregate(b, windows) })
	}
}

func benchAggregate(b *testing.B, windows int) {
	const records, keys = 1_000_000, 50_000
	rec := obj(map[string]cty.Type{"k": cty.String, "n": cty.Number, "ts": cty.Number})
	out := obj(map[string]cty.Type{"k": cty.String, "total": cty.Number, "cnt": cty.Number, "largest": cty.Number,
		"window_start": cty.String, "window_end": cty.String})
	plan := planOf(
		source("e", rec, "record.ts"),
		&ir.Operator{ID: "aggregate.a", Kind: ir.KindAggregate, Inputs: []string{"source.e"}, Schema: out,
			Aggregate: &ir.Aggregate{Key: fields("k", "record.k"), Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
				Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}, {Name: "cnt", Func: ir.AggCount},
					{Name: "largest", Func: ir.AggMax, Arg: xp("record.n")}}}},
		sink("out", "aggregate.a", out),
	)
	inputs := make([]Input, records)
	for i := range inputs {
		var v []byte
		v = append(v, `{"k":"customer-`...)
		v = strconv.AppendInt(v, int64(i*7919%keys), 10)
		v = append(v, `","n":`...)
		v = strconv.AppendFloat(v, float64(i%1000)/4, 'f', -1, 64)
		v = append(v, `,"ts":`...)
		v = strconv.AppendInt(v, base+int64(i)*int64(windows)*60_000/records, 10)
		v = append(v, '}')
		inputs[i] = Input{Stream: "source.e", Offset: int64(i), Value: v}
	}
	d, cpu := benchEngine(b, plan, inputs)
	if d.dead != 0 || d.n != windows*keys {
		b.Fatalf("got %d outputs and %d dead letters, want %d and 0", d.n, d.dead, windows*keys)
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(records*b.N), "ns/record")
	// On a shared machine wall time measures the neighbours too; process
	// CPU time (all threads, GC included) is what the work costs.
	b.ReportMetric(float64(records)*float64(b.N)/cpu.Seconds(), "records/cpu-s")
}

// benchEngine runs inputs through a new engine of plan's stage "s" per
// iteration, drained at the end, and returns the last iteration's outputs
// and the process CPU time the iterations took.
func benchEngine(b *testing.B, plan *ir.Plan, inputs []Input) (discard, time.Duration) {
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	var d discard
	for range b.N {
		e, err := New(plan, "s")
		if err != nil {
			b.Fatal(err)
		}
		d = discard{}
		for _, in := range inputs {
			if err := e.Process(ctx, in, &d); err != nil {
				b.Fatal(err)
			}
		}
		if err := e.Drain(ctx, &d); err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
	b.StopTimer()
	return d, cpuTime() - cpu0
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
