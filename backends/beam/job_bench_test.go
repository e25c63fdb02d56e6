package beam_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// benchRecords is the input size of the stage benchmarks.
const benchRecords = 100_000

// benchStages are a stateless and a windowed stage over the same orders,
// file to file, so that neither side pays for a broker.
var benchStages = []struct {
	name, spec string
}{
	{"stateless", `
pipeline "bench" {}
source "orders" {
  file   = %q
  schema = object({ id = string, amount = number, customer_id = string, country = string, ts = string })
}
filter "big_us" {
  input = source.orders
  where = record.amount >= 100 && lower(record.country) == "us"
}
map "projected" {
  input  = filter.big_us
  fields = { id = record.id, amount = record.amount, customer = lower(record.customer_id) }
}
sink "out" {
  input = map.projected
  file  = %q
}
`},
	{"windowed", `
pipeline "bench" {}
source "orders" {
  file       = %q
  schema     = object({ id = string, amount = number, customer_id = string, country = string, ts = string })
  event_time = record.ts
}
aggregate "per_minute" {
  input  = source.orders
  key    = { customer = lower(record.customer_id) }
  window = tumbling("1m")
  fields = { orders = count(), total = sum(record.amount) }
}
sink "out" {
  input = aggregate.per_minute
  file  = %q
}
`},
}

// BenchmarkStage runs each stage on native (the worker's file path) and on
// Prism in this process (translated with Build, files read and written by
// KafkaIO), on the same 100k orders. Compare the ns/op of the two
// sub-benchmarks of a stage: each op is one whole run.
//
//	go test ./backends/beam -run '^$' -bench Stage -benchtime 3x
func BenchmarkStage(b *testing.B) {
	beam.Init()
	dir := b.TempDir()
	input := filepath.Join(dir, "orders.jsonl")
	writeOrders(b, input, benchRecords)
	outputs := map[string]int{} // stage → lines the first backend wrote
	for _, st := range benchStages {
		for _, backend := range []string{"native", "prism"} {
			b.Run(st.name+"/"+backend, func(b *testing.B) {
				out := filepath.Join(b.TempDir(), "out.jsonl")
				res, diags := lang.LoadFiles(map[string][]byte{"bench.hcl": fmt.Appendf(nil, st.spec, input, out)}, lang.Options{})
				if diags.HasErrors() {
					b.Fatal(diags.Error())
				}
				plan := oneStage(res.Pipeline, backend)
				for b.Loop() {
					os.Remove(out)
					if err := runOnce(b, plan, backend); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
				// Both backends must have done the same work.
				n := countLines(b, out)
				if want, ok := outputs[st.name]; ok && n != want {
					b.Errorf("%s wrote %d records, the other backend %d", backend, n, want)
				}
				outputs[st.name] = n
			})
		}
	}
}

// oneStage places every operator of p in one stage of the benchmark's
// backend ("prism" or "native").
func oneStage(p *ir.Pipeline, backend string) *ir.Plan {
	if backend == "prism" {
		return beam.OneStage(p, ir.BackendBeam)
	}
	return beam.OneStage(p, ir.BackendNative)
}

func runOnce(b *testing.B, plan *ir.Plan, backend string) error {
	ctx := context.Background()
	if backend == "native" {
		return worker.Run(ctx, plan, worker.StateDir(b.TempDir()))
	}
	io, err := beam.NewKafkaIO(plan, plan.Stages[0].ID, kafkaio.Conn{})
	if err != nil {
		return err
	}
	io.DeadLetterFile = filepath.Join(b.TempDir(), "dlq.jsonl")
	pipe, err := beam.Build(plan, plan.Stages[0].ID, io)
	if err != nil {
		return err
	}
	return beam.Run(ctx, pipe, "bench")
}

// writeOrders writes n orders over ten minutes of event time.
func writeOrders(b *testing.B, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	countries := []string{"US", "us", "DE", "FR"}
	for i := range n {
		sec := i * 600 / n
		fmt.Fprintf(w, `{"id":"o%d","amount":%d,"customer_id":"C%d","country":%q,"ts":"2026-01-01T00:%02d:%02dZ"}`+"\n",
			i, (i*37)%400, i%50, countries[i%4], sec/60, sec%60)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

func countLines(b *testing.B, path string) int {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		n++
	}
	return n
}
