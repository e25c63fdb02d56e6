package lang

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// diagLine renders a diagnostic as "severity file:line:col: summary".
func diagLine(d *hcl.Diagnostic) string {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	if d.Subject == nil {
		return fmt.Sprintf("%s: %s", sev, d.Summary)
	}
	return fmt.Sprintf("%s %s:%d:%d: %s", sev, d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, d.Summary)
}

func diagLines(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, diagLine(d))
	}
	return out
}

var designEnv = []string{"KAFKA_PASSWORD=hunter22"}

func TestDesignSketch(t *testing.T) {
	res, diags := Load("testdata/design.hcl", Options{Env: designEnv})
	want := []string{"warning testdata/design.hcl:58:3: Route output is never read"}
	if diff := cmp.Diff(want, diagLines(diags)); diff != "" {
		t.Fatalf("diagnostics (-want +got):\n%s\n%s", diff, diags.Error())
	}
	p := res.Pipeline
	if p == nil {
		t.Fatal("no pipeline")
	}
	var ids []string
	for _, op := range p.Operators {
		ids = append(ids, op.ID)
	}
	wantIDs := []string{
		"source.customers", "source.orders", "filter.big_us", "map.normalized",
		"dedupe.once", "join.enriched", "route.by_tier", "aggregate.revenue", "sink.revenue",
	}
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("operator order (-want +got):\n%s", diff)
	}
	if p.Name != "orders" || p.Optimize != "cost" || p.DeadLetterTopic != "orders.dlq" {
		t.Errorf("pipeline header = %q %q %q", p.Name, p.Optimize, p.DeadLetterTopic)
	}
	var backends []string
	for _, b := range p.Backends {
		backends = append(backends, b.Name)
	}
	if diff := cmp.Diff([]string{"beam", "broker", "native"}, backends); diff != "" {
		t.Errorf("backends (-want +got):\n%s", diff)
	}
	wantBroker := &ir.Broker{
		Name:    "main",
		Brokers: []string{"localhost:9092"},
		SASL:    &ir.SASL{Mechanism: "SCRAM-SHA-512", Username: "svc", Password: "hunter22"},
		TLS:     &ir.TLS{Enabled: true},
	}
	if diff := cmp.Diff(wantBroker, p.Broker); diff != "" {
		t.Errorf("broker (-want +got):\n%s", diff)
	}

	join := p.Operator("join.enriched")
	gotKeys := [][]string{{join.Join.LeftKeys[0].Source}, {join.Join.RightKeys[0].Source}}
	if diff := cmp.Diff([][]string{{"left.customer"}, {"right.id"}}, gotKeys); diff != "" {
		t.Errorf("join keys (-want +got):\n%s", diff)
	}
	if join.Join.WithinMs != 0 || join.Join.Type != "left" {
		t.Errorf("join = %+v", join.Join)
	}
	agg := p.Operator("aggregate.revenue").Aggregate
	wantWindow := ir.Window{Kind: "tumbling", SizeMs: 60000, Range: agg.Window.Range}
	if diff := cmp.Diff(wantWindow, agg.Window); diff != "" {
		t.Errorf("window (-want +got):\n%s", diff)
	}
	if agg.AllowedLatenessMs != 10000 {
		t.Errorf("allowed_lateness = %d", agg.AllowedLatenessMs)
	}
	var funcs []string
	for _, f := range agg.Fields {
		arg := ""
		if f.Arg != nil {
			arg = f.Arg.Source
		}
		funcs = append(funcs, f.Name+"="+f.Func+"("+arg+")")
	}
	if diff := cmp.Diff([]string{"total=sum(record.amount)", "orders=count()", "largest=max(record.amount)"}, funcs); diff != "" {
		t.Errorf("aggregate fields (-want +got):\n%s", diff)
	}
	wantAggSchema := cty.Object(map[string]cty.Type{
		"customer": cty.String, "total": cty.Number, "orders": cty.Number, "largest": cty.Number,
		"window_start": cty.String, "window_end": cty.String,
	})
	if got := p.Operator("sink.revenue").Schema.Type; !got.Equals(wantAggSchema) {
		t.Errorf("sink schema = %#v", got)
	}
	if got := p.Operator("sink.revenue").Sink.Delivery; got != ir.ExactlyOnce {
		t.Errorf("delivery = %q", got)
	}
	if got := p.Operator("source.orders").Stats; got != (ir.Stats{Rate: 50000, RecordBytes: 120}) {
		t.Errorf("stats = %+v", got)
	}
	if len(p.Tests) != 1 || len(p.Tests[0].Given) != 2 || len(p.Tests[0].Expect) != 1 {
		t.Fatalf("tests = %+v", p.Tests)
	}
	wantExpect := `{"customer":"c1","largest":150,"orders":1,"total":150,"window_end":"2026-01-01T00:01:00Z","window_start":"2026-01-01T00:00:00Z"}`
	if got := string(p.Tests[0].Expect[0].Records[0]); got != wantExpect {
		t.Errorf("expect record = %s", got)
	}
	// Every IR expression is exactly its source bytes.
	src, _ := os.ReadFile("testdata/design.hcl")
	for _, op := range p.Operators {
		for _, e := range exprsOf(op) {
			if got := string(src[e.Range.Start.Byte:e.Range.End.Byte]); got != e.Source || e.Source == "" {
				t.Errorf("%s: expr source %q, range text %q", op.ID, e.Source, got)
			}
		}
	}
}

