package testrun

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

var (
	x  = testkit.X
	xp = testkit.XP
)

func raws(ss ...string) []json.RawMessage {
	var out []json.RawMessage
	for _, s := range ss {
		out = append(out, json.RawMessage(s))
	}
	return out
}

// pipeline: source.in → filter.big → sink.out, aggregate.sum → sink.sums.
func pipeline() *ir.Pipeline {
	rec := ir.Schema{Type: cty.Object(map[string]cty.Type{"id": cty.String, "k": cty.String, "n": cty.Number, "ts": cty.String})}
	sums := ir.Schema{Type: cty.Object(map[string]cty.Type{"k": cty.String, "total": cty.Number, "window_start": cty.String, "window_end": cty.String})}
	return &ir.Pipeline{Name: "t", Operators: []*ir.Operator{
		{ID: "source.in", Kind: ir.KindSource, Name: "in", Schema: rec, Source: &ir.Source{Topic: "in", Format: "json", EventTime: xp("record.ts")}},
		{ID: "filter.big", Kind: ir.KindFilter, Name: "big", Inputs: []string{"source.in"}, Schema: rec, Filter: &ir.Filter{Where: x("record.n >= 10")}},
		{ID: "aggregate.sum", Kind: ir.KindAggregate, Name: "sum", Inputs: []string{"filter.big"}, Schema: sums,
			Aggregate: &ir.Aggregate{Key: []ir.Field{{Name: "k", Expr: x("record.k")}}, Window: ir.Window{Kind: ir.WindowTumbling, SizeMs: 60_000},
				Fields: []ir.AggField{{Name: "total", Func: ir.AggSum, Arg: xp("record.n")}}}},
		{ID: "sink.out", Kind: ir.KindSink, Name: "out", Inputs: []string{"filter.big"}, Schema: rec, Sink: &ir.Sink{Topic: "out", Format: "json"}},
		{ID: "sink.sums", Kind: ir.KindSink, Name: "sums", Inputs: []string{"aggregate.sum"}, Schema: sums, Sink: &ir.Sink{Topic: "sums", Format: "json"}},
	}}
}

