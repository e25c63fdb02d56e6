package worker

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
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