func exprsOf(op *ir.Operator) []ir.Expr {
	var es []ir.Expr
	add := func(e *ir.Expr) {
		if e != nil {
			es = append(es, *e)
		}
	}
	fields := func(fs []ir.Field) {
		for _, f := range fs {
			es = append(es, f.Expr)
		}
	}
	switch {
	case op.Source != nil:
		add(op.Source.Key)
		add(op.Source.EventTime)
	case op.Filter != nil:
		add(&op.Filter.Where)
	case op.Map != nil:
		fields(op.Map.Fields)
	case op.Route != nil:
		for _, o := range op.Route.Outputs {
			add(o.When)
		}
	case op.Join != nil:
		add(&op.Join.On)
		es = append(es, op.Join.LeftKeys...)
		es = append(es, op.Join.RightKeys...)
		fields(op.Join.Fields)
	case op.Dedupe != nil:
		add(&op.Dedupe.Key)
	case op.Aggregate != nil:
		fields(op.Aggregate.Key)
		for _, f := range op.Aggregate.Fields {
			add(f.Arg)
		}
	case op.Sink != nil:
		add(op.Sink.Key)
	}
	return es
}

// The language sketch as first written (testdata/sketch.hcl) has several
// arguments in one-line blocks, which HCL forbids: that must be one clean
// diagnostic.
func TestDesignSketchVerbatim(t *testing.T) {
	_, diags := Load("testdata/sketch.hcl", Options{Env: designEnv})
	want := []string{
		"error testdata/sketch.hcl:13:39: Invalid single-argument block definition",
		"warning testdata/sketch.hcl:51:3: Route output is never read",
	}
	if diff := cmp.Diff(want, diagLines(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, diags.Error())
	}
}

// base is a valid spec that error cases extend in a second file.
const base = `pipeline "p" {}

source "orders" {
  topic  = "orders"
  schema = object({ id = string, amount = number, country = string, ts = string })
}

source "customers" {
  topic  = "customers"
  table  = true
  schema = object({ id = string, tier = string })
}
`

func loadCase(src string, opts Options) (*Result, hcl.Diagnostics) {
	return LoadFiles(map[string][]byte{"a.hcl": []byte(base), "b.hcl": []byte(src)}, opts)
}

