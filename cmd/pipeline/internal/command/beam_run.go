package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/backends/beam/beamclient"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// This file runs a plan's beam stages for apply and run, in the
// pipeline-beam binary (beamclient): the core links no Beam SDK.

func init() { destroySteps[ir.BackendBeam] = destroyBeamJobs }

// beamJobs are the beam stages of one apply or run. A job on Prism runs in
// pipeline-beam alongside the native workers and stops with it; a job on a
// job server outlives it, and destroy cancels it.
type beamJobs struct {
	run *beamclient.Run
}

// beamLocator finds pipeline-beam once per process (a test process runs
// many commands).
var beamLocator beamclient.Locator

// beamClient runs pipeline-beam with this command's environment, logging
// to its stderr.
func (m *Meta) beamClient() *beamclient.Client {
	l := m.BeamLocator
	if l == nil {
		l = &beamLocator
	}
	return &beamclient.Client{Locator: l, Stderr: m.Stderr, Env: m.Env}
}

func hasBeamStages(p *ir.Plan) bool {
	return slices.ContainsFunc(p.Stages, func(s *ir.Stage) bool { return s.Backend == ir.BackendBeam })
}

// beamRunnable reports why p's beam stages cannot run: pipeline-beam is
// neither installed nor buildable. It builds it on first use in a checkout.
func beamRunnable(p *ir.Plan) error {
	if !hasBeamStages(p) {
		return nil
	}
	_, err := beamLocator.Find()
	return err
}

// submitBeam submits every beam stage of p through pipeline-beam as a Beam
// job reading and writing s's broker, and returns once all were accepted.
// Stages wait for the upstream stages of this run before a bounded read
// (-exit-when-idle) ends.
func (m *Meta) submitBeam(ctx context.Context, p *ir.Plan, s *session, rf *runFlags) (*beamJobs, error) {
	if !hasBeamStages(p) {
		return nil, nil
	}
	b := p.Pipeline.Broker
	if b == nil {
		b = &ir.Broker{Name: "embedded", Brokers: s.brokers}
	}
	if err := ensureBeamTopics(ctx, p, s, rf); err != nil {
		return nil, err
	}
	run, err := m.beamClient().Start(ctx, p, b, rf.exitWhenIdle)
	if err != nil {
		return nil, err
	}
	for _, j := range run.Jobs {
		if j.InProcess {
			fmt.Fprintf(m.Stdout, "Beam stage %s runs on Prism in pipeline-beam.\n", j.Stage)
		} else {
			fmt.Fprintf(m.Stdout, "Beam stage %s submitted to the %s job server at %s as job %s.\n", j.Stage, j.Runner, j.Endpoint, j.JobID)
		}
	}
	return &beamJobs{run: run}, nil
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

// workerOptions link the native workers with the beam jobs: a native stage
// reading a beam stage's output drains only after that job finished, and
// a beam stage's bounded read ends only after the native stages writing
// its input finished.
func (b *beamJobs) workerOptions() []worker.Option {
	if b == nil {
		return nil
	}
	var opts []worker.Option
	for _, j := range b.run.Jobs {
		if done := b.run.Done(j.Stage); done != nil {
			opts = append(opts, worker.ExternalUpstream(j.Stage, done))
		}
	}
	released := map[string]bool{}
	return append(opts, worker.OnProgress(func(pr worker.Progress) {
		for _, st := range pr.Stages {
			if st.Done && !released[st.Stage] {
				released[st.Stage] = true
				b.run.Release(st.Stage)
			}
		}
	}))
}

// wait releases the stages that ran in the workers (they have all finished
// when the workers returned), waits for the jobs apply waits for, and lets
// pipeline-beam exit.
func (b *beamJobs) wait(p *ir.Plan) error {
	if b == nil {
		return nil
	}
	for _, st := range p.Stages {
		if st.Backend != ir.BackendBeam {
			b.run.Release(st.ID)
		}
	}
	var errs []error
	for _, j := range b.run.Jobs {
		if done := b.run.Done(j.Stage); done != nil {
			<-done
			if err := b.run.Err(j.Stage); err != nil {
				errs = append(errs, fmt.Errorf("beam stage %s: %w", j.Stage, err))
			}
		}
	}
	if err := b.run.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// stop stops the jobs that run in pipeline-beam (the workers failed).
func (b *beamJobs) stop() {
	if b != nil {
		_ = b.run.Close()
	}
}

// record notes in st the jobs that outlive this process, for destroy.
func (b *beamJobs) record(st *state.State) {
	if b == nil {
		return
	}
	for _, j := range b.run.Jobs {
		if j.InProcess {
			continue
		}
		for i := range st.Stages {
			if st.Stages[i].ID == j.Stage {
				st.Stages[i].BeamJob = &state.BeamJob{ID: j.JobID, Endpoint: j.Endpoint, Runner: j.Runner}
			}
		}
	}
}

// destroyBeamJobs cancels the Beam jobs the state records, through
// pipeline-beam. A job that already finished, or that its job server no
// longer knows, is gone.
func destroyBeamJobs(env *destroyEnv) ([]destroyAction, hcl.Diagnostics) {
	var out []destroyAction
	for _, s := range env.state.Stages {
		if s.BeamJob == nil {
			continue
		}
		j, stage := *s.BeamJob, s.ID
		out = append(out, destroyAction{
			what: fmt.Sprintf("cancel Beam job %s (stage %s) on the %s job server at %s", j.ID, stage, j.Runner, j.Endpoint),
			do: func(ctx context.Context) error {
				return (&Meta{Stderr: os.Stderr}).beamClient().Cancel(ctx, j.Endpoint, j.ID)
			},
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
