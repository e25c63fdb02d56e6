package broker

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/backends/broker/internal/modconf"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
)

// loadPipeline loads an example spec.
func loadPipeline(t testing.TB, dir string) *ir.Pipeline {
	t.Helper()
	res, diags := lang.Load(dir, lang.Options{})
	if diags.HasErrors() {
		t.Fatalf("load %s: %s", dir, diags.Error())
	}
	return res.Pipeline
}

// singleStagePlan places every operator of p in one stage on backend.
func singleStagePlan(p *ir.Pipeline, backend string) *ir.Plan {
	st := &ir.Stage{ID: "s0", Backend: backend}
	for _, op := range p.Operators {
		st.Operators = append(st.Operators, op.ID)
	}
	return &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p, Stages: []*ir.Stage{st}}
}

// reservedConfig returns the configuration patched into a module.
func reservedConfig(t testing.TB, module []byte) *modconf.Config {
	t.Helper()
	i := bytes.Index(module, []byte(modconf.Marker))
	if i < 0 {
		t.Fatal("no marker in module")
	}
	area := module[i+len(modconf.Marker):][:modconf.Size]
	cfg, err := modconf.Decode(area)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCompileLognorm(t *testing.T) {
	plan := singleStagePlan(loadPipeline(t, "../../examples/lognorm"), ir.BackendBroker)
	a, err := Compile(plan, "s0")
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Name, InputTopic, InputStream, DeadLetterTopic string
		OutputTopics                                   []string
		Targets                                        map[string]string
		Env                                            map[string]string
	}{a.Name, a.InputTopic, a.InputStream, a.DeadLetterTopic, a.OutputTopics, a.Targets, a.Env}
	want := got
	want.Name, want.InputTopic, want.InputStream, want.DeadLetterTopic = "lognorm-broker.source.raw", "raw-logs", "source.raw", "lognorm.dlq"
	want.OutputTopics = []string{"lognorm.dlq", "logs-errors", "logs-info", "logs-unclassified", "logs-warnings"}
	want.Targets = map[string]string{"lognorm.dlq": "", "logs-errors": "sink.errors", "logs-info": "sink.info",
		"logs-unclassified": "sink.unclassified", "logs-warnings": "sink.warnings"}
	want.Env = map[string]string{"PIPELINE_NAME": "lognorm", "PIPELINE_STAGE": "broker.source.raw"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("artifact (-want +got):\n%s", d)
	}
	if len(a.Module()) != len(genericModule) {
		t.Errorf("patched module is %d bytes, generic one %d", len(a.Module()), len(genericModule))
	}
	sum := sha256.Sum256(a.Module())
	if a.SHA256() != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 %s is not the module's digest", a.SHA256())
	}
	if a.MemoryBytes <= 2<<20 {
		t.Errorf("MemoryBytes = %d, want more than Redpanda's 2 MiB default", a.MemoryBytes)
	}
	cfg := reservedConfig(t, a.Module())
	if cfg.Stage != "broker.source.raw" || cfg.InputTopic != "raw-logs" || cfg.DeadLetterTopic != "lognorm.dlq" {
		t.Errorf("patched config = stage %q input %q dlq %q", cfg.Stage, cfg.InputTopic, cfg.DeadLetterTopic)
	}
	if cfg.Plan.Pipeline.Backends != nil || cfg.Plan.Pipeline.Tests != nil || cfg.Plan.Pipeline.Broker != nil {
		t.Error("patched config carries backends, tests or the broker block")
	}
	// Compiling again gives the same bytes: unchanged stages keep their hash.
	b, err := Compile(plan, "s0")
	if err != nil {
		t.Fatal(err)
	}
	if b.SHA256() != a.SHA256() {
		t.Error("compiling the same stage twice gave different modules")
	}
	if bytes.Contains(genericModule[bytes.Index(genericModule, []byte(modconf.Marker)):][:64], []byte("lognorm")) {
		t.Error("Compile modified the embedded generic module")
	}
}

func TestCompileRefuses(t *testing.T) {
	lognorm := loadPipeline(t, "../../examples/lognorm")
	orders := loadPipeline(t, "../../examples/orders")
	tests := []struct {
		name string
		plan func() *ir.Plan
		want string // substring of the error
	}{
		{"stateful operators", func() *ir.Plan { return singleStagePlan(orders, ir.BackendBroker) }, "keeps state"},
		{"a native stage", func() *ir.Plan { return singleStagePlan(lognorm, ir.BackendNative) }, "placed on native"},
		{"no such stage", func() *ir.Plan {
			p := singleStagePlan(lognorm, ir.BackendBroker)
			p.Stages[0].ID = "other"
			return p
		}, `no stage "s0"`},
		{"config larger than the reserved area", func() *ir.Plan {
			p := *lognorm
			// 70 KiB of filter source: the stage's IR no longer fits.
			ops := slices.Clone(p.Operators)
			for i, op := range ops {
				if op.Kind == ir.KindFilter {
					c := *op
					f := *op.Filter
					// Distinct digests: the configuration is deflated,
					// so only text that does not compress overflows.
					var b strings.Builder
					for i := range 5000 {
						fmt.Fprintf(&b, " && record.level != %q", fmt.Sprintf("%x", sha256.Sum256([]byte{byte(i), byte(i >> 8)})))
					}
					f.Where.Source = "(" + f.Where.Source + ")" + b.String()
					c.Filter = &f
					ops[i] = &c
				}
			}
			p.Operators = ops
			return singleStagePlan(&p, ir.BackendBroker)
		}, "stage s0: module config is"},
		{"more than eight outputs", func() *ir.Plan {
			p := singleStagePlan(lognorm, ir.BackendBroker)
			for i := range 5 {
				p.Channels = append(p.Channels, &ir.Channel{From: "map.normalized", To: "aggregate.x", Topic: "t" + string(rune('a'+i)), Stream: "map.normalized"})
			}
			return p
		}, "writes 10 topics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.plan(), "s0")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Compile error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestCheckEnv(t *testing.T) {
	tests := []struct {
		env  map[string]string
		fail bool
	}{
		{map[string]string{"A": "b"}, false},
		{map[string]string{"A": strings.Repeat("x", MaxEnvBytes)}, true},
		{map[string]string{"REDPANDA_INPUT_TOPIC": "x"}, true},
		{map[string]string{"A=B": "x"}, true},
		{map[string]string{"A": "line\nbreak"}, true},
	}
	for _, tt := range tests {
		if err := CheckEnv(tt.env); (err != nil) != tt.fail {
			t.Errorf("CheckEnv(%q) = %v, want failure %v", tt.env, err, tt.fail)
		}
	}
}

func TestTransformName(t *testing.T) {
	if got := TransformName("my pipeline", "s/1"); got != "my-pipeline-s-1" {
		t.Errorf("TransformName = %q", got)
	}
	if got := TransformName(strings.Repeat("p", 200), "s0"); len(got) != MaxNameLen {
		t.Errorf("long name has %d bytes, want %d", len(got), MaxNameLen)
	}
}

// BenchmarkCompile measures compiling lognorm's stage: building the
// configuration, validating it and patching a copy of the module.
func BenchmarkCompile(b *testing.B) {
	plan := singleStagePlan(loadPipeline(b, "../../examples/lognorm"), ir.BackendBroker)
	for b.Loop() {
		if _, err := Compile(plan, "s0"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatch measures placing a configuration into a copy of the
// generic module: the step that replaces building a module per stage.
func BenchmarkPatch(b *testing.B) {
	cfg := []byte(`{"version":1}`)
	for b.Loop() {
		if _, err := Patch(genericModule, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
