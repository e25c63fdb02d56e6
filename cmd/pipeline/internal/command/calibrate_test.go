package command

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
)

// sessionsSpec enables beam beside native: with the built-in costs the
// session aggregate stays on native (beam's job submission costs more than
// it saves); a profile can say otherwise.
const sessionsSpec = `pipeline "clicks" {}

backend "beam" {}

source "clicks" {
  topic      = "clicks"
  format     = "json"
  schema     = object({ user = string, ts = string })
  event_time = record.ts
  stats {
    rate = 100000
  }
}

aggregate "sessions" {
  input  = source.clicks
  key    = { user = record.user }
  window = session("30s")
  fields = { clicks = count() }
}

sink "sessions" {
  input  = aggregate.sessions
  topic  = "sessions"
  format = "json"
}
`

// profileJSON is a cost profile measuring every kind on native and beam at
// the given costs (ns per record).
func profileJSON(t *testing.T, nativeNs, beamNs float64) []byte {
	t.Helper()
	p := &costprofile.Profile{FormatVersion: costprofile.FormatVersion, Pipeline: "clicks", MeasuredAt: "2026-11-24T11:00:00Z",
		Machine: costprofile.Machine{Cores: 2, GOOS: "linux", GOARCH: "amd64", GoVersion: "go1.26"}, Duration: "1ms",
		Backends: map[string]costprofile.Measurements{"native": {}, "beam": {}}}
	for _, k := range []ir.Kind{ir.KindSource, ir.KindAggregate, ir.KindSink} {
		p.Backends["native"][k] = costprofile.Measurement{NsPerRecord: nativeNs, Operator: "x", Records: 1}
		p.Backends["beam"][k] = costprofile.Measurement{NsPerRecord: beamNs, Operator: "x", Records: 1}
	}
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sessionsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.hcl"), []byte(sessionsSpec))
	return dir
}