var given = []ir.TestData{{Target: "source.in", Records: raws(
	`{"id":"a","k":"x","n":5,"ts":"2026-01-01T00:00:01Z"}`,
	`{"id":"b","k":"x","n":10,"ts":"2026-01-01T00:00:02Z"}`,
	`{"id":"c","k":"x","n":20.0,"ts":"2026-01-01T00:00:03Z"}`,
	`{"id":"d","k":"x","n":"oops","ts":"2026-01-01T00:00:04Z"}`,
)}}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		expect     []ir.TestData
		wantPassed bool
		wantFailed []string
	}{
		{
			name: "sink and tapped filter match as multisets after normalization",
			expect: []ir.TestData{
				{Target: "sink.sums", Records: raws(`{"window_end":"2026-01-01T00:01:00Z","window_start":"2026-01-01T00:00:00Z","total":30.0,"k":"x"}`)},
				{Target: "filter.big", Records: raws(`{"id":"c","k":"x","n":20,"ts":"2026-01-01T00:00:03Z"}`, `{"id":"b","k":"x","n":1e1,"ts":"2026-01-01T00:00:02Z"}`)},
				{Target: "sink.out", Records: raws(`{"id":"b","k":"x","n":10,"ts":"2026-01-01T00:00:02Z"}`, `{"id":"c","k":"x","n":20,"ts":"2026-01-01T00:00:03Z"}`)},
			},
			wantPassed: true,
		},
		{
			name: "a missing and a wrong record fail with a diff",
			expect: []ir.TestData{
				{Target: "sink.out", Records: raws(`{"id":"b","k":"x","n":10,"ts":"2026-01-01T00:00:02Z"}`)},
				{Target: "sink.sums", Records: raws(`{"k":"x","total":31,"window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T00:01:00Z"}`)},
			},
			wantFailed: []string{"sink.out", "sink.sums"},
		},
		{
			name:       "expecting nothing where records arrive fails",
			expect:     []ir.TestData{{Target: "source.in"}},
			wantFailed: []string{"source.in"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(pipeline(), &ir.Test{Name: tt.name, Given: given, Expect: tt.expect})
			if err != nil {
				t.Fatal(err)
			}
			if res.Passed != tt.wantPassed {
				t.Errorf("Passed = %v, want %v; failures: %+v", res.Passed, tt.wantPassed, res.Failures)
			}
			var failed []string
			for _, f := range res.Failures {
				failed = append(failed, f.Target)
				if f.Diff == "" {
					t.Errorf("failure of %s has no diff", f.Target)
				}
			}
			if d := cmp.Diff(tt.wantFailed, failed); d != "" {
				t.Errorf("failed targets (-want +got):\n%s", d)
			}
			// "oops" does not decode as a number.
			if len(res.DeadLetters) != 1 || res.DeadLetters[0].Reason != "decode" {
				t.Errorf("dead letters = %+v, want one decode failure", res.DeadLetters)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		test *ir.Test
		want string
	}{
		{"given a non-source", &ir.Test{Name: "t", Given: []ir.TestData{{Target: "filter.big"}}}, "not a source"},
		{"expect an unknown stream", &ir.Test{Name: "t", Expect: []ir.TestData{{Target: "map.nope"}}}, "no such stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(pipeline(), tt.test)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRunAllFilter(t *testing.T) {
	p := pipeline()
	p.Tests = []*ir.Test{
		{Name: "one", Given: given, Expect: []ir.TestData{{Target: "sink.sums", Records: raws(`{"k":"x","total":30,"window_start":"2026-01-01T00:00:00Z","window_end":"2026-01-01T00:01:00Z"}`)}}},
		{Name: "two", Given: given},
	}
	res, err := RunAll(p, regexp.MustCompile("^one$"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Test != "one" || !res[0].Passed {
		t.Errorf("RunAll = %+v, want test one, passed", res)
	}
}

type skipRunner struct{}

func (skipRunner) Run(context.Context, *ir.Pipeline, *ir.Test, []string) (Outputs, error) {
	return Outputs{}, &SkipError{Reason: "aggregate.sum keeps state"}
}

type fixedRunner struct{ got map[string][][]byte }

func (r fixedRunner) Run(context.Context, *ir.Pipeline, *ir.Test, []string) (Outputs, error) {
	return Outputs{Got: r.got}, nil
}

func TestRunWithRunner(t *testing.T) {
	test := &ir.Test{Name: "r", Given: given, Expect: []ir.TestData{{Target: "sink.out", Records: raws(`{"id":"b"}`)}}}
	res, err := Run(pipeline(), test, WithRunner(skipRunner{}))
	if err != nil || res.Skipped != "aggregate.sum keeps state" || res.Passed {
		t.Fatalf("skip: got %+v, %v", res, err)
	}
	res, err = Run(pipeline(), test, WithRunner(fixedRunner{got: map[string][][]byte{"sink.out": {[]byte(`{ "id" : "b" }`)}}}))
	if err != nil || !res.Passed {
		t.Fatalf("runner outputs are compared after normalization: got %+v, %v", res, err)
	}
	res, err = Run(pipeline(), test, WithRunner(fixedRunner{got: map[string][][]byte{"sink.out": {[]byte(`{"id":"c"}`)}}}))
	if err != nil || res.Passed || len(res.Failures) != 1 {
		t.Fatalf("a differing runner output fails: got %+v, %v", res, err)
	}
}

// TestNormalizeNumbers: records compare by the numbers' values, with every
// digit of an integer (a float64 would make two neighbouring 64-bit IDs
// equal).
func TestNormalizeNumbers(t *testing.T) {
	for _, tt := range []struct {
		a, b  string
		equal bool
	}{
		{`{"n":150}`, `{"n":150.0}`, true},
		{`{"n":150}`, `{"n":1.5e2}`, true},
		{`{"n":0}`, `{"n":-0}`, true},
		{`{"n":1.5}`, `{"n":15e-1}`, true},
		{`{"id":1234567890123456789}`, `{"id":1234567890123456789}`, true},
		{`{"id":1234567890123456789}`, `{"id":1234567890123456789.0}`, true},
		{`{"id":1234567890123456789}`, `{"id":1234567890123456788}`, false},
		{`{"id":1234567890123456789}`, `{"id":1234567890123456768}`, false},
		{`{"id":[9223372036854775807]}`, `{"id":[9223372036854775806]}`, false},
		{`{"id":-9223372036854775808}`, `{"id":-9223372036854775807}`, false},
		{`{"n":0.1}`, `{"n":0.10000000000000001}`, true}, // one float64
		{`{"n":1e300}`, `{"n":1.0e300}`, true},
	} {
		a, err := Normalize([]byte(tt.a))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Normalize([]byte(tt.b))
		if err != nil {
			t.Fatal(err)
		}
		if (a == b) != tt.equal {
			t.Errorf("%s vs %s: normalized %s and %s, want equal=%v", tt.a, tt.b, a, b, tt.equal)
		}
	}
}
