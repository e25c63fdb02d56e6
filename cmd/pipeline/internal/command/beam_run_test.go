package command

import (
	"context"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	beambackend "github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio/kafkatest"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
)

func init() { register.Function2x0(block) }

// block holds its bundle until the job is cancelled (or a minute passes):
// a job that stays RUNNING without any input.
func block(ctx context.Context, _ []byte) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
	}
}

// TestApplyRunsABeamStageBetweenNativeStages applies a spec whose beam
// stage reads a channel a native stage writes and writes one another
// native stage reads, on the embedded broker with -exit-when-idle: apply
// must wait for each stage's upstream before letting it finish, or the
// totals would be missing.
func TestApplyRunsABeamStageBetweenNativeStages(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a Beam job on Prism: skipped with -short")
	}
	dir := copySpec(t, "beam")
	check{outHas: []string{
		"Plan: 3 stages (2 native, beam)",
		"Beam stage beam.aggregate.per_country runs on Prism in pipeline-beam.",
		"sink.per_country: 3 records in topic per-country",
		"1 record went to the dead-letter topic beamlocal.dlq.",
		"Apply complete.",
	}}.verify(t, run(t, nil, "", "apply", "-auto-approve", "-exit-when-idle", "2s", dir))
}

// TestDestroyCancelsBeamJobs records a running job on Prism's standalone
// job server in the state, as apply does for a job-server runner, and
// checks that destroy cancels it and forgets it.
func TestDestroyCancelsBeamJobs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts Prism's job server: skipped with -short")
	}
	beambackend.Init()
	endpoint := kafkatest.StartPrism(t)
	p, s := beam.NewPipelineWithRoot()
	beam.ParDo0(s, block, beam.Impulse(s))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, err := beambackend.Submit(ctx, p, "blocked", &beamconfig.JobConfig{Runner: beamconfig.RunnerUniversal, Endpoint: endpoint, Environment: beamconfig.EnvLoopback})
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- job.Wait(ctx) }()
	// Let the job start its worker: Prism 2.77 panics when a job cancelled
	// before its worker started then fails to start it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if st, err := beambackend.State(ctx, endpoint, job.ID); err == nil && st == "RUNNING" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not start")
		}
	}
	time.Sleep(3 * time.Second)

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spec.hcl"), []byte(`pipeline "blocked" {}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := state.Write(state.Dir(dir), &state.State{Serial: 1, Pipeline: "blocked", Broker: []string{"embedded"},
		Stages: []state.Stage{{ID: "beam.1", Backend: "beam", Operators: []string{"aggregate.a"},
			BeamJob: &state.BeamJob{ID: job.ID, Endpoint: endpoint, Runner: "universal"}}}}); err != nil {
		t.Fatal(err)
	}
	check{outHas: []string{
		"cancel Beam job " + job.ID + " (stage beam.1) on the universal job server at " + endpoint,
		"Destroy complete.",
	}}.verify(t, run(t, nil, "", "destroy", "-auto-approve", dir))
	select {
	case <-waited:
	case <-time.After(30 * time.Second):
		t.Fatal("the job still runs after destroy")
	}
	if got, err := beambackend.State(ctx, endpoint, job.ID); err != nil || got != "CANCELLED" {
		t.Errorf("job state after destroy = %s (%v), want CANCELLED", got, err)
	}
	st, err := state.Read(state.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Stages) != 0 {
		t.Errorf("state still lists stages after destroy: %+v", st.Stages)
	}
}
