package avroorders

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/pipeline-compiler/pipeline/runtime/stateless"
)

// The peer benchmark's job (bench/spec/orders_filter.hcl) with a topic
// source of FORMAT.
const spec = `
pipeline "orders" {}
source "orders" {
  topic = "orders"
  %s
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
  topic = "out"
}
`

const avsc = `{"type":"record","name":"Order","fields":[
 {"name":"id","type":"string"},{"name":"amount","type":"double"},{"name":"customer_id","type":"string"},
 {"name":"country","type":"string"},{"name":"ts","type":"string"}]}`

// job loads the spec with the source attributes src and returns its one
// stage's processor.
func job(tb testing.TB, src string) *stateless.Processor {
	tb.Helper()
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), fmt.Appendf(nil, spec, src), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "orders.avsc"), []byte(avsc), 0o644); err != nil {
		tb.Fatal(err)
	}
	res, diags := lang.Load(dir, lang.Options{})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	st := &ir.Stage{ID: "s0", Backend: ir.BackendNative}
	for _, op := range res.Pipeline.Operators {
		st.Operators = append(st.Operators, op.ID)
	}
	p, err := stateless.New(&ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: res.Pipeline, Stages: []*ir.Stage{st}}, "s0")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// orders returns n orders as JSON and the same orders as framed Avro, in
// the shape of the peer benchmark's generator (about a third US, amounts
// 1..500).
func orders(tb testing.TB, n int) (jsonRecs, avroRecs [][]byte) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	countries := []string{"US", "us", "DE", "FR", "GB", "JP"}
	codec, err := eval.NewCodecFor(eval.CodecSpec{Format: eval.FormatAvro, Schema: &ir.SchemaDoc{Format: eval.FormatAvro, Text: avsc, ID: 1}})
	if err != nil {
		tb.Fatal(err)
	}
	jsonCodec, _ := eval.NewCodec(eval.FormatJSON)
	rt, err := eval.SchemaType(&ir.SchemaDoc{Format: eval.FormatAvro, Text: avsc})
	if err != nil {
		tb.Fatal(err)
	}
	layout := eval.NewLayout(rt)
	var r eval.Record
	for i := range n {
		j := fmt.Appendf(nil, `{"id":"o%d","amount":%d.%02d,"customer_id":"C%d","country":%q,"ts":"2026-01-01T00:%02d:%02dZ"}`,
			i, 1+rng.IntN(500), rng.IntN(100), rng.IntN(1000), countries[rng.IntN(len(countries))], i/60%60, i%60)
		if err := jsonCodec.Decode(layout, nil, j, &r); err != nil {
			tb.Fatal(err)
		}
		a, err := eval.AppendRecord(codec, nil, &r)
		if err != nil {
			tb.Fatal(err)
		}
		jsonRecs, avroRecs = append(jsonRecs, j), append(avroRecs, a)
	}
	return jsonRecs, avroRecs
}

const (
	jsonSource = `format = "json"
  schema = object({ id = string, amount = number, customer_id = string, country = string, ts = string })`
	avroSource = `format = "avro"
  schema_file = "orders.avsc"`
)

// outputs collects what a processor wrote.
type outputs struct{ values []string }

func (o *outputs) Emit(out record.Output) error {
	o.values = append(o.values, string(out.Value))
	return nil
}
func (o *outputs) DeadLetter(d record.DeadLetter) error {
	return fmt.Errorf("dead letter %s: %s", d.Reason, d.Err)
}

// TestAvroAndJSONAgree checks that the benchmark compares like with like:
// the same orders give the same outputs in either format.
func TestAvroAndJSONAgree(t *testing.T) {
	js, as := orders(t, 2000)
	got := map[string]*outputs{"json": {}, "avro": {}}
	for name, run := range map[string]struct {
		src  string
		recs [][]byte
	}{"json": {jsonSource, js}, "avro": {avroSource, as}} {
		p := job(t, run.src)
		for i, v := range run.recs {
			if err := p.Process(record.Input{Stream: "source.orders", Offset: int64(i), Value: v, TimestampMs: 1}, got[name]); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(got["json"].values) < 100 {
		t.Fatalf("only %d outputs: the filter keeps too little to compare", len(got["json"].values))
	}
	if diff := cmp.Diff(got["json"].values, got["avro"].values); diff != "" {
		t.Errorf("outputs differ (-json +avro):\n%s", diff)
	}
}

// BenchmarkOrdersAvroVersusJSON runs the filter + project job over the
// same orders as JSON and as Avro, alternating batches of 10,000 so both
// see the same machine, and reports records/s of each and Avro's speedup.
// Issue 12's target: Avro at least as fast as JSON (speedup >= 1).
//
//	go test ./bench/avroorders -run '^$' -bench AvroVersusJSON -benchtime 1000000x -count 3
func BenchmarkOrdersAvroVersusJSON(b *testing.B) {
	js, as := orders(b, 10_000)
	procs := map[string]*stateless.Processor{"json": job(b, jsonSource), "avro": job(b, avroSource)}
	recs := map[string][][]byte{"json": js, "avro": as}
	spent := map[string]time.Duration{}
	var out discard
	b.ResetTimer()
	for n := 0; n < b.N; n += len(js) {
		for _, name := range []string{"json", "avro"} {
			start := time.Now()
			for i := n; i < min(n+len(js), b.N); i++ {
				in := record.Input{Stream: "source.orders", Offset: int64(i), Value: recs[name][i%len(js)], TimestampMs: 1}
				if err := procs[name].Process(in, out); err != nil {
					b.Fatal(err)
				}
			}
			spent[name] += time.Since(start)
		}
	}
	b.StopTimer()
	for name, d := range spent {
		b.ReportMetric(float64(b.N)/d.Seconds(), name+"-records/s")
	}
	b.ReportMetric(float64(spent["json"])/float64(spent["avro"]), "avro-speedup")
}

type discard struct{}

func (discard) Emit(record.Output) error           { return nil }
func (discard) DeadLetter(record.DeadLetter) error { return nil }