// planJSON plans dir with args and decodes the JSON.
func planJSON(t *testing.T, args ...string) *ir.Plan {
	t.Helper()
	r := run(t, nil, "", append([]string{"plan", "-json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("plan -json %v: %+v", args, r)
	}
	var p ir.Plan
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func backendOf(p *ir.Plan, op string) string {
	if s := p.StageOf(op); s != nil {
		return s.Backend
	}
	return ""
}

// TestPlanUsesCostProfile checks that plan prices the backends with the
// profile beside the spec or the one -cost-profile names, says which, and
// that a profile that makes beam cheap moves the aggregate there.
func TestPlanUsesCostProfile(t *testing.T) {
	dir := sessionsDir(t)
	beside := filepath.Join(dir, costprofile.DefaultFile)
	other := filepath.Join(t.TempDir(), "slow-beam.json")
	writeFile(t, other, profileJSON(t, 100, 1e6))

	def := planJSON(t, dir)
	if got := backendOf(def, "aggregate.sessions"); got != "native" || def.CostProfile != nil {
		t.Fatalf("with the built-in costs: aggregate on %q, profile %+v; want native and none", got, def.CostProfile)
	}
	check{outHas: []string{"Cost profile: built-in defaults\n"}}.verify(t, run(t, nil, "", "plan", dir))

	writeFile(t, beside, profileJSON(t, 1e5, 1))
	cheap := planJSON(t, dir)
	if got := backendOf(cheap, "aggregate.sessions"); got != "beam" {
		t.Errorf("with a profile that makes beam cheap: aggregate on %q, want beam", got)
	}
	want := &ir.CostProfile{File: beside, Hash: ir.Hash(profileJSON(t, 1e5, 1)), MeasuredAt: "2026-11-24T11:00:00Z", Cores: 2}
	if diff := cmp.Diff(want, cheap.CostProfile); diff != "" {
		t.Errorf("plan -json cost_profile (-want +got):\n%s", diff)
	}
	check{outHas: []string{"Cost profile: " + beside + " (measured 2026-11-24 on 2 cores)\n", "Stage beam.source.clicks on beam"}}.
		verify(t, run(t, nil, "", "plan", dir))

	explicit := planJSON(t, "-cost-profile", other, dir)
	if got := backendOf(explicit, "aggregate.sessions"); got != "native" || explicit.CostProfile == nil || explicit.CostProfile.File != other {
		t.Errorf("-cost-profile %s: aggregate on %q, profile %+v; want native and that profile", other, got, explicit.CostProfile)
	}
}

// TestPlanShowsMoves writes the state of an apply of the default placement
// and checks what plan says moves once a profile makes beam cheap.
func TestPlanShowsMoves(t *testing.T) {
	dir := sessionsDir(t)
	def := planJSON(t, dir)
	st := &state.State{Serial: 1, Pipeline: "clicks", SpecHash: def.SpecHash}
	for _, s := range def.Stages {
		st.Stages = append(st.Stages, state.Stage{ID: s.ID, Backend: s.Backend, Operators: s.Operators})
	}
	if err := state.Write(state.Dir(dir), st); err != nil {
		t.Fatal(err)
	}
	check{code: 0, outHas: []string{"No changes: the deployed stages match this plan.\n"}}.
		verify(t, run(t, nil, "", "plan", "-detailed-exitcode", dir))

	writeFile(t, filepath.Join(dir, costprofile.DefaultFile), profileJSON(t, 1e5, 1))
	moved := planJSON(t, dir)
	want := &ir.Changes{Add: []ir.StageChange{}, Change: []ir.StageChange{}, Delete: []ir.StageChange{}}
	var text []string
	for _, s := range moved.Stages {
		want.Add = append(want.Add, ir.StageChange{Stage: s.ID, Backend: s.Backend, Operators: s.Operators})
		for _, op := range s.Operators {
			want.Moves = append(want.Moves, ir.Move{Operator: op, From: "native", To: "beam", Why: s.Why})
			text = append(text, "  move    "+op+": native → beam ("+s.Why+")\n")
		}
	}
	for _, s := range st.Stages {
		want.Delete = append(want.Delete, ir.StageChange{Stage: s.ID, Backend: s.Backend, Operators: s.Operators})
	}
	if diff := cmp.Diff(want, moved.Changes); diff != "" {
		t.Errorf("plan -json changes (-want +got):\n%s", diff)
	}
	summary := fmt.Sprintf("\nPlan: 3 to move, 1 to add, 0 to change, %d to delete.\n", len(st.Stages))
	check{code: 2, outHas: append(text, "Changes since the last apply:\n", summary)}.
		verify(t, run(t, nil, "", "plan", "-detailed-exitcode", dir))

	a := run(t, nil, "", "plan", "-json", dir)
	b := run(t, nil, "", "plan", "-json", dir)
	if a.stdout != b.stdout {
		t.Errorf("plan -json against the same state differs:\n%s", cmp.Diff(a.stdout, b.stdout))
	}
}

// TestApplyRefusesPlanOfAnotherProfile checks the stale check: a saved plan
// is refused once the profile it was made with no longer applies.
func TestApplyRefusesPlanOfAnotherProfile(t *testing.T) {
	dir := sessionsDir(t)
	beside := filepath.Join(dir, costprofile.DefaultFile)
	planFile := filepath.Join(t.TempDir(), "p.plan")
	other := filepath.Join(t.TempDir(), "other.json")
	writeFile(t, other, profileJSON(t, 100, 999))
	tests := []struct {
		name    string
		before  []byte // the profile when planning (nil: none)
		after   []byte // the profile when applying (nil: none)
		args    []string
		wantErr string
	}{
		{"a profile appeared", nil, profileJSON(t, 100, 200), nil, "it was made with the built-in costs, and the cost profile " + beside + " now applies"},
		{"the profile changed", profileJSON(t, 100, 200), profileJSON(t, 100, 300), nil, "it was made with the cost profile " + beside + " ("},
		{"the profile is gone", profileJSON(t, 100, 200), nil, nil, "its cost profile " + beside + " cannot be read"},
		{"another profile given", profileJSON(t, 100, 200), profileJSON(t, 100, 200), []string{"-cost-profile", other},
			"it was made with the cost profile " + beside + " (" + ir.Hash(profileJSON(t, 100, 200)) + "), and " + other + " ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(beside)
			if tt.before != nil {
				writeFile(t, beside, tt.before)
			}
			check{outHas: []string{"Saved the plan"}}.verify(t, run(t, nil, "", "plan", "-out", planFile, dir))
			os.Remove(beside)
			if tt.after != nil {
				writeFile(t, beside, tt.after)
			}
			args := append(append([]string{"apply", "-auto-approve"}, tt.args...), planFile)
			check{code: 1, errHas: []string{"Saved plan is stale: " + tt.wantErr}}.verify(t, run(t, nil, "", args...))
		})
	}
}

// TestBadCostProfile checks that a broken profile is a diagnostic at its
// line and column, on every command that plans.
func TestBadCostProfile(t *testing.T) {
	dir := sessionsDir(t)
	bad := strings.Replace(string(profileJSON(t, 100, 200)), `"cores": 2`, `"cores": -2`, 1)
	path := filepath.Join(dir, costprofile.DefaultFile)
	writeFile(t, path, []byte(bad))
	want := path + ":6:5: error: Invalid cost profile\n" +
		"  6 |     \"cores\": -2,\n" +
		"    |     ^\n" +
		"  machine.cores must be at least 1.\n"
	for _, cmd := range []string{"plan", "validate", "graph"} {
		check{code: 1, stdout: str(""), stderr: str(want)}.verify(t, run(t, nil, "", cmd, dir))
	}
	check{code: 1, errHas: []string{"No such file or directory: " + filepath.Join(dir, "nope.json")}}.
		verify(t, run(t, nil, "", "plan", "-cost-profile", filepath.Join(dir, "nope.json"), dir))
}

// TestCalibrateOrders calibrates the orders example briefly and checks the
// progress it prints and the profile it writes: native measures every
// kind, and backends the spec does not enable are not measured.
func TestCalibrateOrders(t *testing.T) {
	out := filepath.Join(t.TempDir(), "orders-profile.json")
	spec := filepath.Join("..", "..", "..", "..", "examples", "orders")
	r := run(t, nil, "", "calibrate", "-duration", "2ms", "-cost-profile", out, spec)
	check{outHas: []string{
		"Calibrating " + spec + " on this machine (",
		"\nbroker: not enabled in the spec (add backend \"broker\" {} to place and calibrate it)\n",
		"\nbeam: not enabled in the spec",
		"\nnative:\n  source     source.orders ",
		"  aggregate  aggregate.revenue ",
		"Wrote " + out + ".",
	}}.verify(t, r)
	p := readProfileFile(t, out)
	var kinds []ir.Kind
	for k := range p.Backends["native"] {
		kinds = append(kinds, k)
	}
	if len(kinds) != 8 || len(p.Backends) != 1 || p.Pipeline != "orders" || p.Duration != "2ms" {
		t.Errorf("profile measures %v on %d backends for %q over %s; want all 8 kinds on native only for orders over 2ms", kinds, len(p.Backends), p.Pipeline, p.Duration)
	}
	// plan reads what calibrate wrote.
	check{outHas: []string{"Cost profile: " + out + " (measured "}}.verify(t, run(t, nil, "", "plan", "-cost-profile", out, spec))

	check{code: 1, errHas: []string{"-duration must be positive"}}.verify(t, run(t, nil, "", "calibrate", "-duration", "0s", spec))
}

// TestCalibrateLognorm: lognorm enables the broker, which measures only
// the kinds a transform can host, through the WebAssembly host.
func TestCalibrateLognorm(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lognorm-profile.json")
	spec := filepath.Join("..", "..", "..", "..", "examples", "lognorm")
	r := run(t, nil, "", "calibrate", "-duration", "2ms", "-cost-profile", out, spec)
	check{outHas: []string{"\nbroker:\n  source     source.raw ", "\nnative:\n"}}.verify(t, r)
	p := readProfileFile(t, out)
	if got, want := len(p.Backends["broker"]), 5; got != want || len(p.Backends) != 2 {
		t.Errorf("profile measures %d kinds on broker and %d backends, want %d (source, filter, map, route, sink) and 2", got, len(p.Backends), want)
	}
}

func readProfileFile(t *testing.T, file string) *costprofile.Profile {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, diags := costprofile.Parse(file, b, backendNames())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}
