package command

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/runtime/control"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
)

// StatusCommand shows what the workers run for a pipeline.
type StatusCommand struct{ *Meta }

func (c *StatusCommand) Synopsis() string {
	return "Show the workers and stages of an applied pipeline"
}

func (c *StatusCommand) Help() string {
	return help("status [options] PATH", `
Reads the status topic (`+control.StatusTopic+`) on the spec's broker and shows
every worker (gone when silent for three report intervals), the plan
version it runs for this pipeline, and per stage the records in and out
(also per operator), dead letters, consumer lag, watermark and event-time lag, and the last
error. With admin_url in backend "broker", the pipeline's Redpanda
transforms are listed too, and the beam jobs the last apply submitted with
their state at the job service (through pipeline-beam).`,
		append([]string{"-json", "Print the status as JSON (format_version 1)."}, varOptions...)...)
}

// statusJSON is status -json's output.
type statusJSON struct {
	FormatVersion string          `json:"format_version"`
	Pipeline      string          `json:"pipeline"`
	Workers       []workerStatus  `json:"workers"`
	Transforms    []transformInfo `json:"transforms,omitempty"`
	BeamJobs      []beamJobInfo   `json:"beam_jobs,omitempty"`
}

// beamJobInfo is a beam stage's job, as the last apply recorded it, and
// its state at the job service now.
type beamJobInfo struct {
	Stage    string `json:"stage"`
	JobID    string `json:"job_id"`
	Runner   string `json:"runner"`
	Endpoint string `json:"endpoint"`
	State    string `json:"state"`           // the job service's word; "unknown" when it could not be asked
	Error    string `json:"error,omitempty"` // why it could not be asked
}

type workerStatus struct {
	Worker     string                  `json:"worker"`
	Host       string                  `json:"host"`
	Live       bool                    `json:"live"`
	ReportedAt time.Time               `json:"reported_at"`
	Pipeline   *control.PipelineStatus `json:"pipeline,omitempty"`
}

type transformInfo struct {
	Name   string                   `json:"name"`
	Status []broker.PartitionStatus `json:"status"`
}

func (c *StatusCommand) Run(args []string) int {
	fs := c.newFlagSet("status")
	asJSON := fs.Bool("json", false, "")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	path, ok := optionalPath(pos)
	if !ok {
		return c.usageError("status", "status takes one PATH, got %d arguments", len(pos))
	}
	ld, diags := c.loadAndPlan(path, &v)
	c.showDiags(diags, ld.files)
	if diags.HasErrors() {
		return 1
	}
	plan := ld.plan
	if plan.Pipeline.Broker == nil {
		c.showDiags(diagsOf(errorDiag("Pipeline %s has no broker block: apply runs it once, in-process, and no worker serves it", plan.Pipeline.Name)), nil)
		return 1
	}
	opts, err := kafka.ClientOptions(plan.Pipeline.Broker)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Invalid broker settings: %v", err)), nil)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	watch, err := control.NewWatcher(opts...)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot read the status: %v", err)), nil)
		return 1
	}
	defer watch.Close()
	reports, err := watch.ReadAll(ctx)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot read the status topic %s on %s: %v", control.StatusTopic, strings.Join(plan.Pipeline.Broker.Brokers, ","), err)), nil)
		return 1
	}
	name := plan.Pipeline.Name
	out := statusJSON{FormatVersion: "1.0", Pipeline: name, Workers: []workerStatus{}}
	now := time.Now()
	for _, r := range control.Workers(reports) {
		if !r.Serves(name) {
			continue
		}
		out.Workers = append(out.Workers, workerStatus{Worker: r.Worker, Host: r.Host, Live: r.Live(now), ReportedAt: r.ReportedAt, Pipeline: r.Pipeline(name)})
	}
	if cfg, d := broker.DecodeConfig(plan.Pipeline); !d.HasErrors() && cfg != nil && cfg.AdminURL != "" {
		if client, err := cfg.NewAdminClient(); err == nil {
			if ts, err := client.List(ctx); err == nil {
				for _, t := range ts {
					if t.Environment["PIPELINE_NAME"] == name {
						out.Transforms = append(out.Transforms, transformInfo{Name: t.Name, Status: t.Status})
					}
				}
			} else {
				fmt.Fprintf(c.Stderr, "warning: cannot list the broker transforms: %v\n", err)
			}
		}
	}
	out.BeamJobs = c.beamJobStates(ctx, path)
	if *asJSON {
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(c.Stdout, string(b))
		return 0
	}
	c.writeStatus(out, now)
	return 0
}

