package broker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/backends/broker/internal/modconf"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/wasmhost"
)

// runModule starts mod as Redpanda would deploy artifact a, feeds it recs
// in one batch and returns what it wrote, one line per record.
func runModule(t *testing.T, mod *wasmhost.Module, a *Artifact, recs []wasmhost.Record) ([]string, *wasmhost.Instance) {
	t.Helper()
	ctx := context.Background()
	inst, err := mod.Start(ctx, a.Transform().Config)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = inst.Process(ctx, recs, func(o wasmhost.Output) error {
		var h []string
		for _, x := range o.Headers {
			h = append(h, string(x.Key)+"="+string(x.Value))
		}
		got = append(got, fmt.Sprintf("%d %s key=%q %s %s", o.Input, o.Topic, o.Key, o.Value, strings.Join(h, ",")))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, inst
}

// TestHostRunsPatchedModule runs lognorm's compiled module in the host:
// as deployed (the patched bytes compiled as they are) and as local runs
// host it (the generic module compiled once, the configuration written
// into memory); both must write the same records.
func TestHostRunsPatchedModule(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	ctx := context.Background()
	p := loadPipeline(t, "../../examples/lognorm")
	a, err := Compile(singleStagePlan(p, ir.BackendBroker), "s0")
	if err != nil {
		t.Fatal(err)
	}
	var recs []wasmhost.Record
	for i, r := range p.Tests[0].Given[0].Records {
		recs = append(recs, wasmhost.Record{Value: r, Offset: int64(i), TimestampMs: 1000})
	}
	recs = append(recs, wasmhost.Record{Key: []byte("k"), Value: []byte("{bad"), Offset: 99})
	want := []string{
		`0 logs-errors key="api" {"host":"web-1","level":"ERROR","msg":"disk full","service":"api","ts":"2026-01-01T00:00:01Z"} `,
		`1 logs-warnings key="db" {"host":"db-1","level":"WARN","msg":"slow query","service":"db","ts":"2026-01-01T00:00:02Z"} `,
		`2 logs-info key="api" {"host":"web-1","level":"INFO","msg":"request served","service":"api","ts":"2026-01-01T00:00:03Z"} `,
		`4 logs-unclassified key="iam" {"host":"web-2","level":"AUDIT","msg":"role granted","service":"iam","ts":"2026-01-01T00:00:05Z"} `,
		`5 lognorm.dlq key="k" {bad pipeline.error=json: invalid character 'b' looking for an object key (at byte 1),pipeline.reason=decode,pipeline.operator=source.raw,pipeline.source.topic=raw-logs,pipeline.source.offset=99`,
	}
	rt, err := wasmhost.NewRuntime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)

	deployed, err := rt.Compile(ctx, a.Module())
	if err != nil {
		t.Fatal(err)
	}
	got, inst := runModule(t, deployed, a, recs)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("deployed module wrote (-want +got):\n%s", d)
	}
	if err := inst.Close(ctx); err != nil {
		t.Fatal(err)
	}

	local, err := a.Host(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	got, inst = runModule(t, local, a, recs)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("locally hosted module wrote (-want +got):\n%s", d)
	}
	// The module's memory stays within what plan reports.
	data, err := os.ReadFile("../../examples/lognorm/data/raw-logs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var many []wasmhost.Record
	for i := range 20 {
		for j, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			many = append(many, wasmhost.Record{Value: l, Offset: int64(i*1000 + j)})
		}
	}
	if err := inst.Process(ctx, many, func(wasmhost.Output) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if m := inst.MemoryBytes(); m > uint64(a.MemoryBytes) {
		t.Errorf("module uses %d bytes of memory; Artifact.MemoryBytes says %d", m, a.MemoryBytes)
	}
	t.Logf("module memory after %d records: %d bytes (MemoryBytes %d)", len(many), inst.MemoryBytes(), a.MemoryBytes)
	if err := inst.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// Another stage of the generic module starts without compiling again.
	b, err := Compile(singleStagePlan(p, ir.BackendBroker), "s0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Host(ctx, rt); err != nil {
		t.Fatal(err)
	}
}

// TestModuleRefusesBadConfig: a module whose configuration it cannot run
// stops at start with the reason on stderr, which the host reports.
func TestModuleRefusesBadConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	ctx := context.Background()
	cfg, err := modconf.Encode(&modconf.Config{Version: 99})
	if err != nil {
		t.Fatal(err)
	}
	mod, err := Patch(genericModule, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := wasmhost.NewRuntime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(ctx)
	a := &Artifact{module: mod, Stage: "s0"}
	m, err := a.Host(ctx, rt)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Start(ctx, wasmhost.Config{InputTopic: "in", OutputTopics: []string{"out"}})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("module config version 99, this module reads %d", modconf.Version)) {
		t.Fatalf("Start error = %v, want the module's complaint about its config", err)
	}
}
