package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/backends/broker/admintest"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/control"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
)

// TestPlanRefreshReportsDrift applies two broker stages to a test broker
// and a fake Admin API, changes things behind apply's back (a topic
// deleted, partitions added, a topic config set, a transform deleted,
// another's environment changed, a worker reporting another version), and
// checks that plan -refresh reports exactly those, and that plan without
// -refresh contacts nothing.
func TestPlanRefreshReportsDrift(t *testing.T) {
	rp := &redpanda{broker: testkit.EmbeddedBroker(t, embedded.Partitions(2)),
		admin: admintest.NewServer(t, admintest.RequireBasicAuth("svc", "pw-from-env"))}
	dir := writeSpec(t, rp.spec(clicksChain, ordersChain))
	if res := runEnv(t, "apply", "-auto-approve", dir); res.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// Right after apply nothing has drifted.
	check{code: 0, outLacks: []string{"Drift"}}.verify(t, runEnv(t, "plan", "-refresh", "-detailed-exitcode", dir))

	cl, err := kgo.NewClient(kgo.SeedBrokers(rp.broker.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := adm.DeleteTopic(ctx, "pages"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreatePartitions(ctx, 1, "orders"); err != nil {
		t.Fatal(err)
	}
	retention := "3600000"
	if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &retention}}, "big-orders"); err != nil {
		t.Fatal(err)
	}
	rpAdmin, err := broker.NewAdminClient(rp.admin.URL, broker.WithBasicAuth("svc", "pw-from-env"))
	if err != nil {
		t.Fatal(err)
	}
	if err := rpAdmin.Delete(ctx, "shop-broker.source.clicks"); err != nil {
		t.Fatal(err)
	}
	for _, tr := range rp.admin.Transforms() {
		if tr.Name == "shop-broker.source.orders" {
			tr.Environment["EXTRA"] = "1"
			rp.admin.Put(tr)
		}
	}

	// A live worker reports running a version another apply published.
	report, err := json.Marshal(control.Report{FormatVersion: 1, Worker: "w9", Host: "h", ReportedAt: time.Now(), IntervalMs: time.Minute.Milliseconds(),
		Pipelines: []control.PipelineStatus{{Name: "shop", Version: 2, Running: 2, State: "running"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: control.StatusTopic, Key: []byte("w9"), Value: report}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	requests := len(rp.admin.Requests())
	offline := runEnv(t, "plan", "-json", dir)
	if offline.code != 0 {
		t.Fatalf("plan: exit %d\n%s", offline.code, offline.stderr)
	}
	if got := len(rp.admin.Requests()); got != requests {
		t.Errorf("plan without -refresh made %d Admin API requests", got-requests)
	}
	if strings.Contains(offline.stdout, `"drift"`) {
		t.Errorf("plan without -refresh reports drift:\n%s", offline.stdout)
	}

	res := runEnv(t, "plan", "-refresh", "-json", "-detailed-exitcode", dir)
	if res.code != 2 {
		t.Fatalf("plan -refresh -detailed-exitcode: exit %d, want 2\n%s", res.code, res.stderr)
	}
	var got struct {
		Drift []ir.Drift `json:"drift"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("plan -json: %v\n%s", err, res.stdout)
	}
	want := []ir.Drift{
		{Address: "topic.big-orders", Kind: "topic", Change: "changed", Detail: "retention.ms (default) → 3600000"},
		{Address: "topic.orders", Kind: "topic", Change: "changed", Detail: "partitions 2 → 3"},
		{Address: "topic.pages", Kind: "topic", Change: "removed", Detail: "the state of apply 1 names it; the broker does not have it"},
		{Address: "transform.shop-broker.source.clicks", Kind: "transform", Change: "removed",
			Detail: "the last apply deployed it (stage broker.source.clicks); the cluster at " + rp.admin.URL + " does not have it"},
		{Address: "transform.shop-broker.source.orders", Kind: "transform", Change: "changed", Detail: "environment EXTRA added"},
		{Address: "worker.w9", Kind: "worker", Change: "changed", Detail: "runs version 2 of pipeline shop (ordered 2); the state says 1"},
	}
	if diff := cmp.Diff(want, got.Drift); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}

	human := runEnv(t, "plan", "-refresh", dir)
	check{code: 0, outHas: []string{
		"Drift: objects have changed outside of Pipeline",
		"  - topic.pages removed: the state of apply 1 names it",
		"  ~ topic.orders changed: partitions 2 → 3",
	}}.verify(t, human)
	if d, s := strings.Index(human.stdout, "Drift:"), strings.Index(human.stdout, "Stage broker.source.clicks"); s < 0 || d < s {
		t.Errorf("the Drift section is not after the stages and before the changes:\n%s", human.stdout)
	}

	// An Admin API that does not answer is a warning naming it, not a
	// failure; the other comparisons still run.
	rp.admin.Close()
	res = runEnv(t, "plan", "-refresh", "-detailed-exitcode", dir)
	check{code: 2, errHas: []string{"Cannot refresh the transforms at the Redpanda Admin API " + rp.admin.URL},
		outHas: []string{"~ topic.orders changed"}}.verify(t, res)
}

func TestBeamDrift(t *testing.T) {
	st := &state.State{Stages: []state.Stage{
		{ID: "native.1", Backend: "native"},
		{ID: "beam.1", Identity: "beam.aggregate.a", BeamJob: &state.BeamJob{ID: "j1", Endpoint: "flink:8099"}},
		{ID: "beam.2", Identity: "beam.aggregate.b", BeamJob: &state.BeamJob{ID: "j2", Endpoint: "flink:8099"}},
		{ID: "beam.3", Identity: "beam.aggregate.c", BeamJob: &state.BeamJob{ID: "j3", Endpoint: "flink:8099"}},
		{ID: "beam.4", Identity: "beam.aggregate.d", BeamJob: &state.BeamJob{ID: "j4", Endpoint: "other:8099"}},
		{ID: "beam.5", Identity: "beam.aggregate.e", BeamJob: &state.BeamJob{ID: "j5", Endpoint: "flink:8099"}},
	}}
	answers := map[string]struct {
		state string
		err   error
	}{
		"j1": {state: "RUNNING"},
		"j2": {state: "FAILED"},
		"j3": {err: errors.New("rpc error: code = NotFound desc = job j3 not found")},
		"j4": {err: errors.New("dial tcp other:8099: connection refused")},
		"j5": {state: "CANCELLED"},
	}
	var asked []string
	got, diags := beamDrift(context.Background(), st, func(_ context.Context, endpoint, id string) (string, error) {
		asked = append(asked, endpoint+"/"+id)
		a := answers[id]
		return a.state, a.err
	})
	want := []ir.Drift{
		{Address: "beam_job.beam.aggregate.b", Kind: "beam_job", Change: "changed", Detail: "job j2 is FAILED at the job service flink:8099, not RUNNING"},
		{Address: "beam_job.beam.aggregate.c", Kind: "beam_job", Change: "removed", Detail: "the job service at flink:8099 no longer knows job j3"},
		{Address: "beam_job.beam.aggregate.e", Kind: "beam_job", Change: "changed", Detail: "job j5 is CANCELLED at the job service flink:8099, not RUNNING"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"flink:8099/j1", "flink:8099/j2", "flink:8099/j3", "other:8099/j4", "flink:8099/j5"}, asked); diff != "" {
		t.Errorf("jobs asked (-want +got):\n%s", diff)
	}
	if len(diags) != 1 || !strings.Contains(diags[0].Summary, "beam job j4 at the job service other:8099") || diags[0].Severity != hcl.DiagWarning {
		t.Errorf("diagnostics = %v, want one warning naming other:8099", diags)
	}
}

func TestWorkerDrift(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	report := func(worker string, age time.Duration, only string, ps ...control.PipelineStatus) *control.Report {
		r := &control.Report{Worker: worker, ReportedAt: now.Add(-age), IntervalMs: 5000, Only: only}
		r.Pipelines = ps
		return r
	}
	st := &state.State{Pipeline: "orders", Serial: 3}
	workers := []*control.Report{
		report("w1", time.Second, "", control.PipelineStatus{Name: "orders", Version: 3, Running: 3, State: "running"}),
		report("w2", time.Second, "", control.PipelineStatus{Name: "orders", Version: 4, Running: 4, State: "running"}),
		report("w3", time.Second, "", control.PipelineStatus{Name: "orders", Version: 3, Running: 2, State: "failed", Error: "boom"}),
		report("w4", time.Hour, "", control.PipelineStatus{Name: "orders", Version: 1, Running: 1}),       // gone
		report("w5", time.Second, "other", control.PipelineStatus{Name: "other", Version: 9, Running: 9}), // another pipeline
		report("w6", time.Second, ""), // not running orders (yet)
	}
	want := []ir.Drift{
		{Address: "worker.w2", Kind: "worker", Change: "changed", Detail: "runs version 4 of pipeline orders (ordered 4); the state says 3"},
		{Address: "worker.w3", Kind: "worker", Change: "changed", Detail: "runs version 2 of pipeline orders (ordered 3); the state says 3: boom"},
	}
	if diff := cmp.Diff(want, workerDrift(st, workers, now)); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
}

func TestEnvDiffsHideSensitiveValues(t *testing.T) {
	tests := []struct {
		name           string
		recorded, live map[string]string
		want           []string
	}{
		{"same", map[string]string{"A": "1", "T": state.SensitiveEnv}, map[string]string{"A": "1", "T": "s3cret"}, nil},
		{"changed", map[string]string{"A": "1"}, map[string]string{"A": "2"}, []string{`environment A "1" → "2"`}},
		{"sensitive changed is not seen, removed is", map[string]string{"T": state.SensitiveEnv, "U": state.SensitiveEnv}, map[string]string{"T": "other"}, []string{"environment U removed"}},
		{"added", map[string]string{}, map[string]string{"B": "x"}, []string{"environment B added"}},
	}
	for _, tt := range tests {
		got := envDiffs(tt.recorded, tt.live)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
		if strings.Contains(fmt.Sprint(got), "s3cret") || strings.Contains(fmt.Sprint(got), "other") {
			t.Errorf("%s: a sensitive value is printed: %v", tt.name, got)
		}
	}
}

// TestPlanRefreshWithTheBrokerDown: a broker that refuses connections is a
// warning naming it (for the topics and for the status topic), not a
// failure, and there is no drift to report.
func TestPlanRefreshWithTheBrokerDown(t *testing.T) {
	dir := writeSpec(t, `pipeline "p" {}

broker "main" {
  brokers = ["127.0.0.1:1"]
}

source "orders" {
  topic  = "orders"
  schema = object({ id = string })
}

sink "out" {
  input = source.orders
  topic = "out"
}
`)
	if err := state.Write(state.Dir(dir), &state.State{Serial: 1, Pipeline: "p", Broker: []string{"127.0.0.1:1"}, Topics: []string{"orders", "out"}}); err != nil {
		t.Fatal(err)
	}
	res := runEnv(t, "plan", "-refresh", "-json", dir)
	check{code: 0, outLacks: []string{`"drift"`}, errHas: []string{
		"Cannot refresh the topics on broker 127.0.0.1:1",
		"Cannot refresh the workers' status topic _pipeline-status on broker 127.0.0.1:1",
	}}.verify(t, res)
}
