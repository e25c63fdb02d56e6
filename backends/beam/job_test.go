package beam_test

import (
	"context"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio"
	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio/kafkatest"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
)

// loadSpec loads a spec given as source text.
func loadSpec(t *testing.T, src string) (*ir.Pipeline, hcl.Diagnostics) {
	t.Helper()
	res, diags := lang.LoadFiles(map[string][]byte{"spec.hcl": []byte(src)}, lang.Options{})
	return res.Pipeline, diags
}

func TestDecodeJobConfig(t *testing.T) {
	const rest = `
pipeline "p" {}
source "in" {
  topic  = "in"
  schema = object({ id = string })
}
sink "out" {
  input = source.in
  topic = "out"
}
`
	tests := []struct {
		name  string
		block string
		want  *beamconfig.JobConfig
		diags []string // summaries, errors and warnings
	}{
		{name: "no beam block", block: ``},
		{name: "prism in-process by default", block: `backend "beam" {}`,
			want: &beamconfig.JobConfig{Runner: "prism", Environment: "LOOPBACK"}},
		{name: "flink job server defaults to docker", block: `backend "beam" {
  runner   = "flink"
  endpoint = "flink-jobserver:8099"
}`, want: &beamconfig.JobConfig{Runner: "flink", Endpoint: "flink-jobserver:8099", Environment: "DOCKER", EnvironmentConfig: beamconfig.DefaultDockerImage}},
		{name: "process environment with a boot command", block: `backend "beam" {
  runner             = "spark"
  endpoint           = "localhost:8099"
  environment        = "process"
  environment_config = "/opt/beam/boot"
  parallelism        = 4
}`, want: &beamconfig.JobConfig{Runner: "spark", Endpoint: "localhost:8099", Environment: "PROCESS", EnvironmentConfig: "/opt/beam/boot", Parallelism: 4}},
		{name: "standalone prism", block: `backend "beam" {
  endpoint = "localhost:8073"
}`, want: &beamconfig.JobConfig{Runner: "prism", Endpoint: "localhost:8073", Environment: "LOOPBACK"}},
		{name: "loopback on a job server warns", block: `backend "beam" {
  runner      = "universal"
  endpoint    = "localhost:8099"
  environment = "LOOPBACK"
}`, want: &beamconfig.JobConfig{Runner: "universal", Endpoint: "localhost:8099", Environment: "LOOPBACK"}, diags: []string{"Loopback environment on a job server"}},
		{name: "flink without endpoint", block: `backend "beam" { runner = "flink" }`, diags: []string{"Missing beam job server"}},
		{name: "unknown runner", block: `backend "beam" { runner = "dataflow" }`, diags: []string{"Invalid beam backend setting"}},
		{name: "bad endpoint", block: `backend "beam" {
  runner   = "flink"
  endpoint = "http://flink"
}`, diags: []string{"Invalid beam backend setting"}},
		{name: "process without command", block: `backend "beam" {
  runner      = "flink"
  endpoint    = "localhost:8099"
  environment = "PROCESS"
}`, diags: []string{"Missing beam environment_config"}},
		{name: "unknown environment", block: `backend "beam" { environment = "K8S" }`, diags: []string{"Invalid beam backend setting"}},
		{name: "typo", block: `backend "beam" { enviroment = "DOCKER" }`, diags: []string{"Unsupported beam backend setting"}},
		{name: "bad parallelism", block: `backend "beam" { parallelism = 1.5 }`, diags: []string{"Invalid beam backend setting"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, diags := loadSpec(t, rest+tt.block)
			if diags.HasErrors() {
				t.Fatalf("load: %s", diags.Error())
			}
			got, diags := beamconfig.DecodeJobConfig(p)
			var summaries []string
			for _, d := range diags {
				summaries = append(summaries, d.Summary)
				if d.Subject == nil || d.Subject.Filename != "spec.hcl" {
					t.Errorf("diagnostic %q has no source range: %v", d.Summary, d.Subject)
				}
			}
			if diff := cmp.Diff(tt.diags, summaries); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, diags.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsWorker(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"--worker=true", "--id=1", "--control_endpoint=localhost:1"}, true},
		{[]string{"-worker", "-id", "x"}, true},
		{[]string{"apply", "-auto-approve", "."}, false},
		{[]string{"apply", "worker"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := beam.IsWorker(tt.args); got != tt.want {
			t.Errorf("IsWorker(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

// jobSpec is a stateless stage on beam: big US orders from one topic to
// another, with a dead-letter topic for what does not decode.
const jobSpec = `
pipeline "jobs" {}
backend "beam" {}
source "orders" {
  topic      = "orders"
  schema     = object({ id = string, amount = number, country = string, ts = string })
  event_time = record.ts
  backend    = "beam"
}
filter "big_us" {
  input   = source.orders
  where   = record.amount >= 100 && lower(record.country) == "us"
  backend = "beam"
}
sink "big" {
  input    = filter.big_us
  topic    = "big"
  key      = record.id
  delivery = "at_least_once"
  backend  = "beam"
}
`

// singleStage places every operator of p in one beam stage.
func singleStage(p *ir.Pipeline) *ir.Plan {
	st := &ir.Stage{ID: "beam.1", Backend: ir.BackendBeam, Inputs: []string{"orders"}, Outputs: []string{"big", p.DeadLetterTopic}}
	for _, op := range p.Operators {
		st.Operators = append(st.Operators, op.ID)
	}
	return &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p, Stages: []*ir.Stage{st}}
}

// TestJobServer submits a translated stage to Prism's standalone job
// server with the universal runner (LOOPBACK workers in this test
// process), reading from and writing to a broker in a third process: once
// bounded (it finishes when idle) and checked with kcat, once unbounded
// and cancelled by job ID, as destroy does.
func TestJobServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts Prism's job server: skipped with -short")
	}
	kafkatest.Kcat(t)
	beam.Init()
	addr := kafkatest.StartBroker(t, "-partitions", "2")
	endpoint := kafkatest.StartPrism(t)

	p, diags := loadSpec(t, jobSpec)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	plan := singleStage(p)
	kafkatest.Produce(t, addr, "orders", []string{
		`o1|{"id":"o1","amount":150,"country":"US","ts":"2026-01-01T00:00:01Z"}`,
		`o2|{"id":"o2","amount":50,"country":"US","ts":"2026-01-01T00:00:02Z"}`,
		`o3|{"id":"o3","amount":500,"country":"us","ts":"2026-01-01T00:00:03Z"}`,
		`o4|{"id":"o4","amount":900,"country":"FR","ts":"2026-01-01T00:00:04Z"}`,
		`o5|not json`,
	})
	conn := kafkaio.Conn{Broker: ir.Broker{Name: "test", Brokers: []string{addr}}}
	cfg := &beamconfig.JobConfig{Runner: beamconfig.RunnerUniversal, Endpoint: endpoint, Environment: beamconfig.EnvLoopback}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	t.Run("bounded", func(t *testing.T) {
		io, err := beam.NewKafkaIO(plan, "beam.1", conn)
		if err != nil {
			t.Fatal(err)
		}
		io.StopWhenIdle = 2 * time.Second
		pipe, err := beam.Build(plan, "beam.1", io)
		if err != nil {
			t.Fatal(err)
		}
		job, err := beam.Submit(ctx, pipe, "jobs-bounded", cfg)
		if err != nil {
			t.Fatal(err)
		}
		if job.ID == "" {
			t.Error("no job ID")
		}
		if err := job.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		want := []string{
			`o1|{"amount":150,"country":"US","id":"o1","ts":"2026-01-01T00:00:01Z"}`,
			`o3|{"amount":500,"country":"us","id":"o3","ts":"2026-01-01T00:00:03Z"}`,
		}
		if diff := cmp.Diff(want, kafkatest.Consume(t, addr, "big")); diff != "" {
			t.Errorf("big (-want +got):\n%s", diff)
		}
		dead := kafkatest.ConsumeFormat(t, addr, "jobs.dlq", "%k|%s|%h")
		if len(dead) != 1 || !strings.HasPrefix(dead[0], "o5|not json|") || !strings.Contains(dead[0], "pipeline.reason=decode") || !strings.Contains(dead[0], "pipeline.source.topic=orders") {
			t.Errorf("dead letters: got %q, want o5 with reason decode and source topic orders", dead)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		io, err := beam.NewKafkaIO(plan, "beam.1", conn)
		if err != nil {
			t.Fatal(err)
		}
		pipe, err := beam.Build(plan, "beam.1", io)
		if err != nil {
			t.Fatal(err)
		}
		job, err := beam.Submit(ctx, pipe, "jobs-unbounded", cfg)
		if err != nil {
			t.Fatal(err)
		}
		waited := make(chan error, 1)
		go func() { waited <- job.Wait(ctx) }()
		waitState(t, endpoint, job.ID, "RUNNING")
		// Let the job start its workers: Prism 2.77 panics when a job
		// cancelled before its worker started then fails to start it
		// (destroy cancels jobs that have long been running).
		time.Sleep(3 * time.Second)
		if err := beam.Cancel(ctx, endpoint, job.ID); err != nil {
			t.Fatal(err)
		}
		waitState(t, endpoint, job.ID, "CANCELLED")
		select {
		case <-waited:
		case <-time.After(30 * time.Second):
			t.Fatal("Wait did not return after the job was cancelled")
		}
		// Cancelling a finished job is not an error (destroy twice).
		if err := beam.Cancel(ctx, endpoint, job.ID); err != nil {
			t.Errorf("cancel a cancelled job: %v", err)
		}
	})
}

// waitState polls the job's state until it is want.
func waitState(t *testing.T, endpoint, id, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var err error
		if got, err = beam.State(context.Background(), endpoint, id); err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
	}
	t.Fatalf("job %s: state %s, want %s", id, got, want)
}
