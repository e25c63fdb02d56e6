package beam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/graphx"
	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/universal/extworker"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/universal/runnerlib"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/util/grpcx"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Job is a pipeline submitted to a Beam job service: Prism in this process
// or a job server (Flink, Spark, a standalone Prism) at an endpoint.
type Job struct {
	// ID is the job service's job ID, which Cancel takes.
	ID string
	// Endpoint is the job service the job was submitted to.
	Endpoint string

	conn     *grpc.ClientConn
	client   jobpb.JobServiceClient
	loopback *extworker.Loopback // workers of a LOOPBACK job, in this process
	tmp      string              // placeholder worker binary of a LOOPBACK job

	closeOnce sync.Once
}

// Submit submits p as job name according to cfg and returns once the job
// service accepted it. With no endpoint it first starts Prism's job service
// in this process. Submit does not wait for the job: Wait does.
//
// It follows the Beam SDK's universal runner step by step (prepare,
// stage the worker binary, run), because that runner hides the job ID of
// an asynchronous submission and reads its settings from global flags.
func Submit(ctx context.Context, p *beam.Pipeline, name string, cfg *beamconfig.JobConfig) (_ *Job, err error) {
	Init()
	if cfg == nil {
		cfg = &beamconfig.JobConfig{Runner: beamconfig.RunnerPrism, Environment: beamconfig.EnvLoopback}
	}
	job := &Job{Endpoint: cfg.Endpoint}
	defer func() {
		if err != nil {
			job.Close()
		}
	}()
	if cfg.InProcess() {
		if job.Endpoint, err = startPrism(ctx); err != nil {
			return nil, err
		}
	}

	edges, _, err := p.Build()
	if err != nil {
		return nil, fmt.Errorf("beam: build pipeline: %w", err)
	}
	urn, envConfig, err := environment(cfg)
	if err != nil {
		return nil, err
	}
	bin := cfg.WorkerBinary
	loopback := cfg.Environment == beamconfig.EnvLoopback
	switch {
	case loopback:
		// Workers are goroutines of this process: the job service starts
		// them through an external worker pool served here.
		if job.loopback, err = extworker.StartLoopback(ctx, 0); err != nil {
			return nil, fmt.Errorf("beam: loopback workers: %w", err)
		}
		envConfig = job.loopback.EnvironmentConfig(ctx)
		// The staged binary is unused; stage an empty file, as the SDK does.
		f, err := os.CreateTemp("", "pipeline-loopback-*")
		if err != nil {
			return nil, fmt.Errorf("beam: %w", err)
		}
		f.Close()
		job.tmp, bin = f.Name(), f.Name()
	case bin == "":
		// pipeline-beam is its own Beam worker (see WorkerMain).
		if bin, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("beam: find the worker binary: %w", err)
		}
	}
	env, err := graphx.CreateEnvironment(ctx, urn, func(context.Context) string { return envConfig })
	if err != nil {
		return nil, fmt.Errorf("beam: environment: %w", err)
	}
	model, err := graphx.Marshal(edges, &graphx.Options{Environment: env})
	if err != nil {
		return nil, fmt.Errorf("beam: pipeline model: %w", err)
	}
	if err := runnerlib.UpdateGoEnvironmentWorker(bin, model); err != nil {
		return nil, fmt.Errorf("beam: worker binary %s: %w", bin, err)
	}

	if job.conn, err = grpcx.Dial(ctx, job.Endpoint, time.Minute); err != nil {
		return nil, fmt.Errorf("beam: connect to the job service at %s: %w", job.Endpoint, err)
	}
	job.client = jobpb.NewJobServiceClient(job.conn)
	opts := &runnerlib.JobOptions{Name: name, Worker: bin, Parallelism: cfg.Parallelism, Loopback: loopback}
	if cfg.Runner == beamconfig.RunnerPrism || cfg.Runner == "" {
		opts.Experiments = append(opts.Experiments, prismNoSplits)
	}
	prepID, artifacts, token, err := runnerlib.Prepare(ctx, job.client, model, opts)
	if err != nil {
		return nil, fmt.Errorf("beam: prepare job at %s: %w", job.Endpoint, err)
	}
	if token, err = runnerlib.Stage(ctx, prepID, artifacts, bin, token); err != nil {
		return nil, fmt.Errorf("beam: stage the worker binary at %s: %w", job.Endpoint, err)
	}
	if job.ID, err = runnerlib.Submit(ctx, job.client, prepID, token); err != nil {
		return nil, fmt.Errorf("beam: submit job to %s: %w", job.Endpoint, err)
	}
	return job, nil
}

