package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// doublePlan is source.in (max_record_bytes 10000) → map.double (the
// string field twice) → sink.out, in one native stage; in is "topic:NAME"
// or "file:PATH".
func doublePlan(in, delivery string) *ir.Plan {
	inSchema := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.Number, "s": cty.String})}
	outSchema := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.Number, "a": cty.String, "b": cty.String})}
	src := &ir.Source{Format: "json", MaxRecordBytes: 10000}
	kind, name := split(in)
	stageIn := in
	if kind == "file" {
		src.File = name
	} else {
		src.Topic, stageIn = name, name
	}
	return &ir.Plan{
		FormatVersion: ir.FormatVersion,
		Pipeline: &ir.Pipeline{
			Name: "big", Optimize: "cost", DeadLetterTopic: "big.dlq",
			Backends: []*ir.Backend{{Name: ir.BackendNative}},
			Operators: []*ir.Operator{
				{ID: "source.in", Kind: ir.KindSource, Name: "in", Schema: inSchema, Source: src},
				{ID: "map.double", Kind: ir.KindMap, Name: "double", Inputs: []string{"source.in"}, Schema: outSchema,
					Map: &ir.Map{Fields: []ir.Field{
						{Name: "id", Expr: ir.Expr{Source: "record.id"}},
						{Name: "a", Expr: ir.Expr{Source: "record.s"}},
						{Name: "b", Expr: ir.Expr{Source: "record.s"}},
					}}},
				{ID: "sink.out", Kind: ir.KindSink, Name: "out", Inputs: []string{"map.double"}, Schema: outSchema,
					Sink: &ir.Sink{Topic: "out", Format: "json", Delivery: delivery}},
			},
		},
		Stages: []*ir.Stage{{
			ID: "native.1", Backend: ir.BackendNative,
			Operators: []string{"source.in", "map.double", "sink.out"},
			Inputs:    []string{stageIn}, Outputs: []string{"out", "big.dlq"},
		}},
	}
}

// bigInput is the input of the too-large tests: record i has a string of
// sizes[i] bytes. The sink topic takes 2500 bytes, so the 1500-byte string
// doubled (3000+) cannot go there; 12000 bytes is over the source's
// max_record_bytes (10000); the dead-letter topic takes 2000 bytes, so
// both dead letters must be truncated.
var bigSizes = []int{1, 600, 1500, 2, 12000, 3}

func bigRecord(i int) []byte {
	return fmt.Appendf(nil, `{"id":%d,"s":%q}`, i, strings.Repeat("x", bigSizes[i]))
}

