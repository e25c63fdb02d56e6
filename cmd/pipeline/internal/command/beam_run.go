//go:build !nobeam

package command

import (
	"context"
	"errors"
	"fmt"
	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	beambackend "github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// This file runs a plan's beam stages for apply and run. It is left out of
// a binary built with -tags nobeam (beam_run_nobeam.go), which refuses
// beam stages instead.

func init() { destroySteps[ir.BackendBeam] = destroyBeamJobs }

// beamJobs are the beam stages of one apply or run. A job on Prism in this
// process runs alongside the native workers and stops with the process; a
// job on a job server outlives it, and destroy cancels it.
type beamJobs struct {
	run  string // names this run's barriers (kafkaio.Release)
	jobs []*beamJob
}

type beamJob struct {
	stage  string
	cfg    *beamconfig.JobConfig
	job    *beambackend.Job
	awaits bool          // apply waits for it: its workers are in this process, or it is bounded by -exit-when-idle
	done   chan struct{} // closed when the job finished (awaits only)
	err    error         // why it failed, once done is closed
}

// beamRunnable reports why this build cannot run p's beam stages: it can.
func beamRunnable(*ir.Plan) error { return nil }

func hasBeamStages(p *ir.Plan) bool {
	return slices.ContainsFunc(p.Stages, func(s *ir.Stage) bool { return s.Backend == ir.BackendBeam })
}

// submitBeam submits every beam stage of p as a Beam job reading and
// writing s's broker, and returns once all were accepted. Stages wait for
// the upstream stages of this run before a bounded read (-exit-when-idle)
// ends.
func (m *Meta) submitBeam(ctx context.Context, p *ir.Plan, s *session, rf *runFlags) (*beamJobs, error) {
	if !hasBeamStages(p) {
		return nil, nil
	}
	cfg, diags := beamconfig.DecodeJobConfig(p.Pipeline)
	if diags.HasErrors() {
		return nil, diags
	}
	beambackend.Init()
	// Beam and Prism log through slog's default logger, which Init sets
	// up at info level: keep their progress chatter out of the CLI's
	// output unless asked for.
	level := slog.LevelWarn
	if m.getenv("PIPELINE_LOG") == "debug" {
		level = slog.LevelDebug
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level})))

	b := p.Pipeline.Broker
	if b == nil {
		b = &ir.Broker{Name: "embedded", Brokers: s.brokers}
	}
	conn := kafkaio.Conn{Broker: *b}
	if err := ensureBeamTopics(ctx, p, s, rf); err != nil {
		return nil, err
	}
	jobs := &beamJobs{run: fmt.Sprintf("%s-%d", p.Pipeline.Name, time.Now().UnixNano())}
	for _, st := range p.Stages {
		if st.Backend != ir.BackendBeam {
			continue
		}
		io, err := beambackend.NewKafkaIO(p, st.ID, conn)
		if err != nil {
			jobs.stop()
			return nil, err
		}
		io.StopWhenIdle = rf.exitWhenIdle
		if cfg.Environment == beamconfig.EnvLoopback {
			// Barriers are released in this process, so only workers
			// running here see them; elsewhere a bounded read ends on
			// idleness alone.
			io.WaitFor = jobs.upstream(p, st)
		}
		pipe, err := beambackend.Build(p, st.ID, io)
		if err != nil {
			jobs.stop()
			return nil, fmt.Errorf("stage %s: %w", st.ID, err)
		}
		job, err := beambackend.Submit(ctx, pipe, p.Pipeline.Name+"-"+st.ID, cfg)
		if err != nil {
			jobs.stop()
			return nil, fmt.Errorf("stage %s: %w", st.ID, err)
		}
		j := &beamJob{stage: st.ID, cfg: cfg, job: job, awaits: cfg.InProcess() || cfg.Environment == beamconfig.EnvLoopback || rf.exitWhenIdle > 0, done: make(chan struct{})}
		jobs.jobs = append(jobs.jobs, j)
		if cfg.InProcess() {
			fmt.Fprintf(m.Stdout, "Beam stage %s runs on Prism in this process.\n", st.ID)
		} else {
			fmt.Fprintf(m.Stdout, "Beam stage %s submitted to the %s job server at %s as job %s.\n", st.ID, cfg.Runner, job.Endpoint, job.ID)
		}
		if !j.awaits {
			job.Close() // it runs on: destroy cancels it
			continue
		}
		go func() {
			defer close(j.done)
			defer kafkaio.Release(jobs.barrier(j.stage))
			j.err = job.Wait(ctx)
			if ctx.Err() != nil {
				j.err = nil // interrupted: the job stops with the process
			}
		}()
	}
	return jobs, nil
}

