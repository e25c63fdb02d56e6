package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
)

// copySpec copies testdata/NAME into a temporary directory, so apply's state
// and file sinks stay out of the source tree.
func copySpec(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	src := filepath.Join("testdata", name)
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			if d.Name() == "out" || d.Name() == ".pipeline" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestApplyOnTheEmbeddedBroker(t *testing.T) {
	dir := copySpec(t, "local")
	res := run(t, nil, "", "apply", "-auto-approve", dir)
	check{
		outHas: []string{
			"Plan: 1 stage (native)",
			"Embedded Kafka-protocol broker listening on 127.0.0.1:",
			"sink.big: 2 records in topic big-orders\n",
			"sink.all: 3 records in " + filepath.Join(dir, "out/all.jsonl") + "\n",
			"1 record went to the dead-letter topic local.dlq.",
			"Apply complete.",
		},
	}.verify(t, res)
	// The table shows the big orders and not the small one.
	if !strings.Contains(res.stdout, "150") || !strings.Contains(res.stdout, "300") {
		t.Errorf("results table lacks the big orders:\n%s", res.stdout)
	}
	st, err := state.Read(state.Dir(dir))
	if err != nil || st == nil {
		t.Fatalf("no state after apply: %v", err)
	}
	if st.Serial != 1 || st.Pipeline != "local" || len(st.Stages) != 1 || st.Broker[0] != "embedded" {
		t.Errorf("state = %+v", st)
	}
	fi, err := os.Stat(filepath.Join(state.Dir(dir), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state.json mode %o, want 600", fi.Mode().Perm())
	}
}

func TestApplyRefuses(t *testing.T) {
	t.Run("without -auto-approve and no terminal", func(t *testing.T) {
		dir := copySpec(t, "local")
		check{code: 1, errHas: []string{"apply needs -auto-approve when stdin is not a terminal"}}.verify(t, run(t, nil, "yes\n", "apply", dir))
		if _, err := os.Stat(filepath.Join(state.Dir(dir), "state.json")); err == nil {
			t.Error("a refused apply wrote state")
		}
	})
	t.Run("a plan whose spec changed", func(t *testing.T) {
		dir := copySpec(t, "local")
		planFile := filepath.Join(t.TempDir(), "local.plan")
		check{}.verify(t, run(t, nil, "", "plan", "-out", planFile, dir))
		spec := filepath.Join(dir, "local.hcl")
		b, _ := os.ReadFile(spec)
		if err := os.WriteFile(spec, []byte(strings.Replace(string(b), "default = 100", "default = 200", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		check{code: 1, errHas: []string{"Saved plan is stale: the spec at " + dir + " changed"}}.verify(t, run(t, nil, "", "apply", "-auto-approve", planFile))
	})
	t.Run("a plan made before another apply", func(t *testing.T) {
		dir := copySpec(t, "local")
		planFile := filepath.Join(t.TempDir(), "local.plan")
		check{}.verify(t, run(t, nil, "", "plan", "-out", planFile, dir))
		check{}.verify(t, run(t, nil, "", "apply", "-auto-approve", dir))
		check{code: 1, errHas: []string{"Saved plan is stale: the state changed since the plan was made (serial 0, now 1)"}}.verify(t, run(t, nil, "", "apply", "-auto-approve", planFile))
	})
	t.Run("a fresh saved plan applies", func(t *testing.T) {
		dir := copySpec(t, "local")
		planFile := filepath.Join(t.TempDir(), "local.plan")
		check{}.verify(t, run(t, nil, "", "plan", "-out", planFile, dir))
		check{outHas: []string{"sink.big: 2 records"}}.verify(t, run(t, nil, "", "apply", "-auto-approve", planFile))
	})
}

func TestRunFileToFile(t *testing.T) {
	dir := copySpec(t, "local")
	check{outHas: []string{"Ran native.source.orders: 4 in"}}.verify(t, run(t, nil, "", "run", dir))
	n, err := countLines(filepath.Join(dir, "out/all.jsonl"))
	if err != nil || n != 3 {
		t.Errorf("out/all.jsonl has %d records (%v), want 3", n, err)
	}
}

func TestPlanDetailedExitCodeAfterApply(t *testing.T) {
	dir := copySpec(t, "local")
	check{code: 2}.verify(t, run(t, nil, "", "plan", "-detailed-exitcode", dir))
	check{}.verify(t, run(t, nil, "", "apply", "-auto-approve", dir))
	check{code: 0}.verify(t, run(t, nil, "", "plan", "-detailed-exitcode", dir))
	check{code: 2}.verify(t, run(t, nil, "", "plan", "-detailed-exitcode", "-var", "min_amount=5", dir))
}

func TestResultColumnsFollowTheSpec(t *testing.T) {
	schema := ir.Schema{Type: cty.Object(map[string]cty.Type{
		"customer": cty.String, "total": cty.Number, "window_start": cty.String, "window_end": cty.String})}
	p := &ir.Pipeline{Operators: []*ir.Operator{
		{ID: "aggregate.rev", Schema: schema, Inputs: []string{"source.x"}, Aggregate: &ir.Aggregate{
			Key: []ir.Field{{Name: "customer"}}, Fields: []ir.AggField{{Name: "total", Func: "sum"}}}},
		{ID: "filter.big", Schema: schema, Inputs: []string{"aggregate.rev"}, Filter: &ir.Filter{}},
		{ID: "sink.rev", Schema: schema, Inputs: []string{"filter.big"}, Sink: &ir.Sink{}},
		{ID: "sink.raw", Schema: schema, Inputs: []string{"source.x"}, Sink: &ir.Sink{}},
	}}
	tests := map[string][]string{
		// through the filter to the aggregate: keys, fields, window bounds
		"sink.rev": {"customer", "total", "window_start", "window_end"},
		// a source declares no order: sorted
		"sink.raw": {"customer", "total", "window_end", "window_start"},
	}
	for sink, want := range tests {
		if d := cmp.Diff(want, columns(p, p.Operator(sink))); d != "" {
			t.Errorf("columns(%s) (-want +got):\n%s", sink, d)
		}
	}
}

// TestApplyRunsABrokerStageBetweenNativeStages pins the filter on the
// broker: apply runs it in the local WebAssembly host between the native
// stage that reads the file and the one that writes the exactly-once sink.
func TestApplyRunsABrokerStageBetweenNativeStages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the transform module")
	}
	dir := copySpec(t, "local")
	spec := filepath.Join(dir, "local.hcl")
	b, _ := os.ReadFile(spec)
	pinned := strings.Replace(string(b), "where = record.amount >= var.min_amount", "where = record.amount >= var.min_amount\n  backend = \"broker\"", 1)
	if err := os.WriteFile(spec, []byte(pinned+"\nbackend \"broker\" {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check{outHas: []string{"broker.filter.big", "sink.big: 2 records in topic big-orders\n", "Apply complete."}}.verify(t,
		run(t, nil, "", "apply", "-auto-approve", "-exit-when-idle", "1s", dir))
}