// TestTooLargeRecordsAreDeadLettered: an output its topic refuses
// (max.message.bytes) and a source record over max_record_bytes are each
// dead-lettered as too_large, truncated to fit the dead-letter topic with
// their headers and source offset kept, and the records around them are
// delivered once, at least once and exactly once.
func TestTooLargeRecordsAreDeadLettered(t *testing.T) {
	for _, delivery := range []string{ir.AtLeastOnce, ir.ExactlyOnce} {
		t.Run(delivery, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			b, err := embedded.Start(ctx, embedded.Partitions(1))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			adm := kadm.NewClient(cl)
			for topic, limit := range map[string]string{"in": "", "out": "2500", "big.dlq": "2000"} {
				var configs map[string]*string
				if limit != "" {
					configs = map[string]*string{"max.message.bytes": &limit}
				}
				if _, err := adm.CreateTopic(ctx, 1, 1, configs, topic); err != nil {
					t.Fatal(err)
				}
			}
			for i := range bigSizes {
				if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "in", Value: bigRecord(i)}).FirstErr(); err != nil {
					t.Fatal(err)
				}
			}
			if err := worker.Run(ctx, doublePlan("topic:in", delivery),
				worker.Brokers(b.Addrs()...), worker.StateDir(t.TempDir()), worker.ExitWhenIdle(time.Second)); err != nil {
				t.Fatalf("run: %v", err)
			}

			var got []int
			for _, r := range consumeAll(t, b.Addrs(), "out", -1, 2*time.Second) {
				var v struct{ ID int }
				if err := json.Unmarshal(r.Value, &v); err != nil {
					t.Fatalf("output %q: %v", r.Value, err)
				}
				got = append(got, v.ID)
			}
			sort.Ints(got)
			if d := cmp.Diff([]int{0, 1, 3, 5}, got); d != "" {
				t.Errorf("records out (-want +got):\n%s", d)
			}

			// What the map emits for record 2, and record 4 as read.
			doubled := fmt.Sprintf(`{"a":%q,"b":%q,"id":2}`, strings.Repeat("x", 1500), strings.Repeat("x", 1500))
			full := []string{doubled, string(bigRecord(4))}
			want := []map[string]string{
				{record.HeaderReason: "too_large", record.HeaderOperator: "sink.out", record.HeaderTarget: "out",
					record.HeaderSourceTopic: "in", record.HeaderSourceOffset: "2", record.HeaderTruncated: strconv.Itoa(len(doubled))},
				{record.HeaderReason: "too_large", record.HeaderOperator: "source.in",
					record.HeaderSourceTopic: "in", record.HeaderSourceOffset: "4", record.HeaderTruncated: strconv.Itoa(len(bigRecord(4)))},
			}
			var dead []map[string]string
			for i, r := range consumeAll(t, b.Addrs(), "big.dlq", -1, 2*time.Second) {
				h := headers(r)
				if i < len(full) && (!strings.HasPrefix(full[i], string(r.Value)) || len(r.Value) < 1000) {
					t.Errorf("dead letter %d value %.40q… (%d bytes): want the start of %.40q…, cut to about the 2000 bytes the topic takes", i, r.Value, len(r.Value), full[i])
				}
				if h[record.HeaderError] == "" {
					t.Errorf("dead letter without an error header: %v", h)
				}
				delete(h, record.HeaderError)
				delete(h, record.HeaderSourcePartition)
				dead = append(dead, h)
			}
			if d := cmp.Diff(want, dead); d != "" {
				t.Errorf("dead letters' headers (-want +got):\n%s", d)
			}
		})
	}
}

// TestFileLineTooLong: a file source's line longer than max_record_bytes is
// dead-lettered as too_large with its line number, the lines after it are
// read, and the run ends normally; without a broker the dead letter goes
// to the dead-letter file.
func TestFileLineTooLong(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	var lines []string
	for _, i := range []int{0, 4, 5} {
		lines = append(lines, string(bigRecord(i)))
	}
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := doublePlan("file:"+in, ir.AtLeastOnce)
	out := filepath.Join(dir, "out.jsonl")
	plan.Pipeline.Operators[2].Sink = &ir.Sink{File: out, Format: "json", Delivery: ir.AtLeastOnce}
	plan.Stages[0].Outputs = []string{"file:" + out, "big.dlq"}
	dlq := filepath.Join(dir, "dlq.jsonl")
	if err := worker.Run(context.Background(), plan, worker.StateDir(dir), worker.DeadLetterFile(dlq)); err != nil {
		t.Fatalf("run: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 2 {
		t.Errorf("%d records out, want 2 (lines 1 and 3):\n%.200s", n, b)
	}
	b, err = os.ReadFile(dlq)
	if err != nil {
		t.Fatal(err)
	}
	var dl struct {
		Headers map[string]string
		Value   string
	}
	if err := json.Unmarshal(b, &dl); err != nil {
		t.Fatalf("dead-letter file %.200q: %v", b, err)
	}
	if h := dl.Headers; h[record.HeaderReason] != "too_large" || h[record.HeaderSourceOffset] != "1" ||
		h[record.HeaderTruncated] != strconv.Itoa(len(bigRecord(4))) || !strings.Contains(h[record.HeaderError], "line 2") || len(dl.Value) != 10000 {
		t.Errorf("dead letter = %v with a %d-byte value; want too_large, offset 1, line 2, truncated at 10000 of %d bytes", h, len(dl.Value), len(bigRecord(4)))
	}
}
