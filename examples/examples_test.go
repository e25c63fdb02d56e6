package examples_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/backends/native"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/optimizer"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// examples are the example directories; each must load without diagnostics
// and carry at least minTests test blocks.
var examples = []string{"orders", "iot", "payments", "lognorm"}

const minTests = 2

// backendOptions declare the backends as their packages do, as the CLI
// does when it plans.
func backendOptions() []optimizer.Option {
	return []optimizer.Option{
		optimizer.WithCapabilities(ir.BackendBroker, broker.Capabilities()),
		optimizer.WithCapabilities(ir.BackendNative, native.Capabilities()),
		optimizer.WithCapabilities(ir.BackendBeam, beamconfig.Capabilities()),
	}
}

func load(t *testing.T, dir string) *ir.Pipeline {
	t.Helper()
	res, diags := lang.Load(dir, lang.Options{})
	for _, d := range diags {
		t.Errorf("%s", d.Error())
	}
	if res == nil || res.Pipeline == nil {
		t.Fatalf("lang.Load(%s): no pipeline", dir)
	}
	return res.Pipeline
}

func TestExamplesLoadCleanly(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			p := load(t, name)
			if len(p.Tests) < minTests {
				t.Errorf("%d test blocks, want at least %d", len(p.Tests), minTests)
			}
			for _, f := range []string{"README.md", "tests.hcl"} {
				if _, err := os.Stat(filepath.Join(name, f)); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
		})
	}
}

// wantDeadLetters are the dead letters (operator: reason) that example tests
// produce on purpose, by "example/test name"; every other test must produce
// none.
var wantDeadLetters = map[string][]string{
	"orders/a late order is excluded from a window that has fired": {"aggregate.revenue: late"},
}

// TestExampleTests runs every test block of every example on the native
// engine (the reference backend) and reports each differing target.
func TestExampleTests(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			p := load(t, name)
			results, err := testrun.RunAll(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				for _, f := range r.Failures {
					t.Errorf("test %q, %s (-want +got):\n%s", r.Test, f.Target, f.Diff)
				}
				var reasons []string
				for _, d := range r.DeadLetters {
					reasons = append(reasons, d.Operator+": "+d.Reason)
				}
				if d := cmp.Diff(wantDeadLetters[name+"/"+r.Test], reasons); d != "" {
					t.Errorf("test %q: dead letters (-want +got):\n%s", r.Test, d)
					for _, d := range r.DeadLetters {
						t.Logf("test %q: dead letter from %s (%s): %s", r.Test, d.Operator, d.Reason, d.Err)
					}
				}
			}
		})
	}
}

// TestDataMatchesSchemas checks that every line of every data file is a JSON
// object with exactly the attributes of the schema of a source that reads
// it (file sources by path, topic sources by the file named after the topic
// or, failing that, the source).
func TestDataMatchesSchemas(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			p := load(t, name)
			files, err := filepath.Glob(filepath.Join(name, "data", "*.jsonl"))
			if err != nil || len(files) == 0 {
				t.Fatalf("no data files (%v)", err)
			}
			for _, f := range files {
				op := sourceFor(p, name, f)
				if op == nil {
					t.Errorf("%s: no source reads it", f)
					continue
				}
				want := attributeNames(op)
				for i, rec := range readJSONLines(t, f) {
					var got []string
					for k := range rec {
						got = append(got, k)
					}
					sort.Strings(got)
					if d := cmp.Diff(want, got); d != "" {
						t.Errorf("%s:%d: attributes differ from %s's schema (-want +got):\n%s", f, i+1, op.ID, d)
					}
				}
			}
		})
	}
}

// sourceFor returns the source operator that reads data file f of example dir.
func sourceFor(p *ir.Pipeline, dir, f string) *ir.Operator {
	base := filepath.Base(f)
	for _, op := range p.Operators {
		s := op.Source
		if s == nil {
			continue
		}
		switch {
		case s.File != "" && filepath.Clean(filepath.Join(dir, s.File)) == filepath.Clean(f):
			return op
		case s.Topic != "" && (s.Topic+".jsonl" == base || op.Name+".jsonl" == base):
			return op
		}
	}
	return nil
}

func attributeNames(op *ir.Operator) []string {
	var names []string
	for n := range op.Schema.Type.AttributeTypes() {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExpectedOutputs runs each example's whole data set through the
// pipeline and compares what reaches the sinks with the example's expected/
// files: what the sink topics must hold (as a multiset) after the data set
// has gone through. Tables are given first, then each stream in file order.
func TestExpectedOutputs(t *testing.T) {
	tests := []struct {
		example string
		given   map[string]string // source ID → data file
		expect  map[string]string // sink ID → expected file
	}{
		{
			example: "orders",
			given: map[string]string{
				"source.customers": "data/customers.jsonl",
				"source.orders":    "data/orders.jsonl",
			},
			expect: map[string]string{
				"sink.revenue": "expected/revenue-per-customer.jsonl",
				"sink.other":   "expected/orders-other-tiers.jsonl",
			},
		},
		{
			example: "iot",
			given:   map[string]string{"source.readings": "data/readings.jsonl"},
			expect: map[string]string{
				"sink.alerts":   "expected/iot-alerts.jsonl",
				"sink.metrics":  "expected/iot-metrics.jsonl",
				"sink.activity": "expected/iot-activity.jsonl",
			},
		},
		{
			example: "payments",
			given: map[string]string{
				"source.payments":       "data/payments.jsonl",
				"source.authorizations": "data/authorizations.jsonl",
			},
			expect: map[string]string{
				"sink.settled":         "expected/payments-settled.jsonl",
				"sink.merchant_hourly": "expected/merchant-revenue-hourly.jsonl",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			p := load(t, tt.example)
			test := &ir.Test{Name: tt.example + " data set"}
			for _, id := range sortedKeys(tt.given) {
				test.Given = append(test.Given, ir.TestData{Target: id, Records: rawLines(t, filepath.Join(tt.example, tt.given[id]))})
			}
			for _, id := range sortedKeys(tt.expect) {
				test.Expect = append(test.Expect, ir.TestData{Target: id, Records: rawLines(t, filepath.Join(tt.example, tt.expect[id]))})
			}
			r, err := testrun.Run(p, test)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range r.Failures {
				t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
			}
			for _, d := range r.DeadLetters {
				t.Errorf("unexpected dead letter from %s (%s): %s", d.Operator, d.Reason, d.Err)
			}
		})
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func rawLines(t *testing.T, path string) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	for _, rec := range readJSONLines(t, path) {
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestPlansRoundTrip checks, on every example, what CI and apply rely on:
// planning twice gives the same bytes, and a plan decoded from its JSON
// encodes to the same bytes again.
func TestPlansRoundTrip(t *testing.T) {
	for _, name := range examples {
		t.Run(name, func(t *testing.T) {
			encode := func() []byte {
				t.Helper()
				res, diags := lang.Load(name, lang.Options{})
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				plan, diags := optimizer.Plan(res.Pipeline, append(backendOptions(), optimizer.WithSpecHash(res.SpecHash))...)
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				b, err := plan.Encode()
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			first := encode()
			if second := encode(); !bytes.Equal(first, second) {
				t.Fatalf("two plans of the same spec differ:\n%s", cmp.Diff(string(first), string(second)))
			}
			decoded, err := ir.DecodePlan(first)
			if err != nil {
				t.Fatal(err)
			}
			again, err := decoded.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, again) {
				t.Errorf("decode+encode changed the plan:\n%s", cmp.Diff(string(first), string(again)))
			}
		})
	}
}