func errorsOf(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, diagLine(d))
		}
	}
	return out
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		want   []string
		detail string // a substring of the first error's detail
	}{
		{
			name: "unknown record attribute",
			src: `filter "f" {
  input = source.orders
  where = record.amont > 1
}
sink "s" {
  input = filter.f
  topic = "x"
}`,
			want:   []string{"error b.hcl:3:17: Unsupported attribute"},
			detail: `Did you mean "amount"?`,
		},
		{
			name: "unknown operator reference",
			src: `filter "f" {
  input = source.order
  where = true
}
sink "s" {
  input = filter.f
  topic = "x"
}`,
			want:   []string{"error b.hcl:2:11: Reference to undeclared operator"},
			detail: `Did you mean "source.orders"?`,
		},
		{
			name: "string instead of reference",
			src: `sink "s" {
  input = "source.orders"
  topic = "x"
}`,
			want:   []string{"error b.hcl:2:11: Invalid reference"},
			detail: "written without quotes: source.orders",
		},
		{
			name: "where is not bool",
			src: `filter "f" {
  input = source.orders
  where = record.amount
}
sink "s" {
  input = filter.f
  topic = "x"
}`,
			want:   []string{"error b.hcl:3:11: Condition is not a bool"},
			detail: "this one is number",
		},
		{
			name: "cycle",
			src: `filter "a" {
  input = filter.b
  where = true
}
filter "b" {
  input = filter.a
  where = true
}
sink "s" {
  input = filter.b
  topic = "x"
}`,
			want:   []string{"error b.hcl:6:11: Cycle between operators"},
			detail: "filter.a → filter.b → filter.a",
		},
		{
			name: "duplicate operator",
			src: `sink "s" {
  input = source.orders
  topic = "x"
}
sink "s" {
  input = source.orders
  topic = "y"
}`,
			want:   []string{"error b.hcl:5:1: Duplicate sink"},
			detail: "b.hcl:1,1-",
		},
		{
			name: "aggregate function outside aggregate",
			src: `map "m" {
  input  = source.orders
  fields = { t = sum(record.amount) }
}
sink "s" {
  input = map.m
  topic = "x"
}`,
			want:   []string{"error b.hcl:3:18: Aggregate function outside aggregate.fields"},
			detail: "aggregate functions are only allowed in aggregate.fields",
		},
		{
			name: "bad aggregate field",
			src: `aggregate "a" {
  input  = source.orders
  window = tumbling("1m")
  fields = { t = sum(record.amount) + 1, n = count(record.id), s = sum(record.country) }
}
sink "s" {
  input = aggregate.a
  topic = "x"
}`,
			want: []string{
				"error b.hcl:4:18: Invalid aggregate field",
				"error b.hcl:4:46: Wrong number of arguments",
				"error b.hcl:4:72: Invalid aggregate argument",
			},
			detail: "Each aggregate field is one call to",
		},
		{
			name: "bad durations and window",
			src: `aggregate "a" {
  input            = source.orders
  window           = sliding("1m")
  allowed_lateness = "10 seconds"
  fields           = { n = count() }
}
dedupe "d" {
  input  = source.orders
  key    = record.id
  within = "-1h"
}
sink "s" {
  input = aggregate.a
  topic = "x"
}
sink "t" {
  input = dedupe.d
  topic = "y"
}`,
			want: []string{
				"error b.hcl:3:22: Invalid window",
				"error b.hcl:4:22: Invalid duration",
				"error b.hcl:10:12: Invalid duration",
			},
		},
		{
			name: "join conditions",
			src: `join "j" {
  left   = source.orders
  right  = source.customers
  on     = left.id == right.id && 1 > 0 && right.id == left.country && left.amount == right.tier
  fields = { id = left.id }
  within = "1m"
}
sink "s" {
  input = join.j
  topic = "x"
}`,
			want: []string{
				"error b.hcl:4:35: Invalid join condition",
				"error b.hcl:4:72: Join keys of different types",
				"error b.hcl:6:3: within on a stream–table join",
			},
		},
		{
			name: "stream-stream join needs within",
			src: `join "j" {
  left   = source.orders
  right  = source.orders
  on     = left.id == right.id
  fields = { id = left.id }
}
sink "s" {
  input = join.j
  topic = "x"
}`,
			want: []string{"error b.hcl:1:1: Missing within"},
		},
		{
			name: "route outputs",
			src: `route "r" {
  input = source.orders
  output "a" { default = true }
  output "b" { default = true }
  output "c" { when = record.amount }
}
sink "s" {
  input = route.r
  topic = "x"
}
sink "t" {
  input = route.r.d
  topic = "x"
}`,
			want: []string{
				"error b.hcl:4:3: Duplicate default output",
				"error b.hcl:5:23: Condition is not a bool",
				"error b.hcl:8:11: Missing route output",
				"error b.hcl:12:11: Reference to undeclared route output",
			},
		},
		{
			name: "missing and unknown attributes",
			src: `filter "f" {
  input = source.orders
  wher  = true
}
sink "s" {
  input    = filter.f
  delivery = "exactly-once"
}
widget "w" {}`,
			want: []string{
				"error b.hcl:1:12: Missing required argument",
				"error b.hcl:3:3: Unsupported argument",
				"error b.hcl:5:1: Missing topic or file",
				"error b.hcl:7:14: Invalid value",
				"error b.hcl:9:1: Unsupported block type",
			},
		},
		{
			name: "undeclared variable and function",
			src: `filter "f" {
  input = source.orders
  where = record.amount > var.min && lowr(record.country) == "us"
}
sink "s" {
  input = filter.f
  topic = "x"
}`,
			want: []string{
				"error b.hcl:3:30: Unsupported attribute",
				"error b.hcl:3:38: Call to unknown function",
			},
			detail: `No variable named "min" is declared.`,
		},
		{
			name: "source problems",
			src: `source "x" {
  topic  = "x"
  file   = "x.jsonl"
  format = "xml"
  schema = list(string)
}
source "y" {
  topic      = "y"
  schema     = object({ a = any })
  event_time = record.a
}`,
			want: []string{
				"error b.hcl:3:3: Conflicting topic and file",
				"error b.hcl:4:12: Invalid value",
				"error b.hcl:5:12: Invalid schema",
				"error b.hcl:9:16: Invalid schema",
			},
		},
		{
			name: "test targets",
			src: `sink "s" {
  input = source.orders
  topic = "x"
}
test "t" {
  given "source.order" { records = [] }
  given "source.orders" { records = [{ id = "o1" }] }
  expect "sink.z" { records = [] }
}`,
			want: []string{
				"error b.hcl:6:9: Invalid given target",
				"error b.hcl:7:37: Record does not match the schema",
				"error b.hcl:8:10: Invalid expect target",
			},
		},
		{
			name: "locals",
			src: `locals {
  a = local.b
  b = local.a
  c = record.id
  d = local.zz
  e = sum(1)
}`,
			want: []string{
				"error b.hcl:2:3: Cycle in local values",
				"error b.hcl:4:7: Per-record value in a plan-time expression",
				"error b.hcl:5:7: Reference to undeclared local value",
				"error b.hcl:6:7: Aggregate function outside aggregate.fields",
			},
			detail: "local.a → local.b → local.a",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, diags := loadCase(tt.src, Options{})
			if diff := cmp.Diff(tt.want, errorsOf(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall:\n%s", diff, diags.Error())
			}
			if res.Pipeline != nil {
				t.Error("pipeline returned despite errors")
			}
			if tt.detail != "" {
				for _, d := range diags {
					if d.Severity == hcl.DiagError {
						if !strings.Contains(d.Detail, tt.detail) {
							t.Errorf("detail %q does not contain %q", d.Detail, tt.detail)
						}
						break
					}
				}
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	_, diags := loadCase(`filter "dead" {
  input = source.orders
  where = true
}
sink "s" {
  input = source.customers
  topic = "x"
}`, Options{})
	want := []string{
		"warning a.hcl:3:1: Operator output is never written",
		"warning b.hcl:1:1: Operator output is never written",
	}
	if diff := cmp.Diff(want, diagLines(diags)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

const varSpec = `pipeline "p" {}

variable "n" {
  type    = number
  default = 1
}

variable "s" {
  type = string
}
`

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	f1, f2 := dir+"/1.hcl", dir+"/2.hcl"
	os.WriteFile(f1, []byte("n = 3\ns = \"file1\"\n"), 0o644)
	os.WriteFile(f2, []byte("n = 4\n"), 0o644)
	tests := []struct {
		name  string
		opts  Options
		n     float64
		s     string
		diags []string
	}{
		{name: "default and env", opts: Options{Env: []string{"PIPELINE_VAR_s=env"}}, n: 1, s: "env"},
		{name: "env over default", opts: Options{Env: []string{"PIPELINE_VAR_n=2", "PIPELINE_VAR_s=env"}}, n: 2, s: "env"},
		{name: "files in order over env", opts: Options{Env: []string{"PIPELINE_VAR_n=2"}, VarFiles: []string{f1, f2}}, n: 4, s: "file1"},
		{name: "flags over files", opts: Options{VarFiles: []string{f1, f2}, Vars: []string{"n=5", "s=a=b", "n=6"}}, n: 6, s: "a=b"},
		{name: "missing value", opts: Options{}, n: 1, diags: []string{"error x.hcl:8:1: No value for required variable"}},
		{name: "bad type", opts: Options{Vars: []string{"s=x", "n=abc"}}, s: "x", n: 1, diags: []string{"error <value for var.n>:1:1: Variables not allowed"}},
		{name: "not a number", opts: Options{Vars: []string{"s=x", `n="abc"`}}, s: "x", n: 1, diags: []string{"error <value for var.n>:0:0: Invalid value for variable"}},
		{name: "undeclared", opts: Options{Vars: []string{"s=x", "m=1"}}, s: "x", n: 1, diags: []string{"error: Value for undeclared variable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, diags := LoadFiles(map[string][]byte{"x.hcl": []byte(varSpec)}, tt.opts)
			if diff := cmp.Diff(tt.diags, diagLines(diags)); diff != "" {
				t.Fatalf("diagnostics (-want +got):\n%s\n%s", diff, diags.Error())
			}
			if res.Pipeline == nil {
				return
			}
			n, _ := res.Pipeline.Vars["n"].Value.AsBigFloat().Float64()
			s := res.Pipeline.Vars["s"].Value.AsString()
			if n != tt.n || s != tt.s {
				t.Errorf("n, s = %v, %q; want %v, %q", n, s, tt.n, tt.s)
			}
		})
	}
}

func TestSensitive(t *testing.T) {
	spec := `pipeline "p" {}

variable "token" {
  type      = string
  sensitive = true
}

variable "limit" {
  type      = number
  sensitive = true
  default   = 5
  validation {
    condition     = var.limit < 3
    error_message = "limit ${var.limit} is too big"
  }
}

variable "from_env" {
  default = env("SECRET")
}

locals {
  header = "Bearer ${var.token}"
}

backend "beam" {
  runner   = "flink"
  token    = local.header
  password = env("SECRET")
}

source "s" {
  topic  = "t"
  schema = object({ a = string })
}

filter "f" {
  input = source.s
  where = regex(var.token, record.a) == ""
}

sink "o" {
  input = filter.f
  topic = "out"
}
`
	const secret = "s3cr3t-[abc"
	res, diags := LoadFiles(map[string][]byte{"x.hcl": []byte(spec)}, Options{
		Vars: []string{"token=" + secret},
		Env:  []string{"SECRET=envsecret"},
	})
	// Render as the CLI does, with source snippets and the values of the
	// variables an expression refers to.
	var buf bytes.Buffer
	if err := hcl.NewDiagnosticTextWriter(&buf, res.Files, 100, false).WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, s := range []string{secret, "envsecret", "Bearer", "5 is too big", "[abc"} {
		if strings.Contains(text, s) {
			t.Errorf("diagnostics leak %q: %s", s, text)
		}
	}
	if !diags.HasErrors() {
		t.Fatal("want the validation error")
	}
	// The same spec without the failing validation loads; check the marks.
	spec = strings.Replace(spec, "var.limit < 3", "var.limit < 30", 1)
	spec = strings.Replace(spec, "regex(var.token, record.a) == \"\"", "record.a != var.token", 1)
	res, diags = LoadFiles(map[string][]byte{"x.hcl": []byte(spec)}, Options{
		Vars: []string{"token=" + secret},
		Env:  []string{"SECRET=envsecret"},
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p := res.Pipeline
	got := map[string]bool{
		"var.token":      p.Vars["token"].Sensitive,
		"var.limit":      p.Vars["limit"].Sensitive,
		"var.from_env":   p.Vars["from_env"].Sensitive,
		"local.header":   p.Locals["header"].Sensitive,
		"beam.runner":    p.Backend("beam").Attributes["runner"].Sensitive,
		"beam.token":     p.Backend("beam").Attributes["token"].Sensitive,
		"beam.password":  p.Backend("beam").Attributes["password"].Sensitive,
		"native.present": p.Backend("native") != nil,
	}
	want := map[string]bool{
		"var.token": true, "var.limit": true, "var.from_env": true, "local.header": true, "beam.runner": false,
		"beam.token": true, "beam.password": true, "native.present": true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sensitivity (-want +got):\n%s", diff)
	}
	enc, err := (&ir.Plan{Pipeline: p}).Redacted().Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, "envsecret"} {
		if strings.Contains(string(enc), s) {
			t.Errorf("redacted pipeline leaks %q", s)
		}
	}
}

func TestEnvFunction(t *testing.T) {
	_, diags := Load("testdata/design.hcl", Options{})
	want := []string{"error testdata/design.hcl:16:17: Error in function call"}
	if diff := cmp.Diff(want, errorsOf(diags)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(diags) > 0 && !strings.Contains(diags[0].Detail, "KAFKA_PASSWORD is not set") {
		t.Errorf("detail = %q", diags[0].Detail)
	}
}

// Declaration order and file split must not change the operator order.
func TestTopoOrderDeterministic(t *testing.T) {
	blocks := []string{
		`sink "z" {
  input = filter.b
  topic = "z"
}`,
		`filter "b" {
  input = filter.a
  where = true
}`,
		`filter "a" {
  input = source.orders
  where = true
}`,
		`sink "c" {
  input = source.customers
  topic = "c"
}`,
		`filter "c" {
  input = source.orders
  where = true
}`,
		`sink "y" {
  input = filter.c
  topic = "y"
}`,
	}
	// Ready operators are taken in ID order: sink.c sorts before source.orders.
	want := []string{"source.customers", "sink.c", "source.orders", "filter.a", "filter.b", "filter.c", "sink.y", "sink.z"}
	for rot := 0; rot < len(blocks); rot++ {
		files := map[string][]byte{"0.hcl": []byte(base)}
		for i := range blocks {
			b := blocks[(i+rot)%len(blocks)]
			files[fmt.Sprintf("%d.hcl", 1+i%2)] = append(files[fmt.Sprintf("%d.hcl", 1+i%2)], b+"\n"...)
		}
		res, diags := LoadFiles(files, Options{})
		if diags.HasErrors() {
			t.Fatal(diags.Error())
		}
		var got []string
		for _, op := range res.Pipeline.Operators {
			got = append(got, op.ID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("rotation %d (-want +got):\n%s", rot, diff)
		}
	}
}

func TestSchemaFlow(t *testing.T) {
	src := `map "m" {
  input  = source.orders
  fields = { id = record.id, big = record.amount > 100, "cc" = upper(record.country), parts = split("-", record.id) }
}
join "j" {
  left   = map.m
  right  = source.customers
  on     = (right.id == left.id)
  fields = { id = left.id, tier = right.tier, big = left.big }
}
route "r" {
  input = join.j
  output "gold" { when = record.tier == "gold" }
}
aggregate "a" {
  input  = route.r.gold
  key    = { tier = record.tier }
  window = session("30s")
  fields = { n = count(), d = count_distinct(record.id), f = first(record.big), avg = avg(1) }
}
sink "s" {
  input = aggregate.a
  file  = "out.jsonl"
}`
	res, diags := loadCase(src, Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	p := res.Pipeline
	want := map[string]cty.Type{
		"map.m":   cty.Object(map[string]cty.Type{"id": cty.String, "big": cty.Bool, "cc": cty.String, "parts": cty.List(cty.String)}),
		"join.j":  cty.Object(map[string]cty.Type{"id": cty.String, "tier": cty.String, "big": cty.Bool}),
		"route.r": cty.Object(map[string]cty.Type{"id": cty.String, "tier": cty.String, "big": cty.Bool}),
		"aggregate.a": cty.Object(map[string]cty.Type{
			"tier": cty.String, "n": cty.Number, "d": cty.Number, "f": cty.Bool, "avg": cty.Number,
			"window_start": cty.String, "window_end": cty.String,
		}),
	}
	got := map[string]cty.Type{}
	for id := range want {
		got[id] = p.Operator(id).Schema.Type
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b cty.Type) bool { return a.Equals(b) })); diff != "" {
		t.Errorf("schemas (-want +got):\n%s", diff)
	}
	j := p.Operator("join.j").Join
	if j.LeftKeys[0].Source != "left.id" || j.RightKeys[0].Source != "right.id" || j.On.Source != "(right.id == left.id)" {
		t.Errorf("join = %+v", j)
	}
	if w := p.Operator("aggregate.a").Aggregate.Window; w.Kind != "session" || w.GapMs != 30000 {
		t.Errorf("window = %+v", w)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"1m", 60000, false}, {"10s", 10000, false}, {"1h", 3600000, false},
		{"500ms", 500, false}, {"1h30m", 5400000, false}, {"0s", 0, false},
		{"2d", 172800000, false}, {"1d12h", 129600000, false},
		{"", 0, true}, {"1", 0, true}, {"-1s", 0, true}, {"1us", 0, true},
		{"d", 0, true}, {"1x", 0, true}, {"1h1d", 0, true},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parseDuration(%q) = %d, %v; want %d, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFormat(t *testing.T) {
	in := "pipeline \"p\" {\ndescription=\"x\"\n  optimize =   \"cost\"\n}\n"
	want := "pipeline \"p\" {\n  description = \"x\"\n  optimize    = \"cost\"\n}\n"
	got, diags := FormatFile("x.hcl", []byte(in))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, diags := FormatFile("x.hcl", []byte("a { b = 1  c = 2 }\n")); !diags.HasErrors() {
		t.Error("FormatFile accepted a file that does not parse")
	}
}

func TestSpecHash(t *testing.T) {
	hash := func(files map[string][]byte, opts Options) string {
		res, _ := LoadFiles(files, opts)
		return res.SpecHash
	}
	a := map[string][]byte{"x.hcl": []byte(varSpec)}
	h1 := hash(a, Options{Vars: []string{"s=1"}})
	if h1 == "" || h1 != hash(a, Options{Vars: []string{"s=1"}}) {
		t.Fatal("hash is not stable")
	}
	if h1 == hash(a, Options{Vars: []string{"s=2"}}) {
		t.Error("hash ignores variable values")
	}
	if h1 == hash(map[string][]byte{"y.hcl": []byte(varSpec)}, Options{Vars: []string{"s=1"}}) {
		t.Error("hash ignores file names")
	}
	if h1 == hash(map[string][]byte{"x.hcl": []byte(varSpec + "\n")}, Options{Vars: []string{"s=1"}}) {
		t.Error("hash ignores file contents")
	}
	// A sensitive value stays out of the hash, which saved plans and the
	// state carry: a digest of a weak secret could be guessed.
	secret := map[string][]byte{"x.hcl": []byte(varSpec + `
variable "token" {
  type      = string
  sensitive = true
}
`)}
	h2 := hash(secret, Options{Vars: []string{"s=1", "token=hunter2"}})
	if h2 == "" || h2 != hash(secret, Options{Vars: []string{"s=1", "token=letmein"}}) {
		t.Error("hash depends on a sensitive variable's value")
	}
	if h2 == hash(secret, Options{Vars: []string{"s=2", "token=hunter2"}}) {
		t.Error("hash ignores the other variables next to a sensitive one")
	}
}

// TestMissingTestAttributesDeterministic: a test record missing several
// schema attributes names all of them, sorted, on every run.
func TestMissingTestAttributesDeterministic(t *testing.T) {
	src := `
pipeline "p" {}
source "s" {
  file   = "in.jsonl"
  format = "json"
  schema = object({ a = string, b = number, c = string, d = object({ x = string, y = number }), e = bool })
}
sink "out" {
  input  = source.s
  file   = "out.jsonl"
  format = "json"
}
test "t" {
  given "source.s" { records = [{ c = "x", d = {}, e = "maybe" }] }
  expect "sink.out" { records = [] }
}
`
	want := `Record 0 does not fit the schema of source.s: attributes "a", "b", "d.x", "d.y" are missing; attribute "e": a bool is required.`
	for i := 0; i < 20; i++ {
		_, diags := LoadFiles(map[string][]byte{"spec.hcl": []byte(src)}, Options{})
		var got []string
		for _, d := range diags {
			got = append(got, d.Detail)
		}
		if len(got) != 1 || got[0] != want {
			t.Fatalf("run %d: diagnostics %q, want one: %q", i, got, want)
		}
	}
}
