package worker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/files"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/record"
)

func TestBatchRouting(t *testing.T) {
	r := &stageRunner{
		stage:    &ir.Stage{ID: "s"},
		dlqTopic: "p.dlq",
		targets: map[string][]target{
			"sink.t":   {{topic: "out"}},
			"sink.f":   {{file: "/tmp/x.jsonl"}},
			"filter.c": {{topic: "ch1"}, {topic: "ch2"}},
		},
		streamInputs: map[string]string{"source.s": "in"},
	}
	tests := []struct {
		name      string
		out       native.Output
		wantTopic []string
		wantFiles int
		wantErr   bool
	}{
		{"topic sink", native.Output{Target: "sink.t"}, []string{"out"}, 0, false},
		{"file sink", native.Output{Target: "sink.f"}, nil, 1, false},
		{"every channel", native.Output{Target: "filter.c"}, []string{"ch1", "ch2"}, 0, false},
		{"one keyed channel", native.Output{Target: "filter.c", Topic: "ch2"}, []string{"ch2"}, 0, false},
		{"topic of another target", native.Output{Target: "filter.c", Topic: "out"}, nil, 0, true},
		{"unknown target", native.Output{Target: "sink.nope"}, nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBatch(r)
			err := b.Emit(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Emit() error = %v, wantErr %v", err, tt.wantErr)
			}
			var topics []string
			for _, rec := range b.records {
				topics = append(topics, rec.Topic)
			}
			if diff := cmp.Diff(tt.wantTopic, topics); diff != "" {
				t.Errorf("topics (-want +got):\n%s", diff)
			}
			if len(b.files) != tt.wantFiles {
				t.Errorf("file records = %d, want %d", len(b.files), tt.wantFiles)
			}
		})
	}
}

func TestDeadLetterHeaders(t *testing.T) {
	r := &stageRunner{stage: &ir.Stage{ID: "s"}, dlqTopic: "p.dlq", streamInputs: map[string]string{"source.s": "in"}}
	b := newBatch(r)
	in := native.Input{Stream: "source.s", Partition: 2, Offset: 41, Key: []byte("k"), Value: []byte("{bad")}
	if err := b.DeadLetter(native.DeadLetter{Input: in, Operator: "source.s", Reason: "decode", Err: "invalid character"}); err != nil {
		t.Fatal(err)
	}
	if len(b.records) != 1 {
		t.Fatalf("got %d records", len(b.records))
	}
	rec := b.records[0]
	got := map[string]string{"topic": rec.Topic, "key": string(rec.Key), "value": string(rec.Value)}
	for _, h := range rec.Headers {
		got[h.Key] = string(h.Value)
	}
	want := map[string]string{
		"topic": "p.dlq", "key": "k", "value": "{bad",
		record.HeaderError: "invalid character", record.HeaderReason: "decode", record.HeaderOperator: "source.s",
		record.HeaderSourceTopic: "in", record.HeaderSourcePartition: "2", record.HeaderSourceOffset: "41",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("dead letter (-want +got):\n%s", diff)
	}
}

// TestBatchFileLines emits records for two file sinks, interleaved, from
// one reused value buffer (as the engine emits them), and checks that each
// file gets its own records, in order, whole.
func TestBatchFileLines(t *testing.T) {
	dir := t.TempDir()
	a, c := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "c.jsonl")
	r := &stageRunner{
		stage:   &ir.Stage{ID: "s"},
		targets: map[string][]target{"sink.a": {{file: a}}, "sink.c": {{file: c}}},
		sinks:   map[string]*files.Sink{},
	}
	emits := []struct{ target, value string }{
		{"sink.a", `{"n":1}`}, {"sink.a", `{"n":2}`}, {"sink.c", `{"n":3}`}, {"sink.a", `{"n":4}`}, {"sink.c", `{}`},
	}
	b := newBatch(r)
	var buf []byte
	for _, e := range emits {
		buf = append(buf[:0], e.value...)
		if err := b.Emit(native.Output{Target: e.target, Value: buf}); err != nil {
			t.Fatal(err)
		}
		copy(buf, "XXXXXXX") // the engine reuses its buffer after Emit
	}
	if err := r.writeFiles(b); err != nil {
		t.Fatal(err)
	}
	if err := r.closeFiles(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range []string{a, c} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got[filepath.Base(p)] = string(data)
	}
	want := map[string]string{"a.jsonl": "{\"n\":1}\n{\"n\":2}\n{\"n\":4}\n", "c.jsonl": "{\"n\":3}\n{}\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}