// ensureBeamTopics creates the topics of p's beam stages that are missing,
// as workers create their own: a job's read lists its topic's partitions
// when it starts.
func ensureBeamTopics(ctx context.Context, p *ir.Plan, s *session, rf *runFlags) error {
	var topics []string
	for _, st := range p.Stages {
		if st.Backend != ir.BackendBeam {
			continue
		}
		for _, t := range append(append([]string(nil), st.Inputs...), st.Outputs...) {
			if !strings.HasPrefix(t, "file:") {
				topics = append(topics, t)
			}
		}
	}
	if len(topics) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(s.clientOpts...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	partitions := int32(-1)
	if s.embedded != nil {
		partitions = int32(rf.partitions)
	}
	return kafka.EnsureTopics(ctx, kadm.NewClient(cl), topics, partitions)
}

// barrier names the barrier released when stage finishes in this run.
func (b *beamJobs) barrier(stage string) string { return b.run + "/" + stage }

// upstream returns, per input topic of beam stage st, the barriers of the
// stages that write it in this run.
func (b *beamJobs) upstream(p *ir.Plan, st *ir.Stage) map[string][]string {
	in := map[string]bool{}
	for _, id := range st.Operators {
		in[id] = true
	}
	wait := map[string][]string{}
	for _, ch := range p.Channels {
		prod, _ := ir.StreamOperator(ch.From)
		if !in[ch.To] || in[prod] {
			continue
		}
		if up := p.StageOf(prod); up != nil {
			wait[ch.Topic] = append(wait[ch.Topic], b.barrier(up.ID))
		}
	}
	return wait
}

// workerOptions link the native workers with the beam jobs: a native stage
// reading a beam stage's output drains only after that job finished, and
// a beam stage's bounded read ends only after the native stages writing
// its input finished.
func (b *beamJobs) workerOptions() []worker.Option {
	if b == nil {
		return nil
	}
	var opts []worker.Option
	for _, j := range b.jobs {
		if j.awaits {
			opts = append(opts, worker.ExternalUpstream(j.stage, j.done))
		}
	}
	return append(opts, worker.OnProgress(func(pr worker.Progress) {
		for _, st := range pr.Stages {
			if st.Done {
				kafkaio.Release(b.barrier(st.Stage))
			}
		}
	}))
}

// wait releases the barriers of the stages that ran in the workers (they
// have all finished when the workers returned) and waits for the jobs
// apply waits for.
func (b *beamJobs) wait(p *ir.Plan) error {
	if b == nil {
		return nil
	}
	for _, st := range p.Stages {
		if st.Backend != ir.BackendBeam {
			kafkaio.Release(b.barrier(st.ID))
		}
	}
	var errs []error
	for _, j := range b.jobs {
		if !j.awaits {
			continue
		}
		<-j.done
		if j.err != nil {
			errs = append(errs, fmt.Errorf("beam stage %s: %w", j.stage, j.err))
		}
	}
	return errors.Join(errs...)
}

// stop stops the jobs that run in this process (the workers failed).
func (b *beamJobs) stop() {
	if b == nil {
		return
	}
	for _, j := range b.jobs {
		if j.cfg.InProcess() {
			// Waiting for it closes it once it stopped.
			_ = beambackend.Cancel(context.Background(), j.job.Endpoint, j.job.ID)
		}
	}
}

// record notes in st the jobs that outlive this process, for destroy.
func (b *beamJobs) record(st *state.State) {
	if b == nil {
		return
	}
	for _, j := range b.jobs {
		if j.cfg.InProcess() {
			continue
		}
		for i := range st.Stages {
			if st.Stages[i].ID == j.stage {
				st.Stages[i].BeamJob = &state.BeamJob{ID: j.job.ID, Endpoint: j.job.Endpoint, Runner: j.cfg.Runner}
			}
		}
	}
}

// destroyBeamJobs cancels the Beam jobs the state records. A job that
// already finished, or that its job server no longer knows, is gone.
func destroyBeamJobs(env *destroyEnv) ([]destroyAction, hcl.Diagnostics) {
	var out []destroyAction
	for _, s := range env.state.Stages {
		if s.BeamJob == nil {
			continue
		}
		j, stage := *s.BeamJob, s.ID
		out = append(out, destroyAction{
			what: fmt.Sprintf("cancel Beam job %s (stage %s) on the %s job server at %s", j.ID, stage, j.Runner, j.Endpoint),
			do:   func(ctx context.Context) error { return beambackend.Cancel(ctx, j.Endpoint, j.ID) },
			forget: func(st *state.State) {
				for i := range st.Stages {
					if st.Stages[i].ID == stage {
						st.Stages[i].BeamJob = nil
					}
				}
			},
		})
	}
	return out, nil
}
