package command

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/zclconf/go-cty/cty"
)

// result is what one CLI run printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// run runs the CLI with load as the spec loader (nil: lang.Load).
func run(t *testing.T, load func(string, lang.Options) (*lang.Result, hcl.Diagnostics), stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(args, &Meta{
		Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin),
		Env: []string{"HOME=/nonexistent"}, Version: "v-test", Load: load,
	})
	return result{out.String(), errb.String(), code}
}

// specSource is the fake spec the hand-built pipeline claims to come from;
// diagnostics quote it.
const specSource = `pipeline "orders" {}
backend "broker" {}
source "orders" { topic = "orders" }
filter "big" {
  input   = source.orders
  backend = "broker"
}
dedupe "once" { input = filter.big }
sink "out" { input = dedupe.once }
`

const specName = "orders.hcl"

func rangeAt(line, col, endCol int) ir.Range {
	// Byte offsets from the line and columns in specSource.
	off := 0
	for l := 1; l < line; l++ {
		off += strings.IndexByte(specSource[off:], '\n') + 1
	}
	return ir.Range{Filename: specName,
		Start: ir.Pos{Line: line, Column: col, Byte: off + col - 1},
		End:   ir.Pos{Line: line, Column: endCol, Byte: off + endCol - 1}}
}

// testPipeline is the pipeline specSource describes, with a sensitive
// variable and a broker password to check redaction.
func testPipeline() *ir.Pipeline {
	return &ir.Pipeline{
		Name: "orders", Optimize: "cost", DeadLetterTopic: "orders.dlq",
		Vars: map[string]ir.Const{
			"min":    {Value: cty.NumberIntVal(100)},
			"secret": {Value: cty.StringVal("hunter2"), Sensitive: true},
		},
		Broker: &ir.Broker{Name: "main", Brokers: []string{"localhost:9092"},
			SASL: &ir.SASL{Mechanism: "PLAIN", Username: "svc", Password: "s3cr3t-pw"}},
		Backends: []*ir.Backend{{Name: "broker", Range: rangeAt(2, 1, 17)}, {Name: "native"}},
		Operators: []*ir.Operator{
			{ID: "source.orders", Kind: ir.KindSource, Name: "orders", Range: rangeAt(3, 1, 16),
				Source: &ir.Source{Topic: "orders", Format: "json"}},
			{ID: "filter.big", Kind: ir.KindFilter, Name: "big", Inputs: []string{"source.orders"}, Backend: "broker",
				Range: rangeAt(4, 1, 13), Filter: &ir.Filter{Where: ir.Expr{Source: "true"}}},
			{ID: "dedupe.once", Kind: ir.KindDedupe, Name: "once", Inputs: []string{"filter.big"},
				Range: rangeAt(8, 1, 14), Dedupe: &ir.Dedupe{Key: ir.Expr{Source: "record.id"}, WithinMs: 1000}},
			{ID: "sink.out", Kind: ir.KindSink, Name: "out", Inputs: []string{"dedupe.once"}, Range: rangeAt(9, 1, 11),
				Sink: &ir.Sink{Topic: "out", Format: "json", Delivery: ir.AtLeastOnce}},
		},
	}
}

func testFiles() map[string]*hcl.File {
	return map[string]*hcl.File{specName: {Bytes: []byte(specSource)}}
}

// fake returns a loader that yields p (or diags) as if parsed from specSource.
func fake(p *ir.Pipeline, diags ...*hcl.Diagnostic) func(string, lang.Options) (*lang.Result, hcl.Diagnostics) {
	return func(string, lang.Options) (*lang.Result, hcl.Diagnostics) {
		res := &lang.Result{Files: testFiles(), SpecHash: "0123456789abcdef"}
		if !hcl.Diagnostics(diags).HasErrors() {
			res.Pipeline = p
		}
		return res, diags
	}
}

func ok() func(string, lang.Options) (*lang.Result, hcl.Diagnostics) { return fake(testPipeline()) }

// check compares the parts of a result a test cares about: the exit code
// always, stdout and stderr exactly when want has them, and fragments.
type check struct {
	code           int
	stdout, stderr *string
	outHas, errHas []string
	outLacks       []string
}

func str(s string) *string { return &s }

