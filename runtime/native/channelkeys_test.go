package native

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

// outputs is an Emitter that keeps every Output (with copied bytes).
type outputs struct {
	got  []Output
	dead []string
}

func (o *outputs) Emit(out Output) error {
	out.Key = append([]byte(nil), out.Key...)
	out.Value = nil // compared elsewhere
	o.got = append(o.got, out)
	return nil
}

func (o *outputs) DeadLetter(d DeadLetter) error {
	o.dead = append(o.dead, d.Operator+" "+d.Reason)
	return nil
}

func TestChannelKeys(t *testing.T) {
	ops := []*ir.Operator{
		source("e", event, "record.ts"),
		{ID: "filter.f", Kind: ir.KindFilter, Inputs: []string{"source.e"}, Schema: event, Filter: &ir.Filter{Where: x("true")}},
		sink("a", "filter.f", event),
		sink("b", "filter.f", event),
	}
	ch := func(to, topic string, keys ...string) *ir.Channel {
		c := &ir.Channel{From: "filter.f", To: to, Topic: topic, Stream: "filter.f"}
		for _, k := range keys {
			c.Key = append(c.Key, x(k))
		}
		return c
	}
	tests := []struct {
		name     string
		channels []*ir.Channel
		input    Input
		want     []Output
		wantDead []string
	}{
		{
			name:     "one string key is its raw bytes",
			channels: []*ir.Channel{ch("sink.a", "t.a", "record.k")},
			input:    ev("source.e", "1", "cust", 5, 1),
			want:     []Output{{Target: "filter.f", Topic: "t.a", Key: []byte("cust"), TimestampMs: 1}},
		},
		{
			name:     "a number key is its JSON",
			channels: []*ir.Channel{ch("sink.a", "t.a", "record.n")},
			input:    ev("source.e", "1", "cust", 5, 1),
			want:     []Output{{Target: "filter.f", Topic: "t.a", Key: []byte("5"), TimestampMs: 1}},
		},
		{
			name:     "several keys are a JSON array",
			channels: []*ir.Channel{ch("sink.a", "t.a", "lower(record.k)", "record.n")},
			input:    ev("source.e", "1", "CUST", 5, 1),
			want:     []Output{{Target: "filter.f", Topic: "t.a", Key: []byte(`["cust",5]`), TimestampMs: 1}},
		},
		{
			name:     "a null key is null, not missing",
			channels: []*ir.Channel{ch("sink.a", "t.a", "record.k")},
			input:    in("source.e", 0, `{"id":"1","n":5,"ts":1}`),
			want:     []Output{{Target: "filter.f", Topic: "t.a", Key: []byte("null"), TimestampMs: 1}},
		},
		{
			name:     "a stream feeding channels keyed differently is emitted once per topic",
			channels: []*ir.Channel{ch("sink.a", "t.by.a", "record.k"), ch("sink.b", "t.by.b", "record.id")},
			input:    ev("source.e", "1", "cust", 5, 1),
			want: []Output{
				{Target: "filter.f", Topic: "t.by.a", Key: []byte("cust"), TimestampMs: 1},
				{Target: "filter.f", Topic: "t.by.b", Key: []byte("1"), TimestampMs: 1},
			},
		},
		{
			name:     "an unkeyed channel next to a keyed one gets no key",
			channels: []*ir.Channel{ch("sink.a", "t", ""), ch("sink.b", "t.by.b", "record.id")},
			input:    ev("source.e", "1", "cust", 5, 1),
			want: []Output{
				{Target: "filter.f", Topic: "t", TimestampMs: 1},
				{Target: "filter.f", Topic: "t.by.b", Key: []byte("1"), TimestampMs: 1},
			},
		},
		{
			name:     "unkeyed channels sharing a topic emit once, naming it",
			channels: []*ir.Channel{ch("sink.a", "t"), ch("sink.b", "t")},
			input:    ev("source.e", "1", "cust", 5, 1),
			want:     []Output{{Target: "filter.f", Topic: "t", TimestampMs: 1}},
		},
		{
			name:     "a key that fails to evaluate is a dead letter of the consumer",
			channels: []*ir.Channel{ch("sink.a", "t.a", "upper(record.k)")},
			input:    in("source.e", 0, `{"id":"1","n":5,"ts":1}`),
			wantDead: []string{"sink.a eval"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range tt.channels {
				if len(c.Key) == 1 && c.Key[0].Source == "" {
					c.Key = nil
				}
			}
			plan := planOf(ops...)
			plan.Stages = []*ir.Stage{
				{ID: "s1", Backend: ir.BackendNative, Operators: []string{"source.e", "filter.f"}},
				{ID: "s2", Backend: ir.BackendNative, Operators: []string{"sink.a", "sink.b"}},
			}
			plan.Channels = tt.channels
			e, err := New(plan, "s1")
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			got := &outputs{}
			if err := e.Process(context.Background(), tt.input, got); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got.got); d != "" {
				t.Errorf("outputs (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantDead, got.dead); d != "" {
				t.Errorf("dead letters (-want +got):\n%s", d)
			}
		})
	}
}

func TestChannelKeyCompileError(t *testing.T) {
	plan := planOf(source("e", event, ""), sink("a", "source.e", event))
	plan.Stages = []*ir.Stage{
		{ID: "s1", Backend: ir.BackendNative, Operators: []string{"source.e"}},
		{ID: "s2", Backend: ir.BackendNative, Operators: []string{"sink.a"}},
	}
	plan.Channels = []*ir.Channel{{From: "source.e", To: "sink.a", Topic: "t", Stream: "source.e", Key: []ir.Expr{x("record.nope")}}}
	if _, err := New(plan, "s1"); err == nil {
		t.Fatal("New accepted a channel key over an unknown attribute")
	}
}
