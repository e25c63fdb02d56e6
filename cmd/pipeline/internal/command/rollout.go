package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/backends/beam/beamconfig"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/control"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
)

// nativeStages returns the stages workers run.
func nativeStages(p *ir.Plan) []*ir.Stage {
	var out []*ir.Stage
	for _, st := range p.Stages {
		if st.Backend == ir.BackendNative {
			out = append(out, st)
		}
	}
	return out
}

// publishOrder publishes the native part of plan as version on the
// control topic of s's broker.
func publishOrder(ctx context.Context, w io.Writer, plan *ir.Plan, s *session, version int64) error {
	cl, err := kgo.NewClient(append(slices.Clone(s.clientOpts), kgo.ProducerLinger(0))...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	cluster, err := control.ClusterID(ctx, cl)
	if err != nil {
		return err
	}
	o, err := control.NewOrder(plan, version, cluster)
	if err != nil {
		return err
	}
	// The workers create what is missing too; creating it here makes a
	// broker that refuses (ACLs, quotas) fail apply, not the workers.
	var topics []string
	for _, st := range nativeStages(plan) {
		for _, t := range append(slices.Clone(st.Inputs), st.Outputs...) {
			if !strings.HasPrefix(t, "file:") {
				topics = append(topics, t)
			}
		}
	}
	if err := kafka.EnsureTopics(ctx, kadm.NewClient(cl), topics, -1); err != nil {
		return err
	}
	if err := control.Publish(ctx, cl, o); err != nil {
		return err
	}
	fmt.Fprintf(w, "Published version %d of pipeline %s to %s (%d native stages", version, plan.Pipeline.Name, control.ControlTopic, len(nativeStages(plan)))
	if len(o.Secrets) > 0 {
		names := make([]string, len(o.Secrets))
		for i, sec := range o.Secrets {
			names[i] = sec.Kind + "." + sec.Name
		}
		fmt.Fprintf(w, "; workers supply %s themselves", strings.Join(names, ", "))
	}
	fmt.Fprintln(w, ").")
	return nil
}

// errRollout is a rollout that did not complete; its message is the
// whole explanation.
type errRollout struct{ msg string }

func (e *errRollout) Error() string { return e.msg }

// awaitRollout waits until every live worker serving the pipeline reports
// running version, and prints the rollout summary. It fails when a worker
// reports a failure of that version, or when none reports it in time.
func awaitRollout(ctx context.Context, w io.Writer, opts []kgo.Opt, brokers []string, pipeline string, version int64, timeout time.Duration) error {
	watch, err := control.NewWatcher(opts...)
	if err != nil {
		return err
	}
	defer watch.Close()
	fmt.Fprintf(w, "Waiting for workers to run version %d (at most %s)...\n", version, timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastLive []*control.Report
	for {
		reports, err := watch.Poll(ctx, 250*time.Millisecond)
		if err != nil && ctx.Err() == nil {
			return err
		}
		now := time.Now()
		var live []*control.Report
		done := true
		for _, r := range control.Workers(reports) {
			if !r.Live(now) || !r.Serves(pipeline) {
				continue
			}
			live = append(live, r)
			ps := r.Pipeline(pipeline)
			if ps == nil || ps.Version < version {
				done = false
				continue
			}
			if ps.Version == version && ps.State == "failed" {
				where := ""
				if ps.FailedStage != "" {
					where = " stage " + ps.FailedStage
				}
				return &errRollout{fmt.Sprintf("worker %s (%s) failed to run version %d of pipeline %s:%s: %s", r.Worker, r.Host, version, pipeline, where, ps.Error)}
			}
			if ps.Running < version {
				done = false
			}
		}
		lastLive = live
		if done && len(live) > 0 {
			writeRollout(w, live, pipeline, version)
			return nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	if len(lastLive) == 0 {
		return &errRollout{fmt.Sprintf("no worker is serving pipeline %s: start one with `pipeline worker -brokers %s`", pipeline, strings.Join(brokers, ","))}
	}
	var late []string
	for _, r := range lastLive {
		if ps := r.Pipeline(pipeline); ps == nil || ps.Running < version {
			late = append(late, r.Worker)
		}
	}
	return &errRollout{fmt.Sprintf("workers %s did not report running version %d of pipeline %s within %s", strings.Join(late, ", "), version, pipeline, timeout)}
}

func writeRollout(w io.Writer, live []*control.Report, pipeline string, version int64) {
	names := make([]string, len(live))
	for i, r := range live {
		names[i] = r.Worker
	}
	fmt.Fprintf(w, "Rollout complete: version %d of pipeline %s runs on %d worker(s): %s.\n", version, pipeline, len(live), strings.Join(names, ", "))
	for _, r := range live {
		ps := r.Pipeline(pipeline)
		ids := make([]string, len(ps.Stages))
		for i, st := range ps.Stages {
			ids[i] = st.ID
		}
		fmt.Fprintf(w, "  %s (%s): stages %s\n", r.Worker, r.Host, strings.Join(ids, ", "))
	}
}

// destroyWorkerStages is destroy's first step after an apply that
// published orders: tombstone the pipeline's control record, then wait
// (briefly) for the live workers to stop its stages, so that they no longer
// write to the topics destroy deletes next.
func destroyWorkerStages(env *destroyEnv) ([]destroyAction, hcl.Diagnostics) {
	st := env.state
	if env.plan == nil || env.plan.Pipeline.Broker == nil || !slices.ContainsFunc(st.Stages, func(s state.Stage) bool { return s.Backend == ir.BackendNative }) {
		return nil, nil
	}
	opts, err := kafka.ClientOptions(env.plan.Pipeline.Broker)
	if err != nil {
		return nil, hcl.Diagnostics{errorDiag("Cannot destroy: broker: %v", err)}
	}
	name := st.Pipeline
	return []destroyAction{{
		what: fmt.Sprintf("tombstone pipeline %s on %s; workers stop its stages and delete their state", name, control.ControlTopic),
		do: func(ctx context.Context) error {
			cl, err := kgo.NewClient(append(slices.Clone(opts), kgo.ProducerLinger(0))...)
			if err != nil {
				return err
			}
			defer cl.Close()
			if err := control.Tombstone(ctx, cl, name); err != nil {
				return err
			}
			return awaitStopped(ctx, opts, name, 30*time.Second)
		},
	}}, nil
}

// awaitStopped waits until no live worker reports pipeline.
func awaitStopped(ctx context.Context, opts []kgo.Opt, pipeline string, timeout time.Duration) error {
	watch, err := control.NewWatcher(opts...)
	if err != nil {
		return err
	}
	defer watch.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		reports, err := watch.Poll(ctx, 250*time.Millisecond)
		if err != nil && ctx.Err() == nil {
			return err
		}
		var still []string
		now := time.Now()
		for _, r := range control.Workers(reports) {
			if r.Live(now) && r.Pipeline(pipeline) != nil {
				still = append(still, r.Worker)
			}
		}
		if len(still) == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return errors.New("workers " + strings.Join(still, ", ") + " still report the pipeline")
		}
	}
}

// rollout is apply's last step on a real broker: publish the order and,
// with wait, wait for the workers.
func (c *ApplyCommand) rollout(ctx context.Context, plan *ir.Plan, s *session, version int64, wait bool, timeout time.Duration) int {
	if err := publishOrder(ctx, c.Stdout, plan, s, version); err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot publish the plan to the workers: %v", err)), nil)
		return 1
	}
	if wait && len(nativeStages(plan)) > 0 {
		if err := awaitRollout(ctx, c.Stdout, s.clientOpts, s.brokers, plan.Pipeline.Name, version, timeout); err != nil {
			c.showDiags(diagsOf(errorDiag("Apply failed: %v", err)), nil)
			return 1
		}
	}
	fmt.Fprintln(c.Stdout, "\nApply complete.")
	return 0
}

// workersCannotHost is apply's refusal, before anything is touched, of
// broker stages on a real broker without admin_url: workers run native
// stages only, and nothing else would run them.
//
// Beam stages on Prism inside pipeline-beam are refused likewise: apply
// exits once the workers run the plan, and such a job would end with it.
func workersCannotHost(plan *ir.Plan) hcl.Diagnostics {
	if plan.Pipeline.Broker == nil {
		return nil
	}
	var diags hcl.Diagnostics
	if hostsTransforms(plan) {
		diags = append(diags, errorDiag("Cannot apply: with a broker block, broker stages run in Redpanda, so backend \"broker\" needs admin_url (workers run native stages only); or pin their operators with backend = \"native\""))
	}
	if hasBeamStages(plan) {
		if cfg, _ := beamconfig.DecodeJobConfig(plan.Pipeline); cfg != nil && cfg.InProcess() {
			diags = append(diags, errorDiag("Cannot apply: with a broker block, beam stages need a job server that outlives apply: set endpoint in backend \"beam\" (Prism's own: prism -job_port 8073), or run the spec in the foreground with pipeline run"))
		}
	}
	return diags
}