func (c check) verify(t *testing.T, got result) {
	t.Helper()
	if got.code != c.code {
		t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", got.code, c.code, got.stdout, got.stderr)
	}
	if c.stdout != nil {
		if diff := cmp.Diff(*c.stdout, got.stdout); diff != "" {
			t.Errorf("stdout (-want +got):\n%s", diff)
		}
	}
	if c.stderr != nil {
		if diff := cmp.Diff(*c.stderr, got.stderr); diff != "" {
			t.Errorf("stderr (-want +got):\n%s", diff)
		}
	}
	for _, f := range c.outHas {
		if !strings.Contains(got.stdout, f) {
			t.Errorf("stdout lacks %q:\n%s", f, got.stdout)
		}
	}
	for _, f := range c.outLacks {
		if strings.Contains(got.stdout, f) {
			t.Errorf("stdout has %q:\n%s", f, got.stdout)
		}
	}
	for _, f := range c.errHas {
		if !strings.Contains(got.stderr, f) {
			t.Errorf("stderr lacks %q:\n%s", f, got.stderr)
		}
	}
	if strings.Contains(got.stderr, "goroutine ") {
		t.Errorf("stderr has a stack trace:\n%s", got.stderr)
	}
}

func TestCommands(t *testing.T) {
	dir := t.TempDir() // an existing PATH for the fake loader
	unknownAttr := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported argument",
		Detail: `An argument named "backend" is not expected here.`, Subject: rangeAt(6, 3, 10).Ptr()}
	warning := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Unused variable",
		Subject: rangeAt(3, 1, 16).Ptr()}
	beamPin := testPipeline()
	beamPin.Operators[2].Backend = "beam"
	panics := func(string, lang.Options) (*lang.Result, hcl.Diagnostics) { panic("boom") }
	// The broker stage's module note: its size changes with the module.
	ld, _ := (&Meta{Load: ok()}).loadAndPlan(dir, &varFlags{})
	_ = describeBroker(ld.plan)
	brokerNote := ld.plan.Stages[0].Notes[0]

	tests := []struct {
		name string
		load func(string, lang.Options) (*lang.Result, hcl.Diagnostics)
		args []string
		want check
	}{
		{"version", nil, []string{"version"}, check{outHas: []string{"pipeline v-test\n", "plan format 1.0"}}},
		{"-version", nil, []string{"-version"}, check{stdout: str("pipeline v-test\n")}},
		{"help lists the commands", nil, []string{"-help"}, check{
			outHas: []string{"validate", "fmt", "plan", "show", "graph", "version", "apply", "run", "test", "compile", "destroy"}}},
		{"unknown command", nil, []string{"frobnicate"}, check{code: 127, errHas: []string{"Usage: pipeline"}}},
		{"command help", nil, []string{"plan", "-help"}, check{outHas: []string{"Usage: pipeline plan", "-detailed-exitcode"}}},
		{"unknown flag", nil, []string{"plan", "-bogus", dir}, check{code: 1,
			stderr: str("flag provided but not defined: -bogus\nRun \"pipeline plan -help\" for usage.\n")}},
		{"too many paths", ok(), []string{"validate", dir, dir}, check{code: 1,
			stderr: str("error: validate takes one PATH, got 2 arguments\nRun \"pipeline validate -help\" for usage.\n")}},

		{"validate ok", ok(), []string{"validate", dir}, check{stdout: str("Success! The pipeline is valid.\n"), stderr: str("")}},
		{"validate flags after the path", ok(), []string{"validate", dir, "-var", "a=1", "-json"}, check{outHas: []string{`"valid": true`}}},
		{"validate with a warning", fake(testPipeline(), warning), []string{"validate", dir}, check{
			stdout: str("Success! The pipeline is valid.\n"),
			stderr: str("orders.hcl:3:1: warning: Unused variable\n  3 | source \"orders\" { topic = \"orders\" }\n    | ^^^^^^^^^^^^^^^\n")}},
		{"validate error with caret", fake(nil, unknownAttr), []string{"validate", dir}, check{code: 1, stdout: str(""),
			stderr: str("orders.hcl:6:3: error: Unsupported argument\n" +
				"  6 |   backend = \"broker\"\n" +
				"    |   ^^^^^^^\n" +
				"  An argument named \"backend\" is not expected here.\n")}},
		{"validate -json error", fake(nil, unknownAttr), []string{"validate", "-json", dir}, check{code: 1, stderr: str(""),
			outHas: []string{`"format_version": "1.0"`, `"valid": false`, `"error_count": 1`, `"code": "  backend = \"broker\""`}}},
		{"validate --json", ok(), []string{"validate", "--json", dir}, check{outHas: []string{`"valid": true`, `"diagnostics": []`}}},
		{"validate reports placement errors", fake(beamPin), []string{"validate", dir}, check{code: 1,
			errHas: []string{"orders.hcl:8:1: error: Backend \"beam\" is not enabled", "  8 | dedupe", `backend "beam" {}`}}},
		{"validate missing path", ok(), []string{"validate", filepath.Join(dir, "nope")}, check{code: 1, stdout: str(""),
			stderr: str("error: No such file or directory: " + filepath.Join(dir, "nope") + "\n")}},
		{"validate -json missing path", ok(), []string{"validate", "-json", filepath.Join(dir, "nope")}, check{code: 1,
			outHas: []string{`"summary": "No such file or directory: `}}},
		{"missing var file", ok(), []string{"plan", "-var-file", filepath.Join(dir, "x.hcl"), dir}, check{code: 1,
			stderr: str("error: No such file or directory: " + filepath.Join(dir, "x.hcl") + "\n")}},
		{"a panic is one line, not a stack trace", panics, []string{"plan", dir}, check{code: 1,
			stderr: str("error: internal error: boom\nThis is a bug in pipeline; set PIPELINE_DEBUG=1 to see where it happened.\n")}},

		{"plan human", ok(), []string{"plan", dir}, check{errHas: []string{"orders.hcl:2:1: warning: Transform needs more memory than the broker allows"}, stdout: str(`Plan: 2 stages (broker, native), 1 channel, 4 operators
Cost profile: built-in defaults

Stage broker.source.orders on broker
  operators: source.orders, filter.big
  topics:    orders → orders.filter.big, orders.dlq
  why:       pinned to broker by backend = "broker" (filter.big)
  note:      ` + brokerNote + `

Stage native.dedupe.once on native
  operators: dedupe.once, sink.out
  topics:    orders.filter.big → out, orders.dlq
  why:       only native can host dedupe.once (not broker: dedupe.once keeps state across records); repartitioned by the key of dedupe.once: record.id

Channels:
  filter.big → dedupe.once via topic orders.filter.big (broker.source.orders → native.dedupe.once)

State and offsets:
    new      dedupe.once
    new      consumer broker.source.orders: reads from earliest
    new      consumer native.dedupe.once (group orders.native.dedupe.once): reads from earliest
`)}},
		{"plan -detailed-exitcode", ok(), []string{"plan", "-detailed-exitcode", dir}, check{code: 2, outHas: []string{"Plan: 2 stages"}}},
		{"plan error", fake(nil, unknownAttr), []string{"plan", dir}, check{code: 1, stdout: str(""), errHas: []string{"orders.hcl:6:3: error: Unsupported argument"}}},
		{"plan -json error", fake(nil, unknownAttr), []string{"plan", "-json", dir}, check{code: 1, outHas: []string{`"valid": false`}}},
		{"plan -json redacts", ok(), []string{"plan", "-json", dir}, check{
			outHas:   []string{`"format_version": "1.0"`, `"(sensitive value)"`, `"spec_hash": "0123456789abcdef"`},
			outLacks: []string{"hunter2", "s3cr3t-pw"}}},
		{"plan human never prints secrets", ok(), []string{"plan", dir}, check{outLacks: []string{"hunter2", "s3cr3t-pw"}}},

		{"graph dot", ok(), []string{"graph", dir}, check{stdout: str(`digraph "orders" {
  rankdir=LR;
  node [shape=box];
  subgraph "cluster_1" {
    label="broker.source.orders (broker)";
    "source.orders" [label="source.orders\nbroker"];
    "filter.big" [label="filter.big\nbroker"];
  }
  subgraph "cluster_2" {
    label="native.dedupe.once (native)";
    "dedupe.once" [label="dedupe.once\nnative"];
    "sink.out" [label="sink.out\nnative"];
  }
  "source.orders" -> "filter.big";
  "filter.big" -> "dedupe.once" [style=dashed];
  "dedupe.once" -> "sink.out";
}
`)}},
		{"graph mermaid", ok(), []string{"graph", "-format", "mermaid", dir}, check{stdout: str(`flowchart LR
  subgraph s1["broker.source.orders (broker)"]
    n1["source.orders<br/>broker"]
    n2["filter.big<br/>broker"]
  end
  subgraph s2["native.dedupe.once (native)"]
    n3["dedupe.once<br/>native"]
    n4["sink.out<br/>native"]
  end
  n1 --> n2
  n2 -.-> n3
  n3 --> n4
`)}},
		{"graph bad format", ok(), []string{"graph", "-format=svg", dir}, check{code: 1, errHas: []string{`-format must be dot or mermaid, not "svg"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.verify(t, run(t, tt.load, "", tt.args...))
		})
	}
}

func TestPlanDeterministic(t *testing.T) {
	dir := t.TempDir()
	a := run(t, ok(), "", "plan", "-json", dir)
	b := run(t, ok(), "", "plan", "-json", dir)
	if a.code != 0 || a.stdout == "" {
		t.Fatalf("plan -json: %+v", a)
	}
	if a.stdout != b.stdout {
		t.Errorf("plan -json differs between runs:\n%s", cmp.Diff(a.stdout, b.stdout))
	}
}

func TestPlanOutShow(t *testing.T) {
	dir := t.TempDir()
	planFile := filepath.Join(dir, "orders.plan")

	saved := run(t, ok(), "", "plan", "-out", planFile, dir)
	check{outHas: []string{"Plan: 2 stages", "Saved the plan to: " + planFile}}.verify(t, saved)
	info, err := os.Stat(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("plan file mode = %v, want 0600", perm)
	}
	raw, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("s3cr3t-pw")) {
		t.Errorf("the saved plan holds a sensitive value in clear")
	}

	// show -json of the saved plan is exactly what plan -json prints.
	planJSON := run(t, ok(), "", "plan", "-json", dir)
	showJSON := run(t, nil, "", "show", "-json", planFile)
	check{}.verify(t, showJSON)
	if diff := cmp.Diff(planJSON.stdout, showJSON.stdout); diff != "" {
		t.Errorf("show -json differs from plan -json (-plan +show):\n%s", diff)
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Pipeline      struct {
			Name string `json:"name"`
		} `json:"pipeline"`
		Stages []struct {
			ID        string   `json:"id"`
			Backend   string   `json:"backend"`
			Operators []string `json:"operators"`
			Inputs    []string `json:"inputs"`
			Outputs   []string `json:"outputs"`
		} `json:"stages"`
		Channels []struct{ From, To, Topic string } `json:"channels"`
	}
	if err := json.Unmarshal([]byte(showJSON.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != "1.0" || doc.Pipeline.Name != "orders" || len(doc.Stages) != 2 ||
		doc.Stages[0].ID != "broker.source.orders" || doc.Stages[1].Backend != "native" ||
		len(doc.Channels) != 1 || doc.Channels[0].Topic != "orders.filter.big" {
		t.Errorf("unexpected plan JSON: %+v", doc)
	}

	// show (human) renders what plan rendered.
	planHuman := run(t, ok(), "", "plan", dir)
	showHuman := run(t, nil, "", "show", planFile)
	if diff := cmp.Diff(planHuman.stdout, showHuman.stdout); diff != "" {
		t.Errorf("show differs from plan (-plan +show):\n%s", diff)
	}

	// Writing over an existing, more open file still leaves 0600.
	if err := os.Chmod(planFile, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ok(), "", "plan", "-json", "-out", planFile, dir)
	if info, _ := os.Stat(planFile); info.Mode().Perm() != 0o600 {
		t.Errorf("rewritten plan file mode = %v, want 0600", info.Mode().Perm())
	}
}

func TestShowErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notJSON := write("a.plan", "hello")
	noVersion := write("b.plan", `{"stages": []}`)
	spec := write("c.hcl", specSource)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{"show", filepath.Join(dir, "none")}, "error: No such file or directory: " + filepath.Join(dir, "none") + "\n"},
		{"not JSON", []string{"show", notJSON}, "error: " + notJSON + " is not a plan file: decode plan: invalid character 'h' looking for beginning of value\n"},
		{"no format_version", []string{"show", "-json", noVersion}, "error: " + noVersion + " is not a plan file: decode plan: not a plan file (no format_version)\n"},
		{"a spec, not a plan", []string{"show", spec}, "error: " + spec + " is not a plan file: decode plan: invalid character 'p' looking for beginning of value\n"},
		{"a directory", []string{"show", dir}, "error: Cannot read " + dir + ": not a regular file (a directory)\n"},
		{"no file", []string{"show"}, "error: show takes one plan FILE, got 0 arguments\nRun \"pipeline show -help\" for usage.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check{code: 1, stdout: str(""), stderr: str(tt.want)}.verify(t, run(t, nil, "", tt.args...))
		})
	}
}