func (c *StatusCommand) writeStatus(out statusJSON, now time.Time) {
	w := c.Stdout
	if len(out.Workers) == 0 {
		fmt.Fprintf(w, "No worker has reported on %s: start one with `pipeline worker -brokers …`.\n", control.StatusTopic)
	}
	for _, ws := range out.Workers {
		state := "live"
		if !ws.Live {
			state = "gone"
		}
		fmt.Fprintf(w, "Worker %s on %s: %s, last report %s ago\n", ws.Worker, ws.Host, state, now.Sub(ws.ReportedAt).Round(time.Second))
		ps := ws.Pipeline
		if ps == nil {
			fmt.Fprintf(w, "  not running %s\n", out.Pipeline)
			continue
		}
		fmt.Fprintf(w, "  %s version %d (running %d): %s", out.Pipeline, ps.Version, ps.Running, ps.State)
		if ps.Error != "" {
			fmt.Fprintf(w, ": %s", ps.Error)
		}
		fmt.Fprintln(w)
		for _, st := range ps.Stages {
			wm := "no event time yet"
			if st.WatermarkMs != 0 {
				wm = fmt.Sprintf("watermark %s (event time lag %s)", time.UnixMilli(st.WatermarkMs).UTC().Format(time.RFC3339), (time.Duration(st.EventTimeLagMs) * time.Millisecond).Round(time.Second))
			}
			fmt.Fprintf(w, "  stage %s (%s): %s, %d in, %d out, %d dead letters, lag %d, %s%s\n", st.ID, st.Identity, st.State, st.RecordsIn, st.RecordsOut, st.DeadLetters, st.Lag, wm, stateResetNote(st.StateResets))
			for _, op := range st.Operators {
				fmt.Fprintf(w, "    %s: %d in, %d out\n", op.ID, op.RecordsIn, op.RecordsOut)
			}
			if st.Error != "" {
				fmt.Fprintf(w, "    last error: %s\n", st.Error)
			}
		}
	}
	for _, j := range out.BeamJobs {
		fmt.Fprintf(w, "Beam job %s (stage %s) on the %s job server at %s: %s", j.JobID, j.Stage, j.Runner, j.Endpoint, j.State)
		if j.Error != "" {
			fmt.Fprintf(w, " (%s)", j.Error)
		}
		fmt.Fprintln(w)
	}
	for _, t := range out.Transforms {
		var parts []string
		for _, p := range t.Status {
			parts = append(parts, fmt.Sprintf("p%d %s lag %d", p.Partition, p.Status, p.Lag))
		}
		fmt.Fprintf(w, "Transform %s: %s\n", t.Name, strings.Join(parts, ", "))
	}
}

// beamJobStates asks the job service of every beam job the last apply of
// the spec at path recorded (its state file) for the job's state, through
// pipeline-beam. A job that cannot be asked is listed as "unknown" with
// the reason: status reports, it does not fail.
func (c *StatusCommand) beamJobStates(ctx context.Context, path string) []beamJobInfo {
	st, err := state.Read(state.Dir(path))
	if err != nil || st == nil {
		return nil
	}
	var out []beamJobInfo
	for _, s := range st.Stages {
		if s.BeamJob == nil {
			continue
		}
		j := beamJobInfo{Stage: s.ID, JobID: s.BeamJob.ID, Runner: s.BeamJob.Runner, Endpoint: s.BeamJob.Endpoint, State: "unknown"}
		if got, err := c.beamClient().JobState(ctx, j.Endpoint, j.JobID); err != nil {
			j.Error = err.Error()
		} else {
			j.State = got
		}
		out = append(out, j)
	}
	return out
}
