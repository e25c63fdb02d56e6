package command

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/files"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestRunLognormInTheWasmHost runs examples/lognorm, which the optimizer
// places on the broker, with `pipeline run` against a Kafka-protocol
// broker: its raw-logs input is produced first, the transform module runs
// in the local WebAssembly host, and the four sink topics must hold what
// the native engine makes of the same records.
func TestRunLognormInTheWasmHost(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the transform module against a broker")
	}
	ctx := context.Background()
	b := testkit.EmbeddedBroker(t)
	const example = "../../../../examples/lognorm"
	dir := t.TempDir()
	for _, f := range []string{"main.hcl", "tests.hcl"} {
		src, err := os.ReadFile(filepath.Join(example, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	brokerBlock := `broker "local" { brokers = ["` + b.Addrs()[0] + `"] }` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "broker.hcl"), []byte(brokerBlock), 0o644); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	data := filepath.Join(example, "data", "raw-logs.jsonl")
	if err := kafka.EnsureTopics(ctx, kadm.NewClient(cl), []string{"raw-logs"}, 1); err != nil {
		t.Fatal(err)
	}
	n, err := kafka.LoadFile(ctx, cl, data, "raw-logs")
	if err != nil || n == 0 {
		t.Fatalf("load %s: %d records, %v", data, n, err)
	}

	res := run(t, nil, "", "run", "-exit-when-idle", "1s", dir)
	check{outHas: []string{"Ran broker.source.raw: " + itoa(n) + " in"}}.verify(t, res)

	want := nativeOutputs(t, example, data)
	topics := map[string]string{"logs-errors": "sink.errors", "logs-warnings": "sink.warnings", "logs-info": "sink.info", "logs-unclassified": "sink.unclassified"}
	total := 0
	for _, recs := range want {
		total += len(recs)
	}
	got := map[string][]string{}
	consumer, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.ConsumeTopics(slices.Collect(maps.Keys(topics))...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	pollCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for count := 0; count < total && pollCtx.Err() == nil; {
		consumer.PollFetches(pollCtx).EachRecord(func(r *kgo.Record) {
			s, err := testrun.Normalize(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			got[topics[r.Topic]] = append(got[topics[r.Topic]], s)
			count++
		})
	}
	for _, recs := range got {
		slices.Sort(recs)
	}
	if len(got) != 4 {
		t.Errorf("records reached %d sink topics, want 4", len(got))
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sink topics differ from the native engine's outputs (-native +wasm host):\n%s", d)
	}
}

// nativeOutputs runs the records in data through the example on the
// native engine and returns the normalized records per sink, sorted.
func nativeOutputs(t *testing.T, dir, data string) map[string][]string {
	t.Helper()
	res, diags := lang.Load(dir, lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	src, err := files.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	given := ir.TestData{Target: "source.raw"}
	for {
		line, err := src.Next()
		if err != nil {
			break
		}
		given.Records = append(given.Records, json.RawMessage(line.Value))
	}
	tb := &ir.Test{Name: "all", Given: []ir.TestData{given}}
	for _, s := range []string{"sink.errors", "sink.warnings", "sink.info", "sink.unclassified"} {
		tb.Expect = append(tb.Expect, ir.TestData{Target: s})
	}
	r, err := testrun.Run(res.Pipeline, tb)
	if err != nil {
		t.Fatal(err)
	}
	return r.Got
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