// prismNoSplits turns off Prism's dynamic splitting of slow bundles. A
// split hands the unprocessed rest of a bundle back to be scheduled later,
// after the part already processed has set the keyed DoFn's timers; a
// key's records can then reach keyedFn after a timer has fired over
// records of later arrival (Record.Seq), and the operator sees them out of
// the native engine's order. On a loaded machine that split a Nexmark q11
// session in two. Without splits, a bounded input's records are all in
// their key's bag before any timer fires (keyedFn).
const prismNoSplits = "prism_disable_sdf_split"

// Wait blocks until the job finishes, failing if it failed, and releases
// what Submit started. Cancelling ctx stops waiting, not the job (Cancel
// does that), except that a LOOPBACK job's workers stop with the process.
func (j *Job) Wait(ctx context.Context) error {
	if err := runnerlib.WaitForCompletion(ctx, j.client, j.ID); err != nil {
		// A job cancelled or failed early may have its environment still
		// starting a worker in the loopback pool, and Prism panics when
		// the pool is gone by then: keep it a little longer.
		time.AfterFunc(loopbackGrace, j.Close)
		return fmt.Errorf("beam job %s: %w", j.ID, err)
	}
	j.Close()
	return nil
}

// loopbackGrace is how long the loopback worker pool of a job that did not
// finish cleanly stays up.
const loopbackGrace = 5 * time.Second

// Close releases the connection and the loopback workers without waiting
// for the job.
func (j *Job) Close() {
	j.closeOnce.Do(func() {
		if j.loopback != nil {
			_ = j.loopback.Stop(context.Background())
		}
		if j.conn != nil {
			j.conn.Close()
		}
		if j.tmp != "" {
			os.Remove(j.tmp)
		}
	})
}

// Cancel asks the job service at endpoint to cancel job id. A job that
// already finished (or that the service no longer knows, as a job server
// that restarted) is not an error: there is nothing left to stop.
func Cancel(ctx context.Context, endpoint, id string) error {
	conn, err := grpcx.Dial(ctx, endpoint, 30*time.Second)
	if err != nil {
		return fmt.Errorf("beam: connect to the job service at %s: %w", endpoint, err)
	}
	defer conn.Close()
	client := jobpb.NewJobServiceClient(conn)
	st, err := client.GetState(ctx, &jobpb.GetJobStateRequest{JobId: id})
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return nil
		}
		return fmt.Errorf("beam: state of job %s at %s: %w", id, endpoint, err)
	}
	if terminal(st.GetState()) {
		return nil
	}
	if _, err := client.Cancel(ctx, &jobpb.CancelJobRequest{JobId: id}); err != nil {
		return fmt.Errorf("beam: cancel job %s at %s: %w", id, endpoint, err)
	}
	return nil
}

// State returns the state of job id at endpoint, e.g. "RUNNING".
func State(ctx context.Context, endpoint, id string) (string, error) {
	conn, err := grpcx.Dial(ctx, endpoint, 30*time.Second)
	if err != nil {
		return "", fmt.Errorf("beam: connect to the job service at %s: %w", endpoint, err)
	}
	defer conn.Close()
	st, err := jobpb.NewJobServiceClient(conn).GetState(ctx, &jobpb.GetJobStateRequest{JobId: id})
	if err != nil {
		return "", fmt.Errorf("beam: state of job %s at %s: %w", id, endpoint, err)
	}
	return st.GetState().String(), nil
}

func terminal(s jobpb.JobState_Enum) bool {
	switch s {
	case jobpb.JobState_DONE, jobpb.JobState_FAILED, jobpb.JobState_CANCELLED, jobpb.JobState_UPDATED, jobpb.JobState_DRAINED:
		return true
	}
	return false
}

// environment returns the Beam environment URN and configuration of cfg.
func environment(cfg *beamconfig.JobConfig) (urn, config string, err error) {
	switch cfg.Environment {
	case beamconfig.EnvLoopback, "":
		return graphx.URNEnvExternal, "", nil
	case beamconfig.EnvDocker:
		img := cfg.EnvironmentConfig
		if img == "" {
			img = beamconfig.DefaultDockerImage
		}
		return graphx.URNEnvDocker, img, nil
	case beamconfig.EnvProcess:
		c := strings.TrimSpace(cfg.EnvironmentConfig)
		if c == "" {
			return "", "", errors.New("beam: environment PROCESS needs environment_config (the boot command)")
		}
		if !strings.HasPrefix(c, "{") {
			// A bare path is the command.
			b, _ := json.Marshal(map[string]string{"command": c})
			c = string(b)
		}
		return graphx.URNEnvProcess, c, nil
	}
	return "", "", fmt.Errorf("beam: unknown environment %q", cfg.Environment)
}

// startPrism starts Prism's job service in this process on a free loopback
// port and returns its endpoint. It serves until the process exits.
func startPrism(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("beam: find a port for Prism: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if _, err := prism.CreateJobServer(ctx, prism.Options{Port: port}); err != nil {
		return "", fmt.Errorf("beam: start Prism: %w", err)
	}
	return fmt.Sprintf("localhost:%d", port), nil
}
