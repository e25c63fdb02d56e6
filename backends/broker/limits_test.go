package broker

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/record"
	"github.com/pipeline-compiler/pipeline/runtime/wasmhost"
)

// TestModuleDeadLettersTooLarge: told its topics' limits (SetTopicLimits,
// as apply does from the cluster's max.message.bytes), the module
// dead-letters an output its topic would refuse as too_large, with the
// output and where it came from, and cuts a dead letter too large for the
// dead-letter topic to fit, keeping the headers that locate the input.
// Redpanda would otherwise refuse the write on every retry.
func TestModuleDeadLettersTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	ctx := context.Background()
	p := loadPipeline(t, "../../examples/lognorm")
	in := wasmhost.Record{Offset: 7, TimestampMs: 1000,
		Value: []byte(`{"level":"error","msg":"` + strings.Repeat("m", 200) + `","service":"api","ts":"2026-01-01T00:00:01Z","host":"web-1"}`)}
	// What lognorm writes for it: the normalized record, keyed by service.
	outValue := `{"host":"web-1","level":"ERROR","msg":"` + strings.Repeat("m", 200) + `","service":"api","ts":"2026-01-01T00:00:01Z"}`
	outSize := record.BatchBytes(len("api"), len(outValue), 0, 0)

	type header struct{ Key, Value string }
	type written struct {
		Topic, Key, Value string
		Headers           []header
	}
	tooLargeHeaders := func(limit int) []header {
		return []header{
			{record.HeaderError, string(record.TooLargeError(outSize, limit, "logs-errors"))},
			{record.HeaderReason, record.ReasonTooLarge},
			{record.HeaderOperator, "sink.errors"},
			{record.HeaderSourceTopic, "raw-logs"},
			{record.HeaderSourceOffset, "7"},
			{record.HeaderTarget, "logs-errors"},
		}
	}
	tests := []struct {
		name   string
		limits map[string]int
		want   []written
		// cut: the dead letter was cut to fit lognorm.dlq's limit; its
		// value, key and error text are checked by length only.
		cut bool
	}{
		{"no limits", nil, []written{{Topic: "logs-errors", Key: "api", Value: outValue}}, false},
		{"fits", map[string]int{"logs-errors": outSize}, []written{{Topic: "logs-errors", Key: "api", Value: outValue}}, false},
		{"one byte over", map[string]int{"logs-errors": outSize - 1},
			[]written{{Topic: "lognorm.dlq", Key: "api", Value: outValue, Headers: tooLargeHeaders(outSize - 1)}}, false},
		{"dead letter cut to fit", map[string]int{"logs-errors": 100, "lognorm.dlq": 300}, nil, true},
	}
	rt, err := wasmhost.NewRuntime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Compile(singleStagePlan(p, ir.BackendBroker), "s0")
			if err != nil {
				t.Fatal(err)
			}
			if err := a.SetTopicLimits(tt.limits); err != nil {
				t.Fatal(err)
			}
			mod, err := a.Host(ctx, rt)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := mod.Start(ctx, a.Transform().Config)
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close(ctx)
			var got []written
			err = inst.Process(ctx, []wasmhost.Record{in}, func(o wasmhost.Output) error {
				w := written{Topic: o.Topic, Key: string(o.Key), Value: string(o.Value)}
				for _, h := range o.Headers {
					w.Headers = append(w.Headers, header{string(h.Key), string(h.Value)})
				}
				if tt.cut {
					hb := 0
					for _, h := range o.Headers {
						hb += record.HeaderBytes(len(h.Key), len(h.Value))
					}
					if size := record.BatchBytes(len(o.Key), len(o.Value), len(o.Headers), hb); size > tt.limits[o.Topic] {
						t.Errorf("the dead letter has %d bytes; lognorm.dlq takes %d", size, tt.limits[o.Topic])
					}
				}
				got = append(got, w)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.cut {
				if d := cmp.Diff(tt.want, got); d != "" {
					t.Errorf("module wrote (-want +got):\n%s", d)
				}
				return
			}
			if len(got) != 1 || got[0].Topic != "lognorm.dlq" {
				t.Fatalf("module wrote %+v, want one dead letter", got)
			}
			hs := map[string]string{}
			for _, h := range got[0].Headers {
				hs[h.Key] = h.Value
			}
			for k, v := range map[string]string{
				record.HeaderReason: record.ReasonTooLarge, record.HeaderSourceOffset: "7",
				record.HeaderTarget: "logs-errors", record.HeaderTruncated: strconv.Itoa(len(outValue)),
			} {
				if hs[k] != v {
					t.Errorf("header %s = %q, want %q", k, hs[k], v)
				}
			}
		})
	}
}
