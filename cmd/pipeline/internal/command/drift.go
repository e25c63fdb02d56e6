package command

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/control"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
)

// Drift kinds (ir.Drift.Kind).
const (
	driftTopic     = "topic"
	driftTransform = "transform"
	driftBeamJob   = "beam_job"
	driftWorker    = "worker"
)

// refreshTimeout bounds how long plan -refresh waits for one endpoint.
const refreshTimeout = 10 * time.Second

// refresh is plan -refresh: it asks what exists (topics through the Kafka
// admin API, transforms through the Redpanda Admin API, beam jobs through
// their job service, the workers' versions through the status topic) and
// compares it with st, the state of the last apply. An endpoint that cannot
// be asked gives a warning naming it, never a failure: drift is advice.
func (m *Meta) refresh(ctx context.Context, p *ir.Plan, st *state.State) ([]ir.Drift, hcl.Diagnostics) {
	if st == nil || slices.Equal(st.Broker, []string{"embedded"}) {
		return nil, nil // nothing was kept outside this machine
	}
	var opts []kgo.Opt
	if p.Pipeline.Broker != nil {
		o, err := kafka.ClientOptions(p.Pipeline.Broker)
		if err != nil {
			return nil, hcl.Diagnostics{refreshWarning("the broker", err)}
		}
		opts = o
	} else {
		opts = []kgo.Opt{kgo.SeedBrokers(st.Broker...)}
	}
	brokers := strings.Join(st.Broker, ",")
	var out []ir.Drift
	var diags hcl.Diagnostics

	if live, err := describeTopics(ctx, opts, st.Topics); err != nil {
		diags = append(diags, refreshWarning("the topics on broker "+brokers, err))
	} else {
		out = append(out, topicDrift(st, live)...)
	}
	for _, url := range transformAdminURLs(st) {
		client, err := adminClientFor(p, url)
		var ts []broker.Transform
		if err == nil {
			tctx, cancel := context.WithTimeout(ctx, refreshTimeout)
			ts, err = client.List(tctx)
			cancel()
		}
		if err != nil {
			diags = append(diags, refreshWarning("the transforms at the Redpanda Admin API "+url, err))
			continue
		}
		out = append(out, transformDrift(st, url, ts)...)
	}
	bd, bdiags := beamDrift(ctx, st, m.beamClient().JobState)
	out, diags = append(out, bd...), append(diags, bdiags...)
	if reports, err := readStatus(ctx, opts); err != nil {
		diags = append(diags, refreshWarning("the workers' status topic "+control.StatusTopic+" on broker "+brokers, err))
	} else {
		out = append(out, workerDrift(st, control.Workers(reports), time.Now())...)
	}
	return out, diags
}

func refreshWarning(what string, err error) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagWarning,
		Summary: "Cannot refresh " + what,
		Detail:  fmt.Sprintf("%v. Its objects are not compared with the state; the rest of the plan is as without -refresh.", err)}
}

// liveTopic is a topic as the broker describes it now.
type liveTopic struct {
	partitions int32
	configs    map[string]string // set on the topic itself
}

// describeTopics asks the broker for topics: the missing ones are absent
// from the map.
func describeTopics(ctx context.Context, opts []kgo.Opt, topics []string) (map[string]liveTopic, error) {
	topics = slices.DeleteFunc(slices.Clone(topics), func(t string) bool { return t == "" || strings.HasPrefix(t, "file:") })
	out := map[string]liveTopic{}
	if len(topics) == 0 {
		return out, nil
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	adm := kadm.NewClient(cl)
	td, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, err
	}
	var exist []string
	for _, t := range topics {
		d, ok := td[t]
		switch {
		case !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			continue
		case d.Err != nil:
			return nil, fmt.Errorf("topic %s: %w", t, d.Err)
		}
		out[t] = liveTopic{partitions: int32(len(d.Partitions)), configs: map[string]string{}}
		exist = append(exist, t)
	}
	if len(exist) == 0 {
		return out, nil
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, exist...)
	if err != nil {
		return nil, err
	}
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, fmt.Errorf("topic %s: describe configs: %w", rc.Name, rc.Err)
		}
		lt, ok := out[rc.Name]
		if !ok {
			continue
		}
		for _, c := range rc.Configs {
			if c.Source == kmsg.ConfigSourceDynamicTopicConfig && c.Value != nil {
				lt.configs[c.Key] = *c.Value
			}
		}
	}
	return out, nil
}

// recordTopics records in st how its topics are now on the broker, for
// a later plan -refresh; best effort (a topic not found, or a broker that
// does not answer, is left unrecorded).
func recordTopics(ctx context.Context, opts []kgo.Opt, st *state.State) {
	live, err := describeTopics(ctx, opts, st.Topics)
	if err != nil {
		return
	}
	st.TopicDetails = nil
	for _, name := range slices.Sorted(maps.Keys(live)) {
		lt := live[name]
		td := state.TopicDetail{Name: name, Partitions: lt.partitions}
		if len(lt.configs) > 0 {
			td.Configs = lt.configs
		}
		st.TopicDetails = append(st.TopicDetails, td)
	}
}

// topicDrift compares the state's topics with the broker's: a topic the
// state names that is gone is removed; one whose partition count or
// topic-level configs differ from what apply saw is changed.
func topicDrift(st *state.State, live map[string]liveTopic) []ir.Drift {
	seen := map[string]state.TopicDetail{}
	for _, td := range st.TopicDetails {
		seen[td.Name] = td
	}
	var out []ir.Drift
	for _, t := range st.Topics {
		if strings.HasPrefix(t, "file:") {
			continue
		}
		addr := driftTopic + "." + t
		lt, exists := live[t]
		if !exists {
			out = append(out, ir.Drift{Address: addr, Kind: driftTopic, Change: ir.DriftRemoved,
				Detail: fmt.Sprintf("the state of apply %d names it; the broker does not have it", st.Serial)})
			continue
		}
		was, recorded := seen[t]
		if !recorded {
			continue // apply did not see it: nothing to compare with
		}
		var diffs []string
		if lt.partitions != was.Partitions {
			diffs = append(diffs, fmt.Sprintf("partitions %d → %d", was.Partitions, lt.partitions))
		}
		keys := map[string]bool{}
		for k := range was.Configs {
			keys[k] = true
		}
		for k := range lt.configs {
			keys[k] = true
		}
		for _, k := range slices.Sorted(maps.Keys(keys)) {
			before, hadBefore := was.Configs[k]
			now, hasNow := lt.configs[k]
			switch {
			case hadBefore && !hasNow:
				diffs = append(diffs, fmt.Sprintf("%s %s → (default)", k, before))
			case !hadBefore && hasNow:
				diffs = append(diffs, fmt.Sprintf("%s (default) → %s", k, now))
			case before != now:
				diffs = append(diffs, fmt.Sprintf("%s %s → %s", k, before, now))
			}
		}
		if len(diffs) > 0 {
			out = append(out, ir.Drift{Address: addr, Kind: driftTopic, Change: ir.DriftChanged, Detail: strings.Join(diffs, ", ")})
		}
	}
	return out
}

// transformAdminURLs are the Admin APIs the state's transforms were
// deployed through, sorted.
func transformAdminURLs(st *state.State) []string {
	urls := map[string]bool{}
	for _, s := range st.Stages {
		if s.Transform != nil && s.Transform.AdminURL != "" {
			urls[s.Transform.AdminURL] = true
		}
	}
	return slices.Sorted(maps.Keys(urls))
}

// adminClientFor returns a client for the Admin API at url: with the
// spec's credentials when the spec still names it.
func adminClientFor(p *ir.Plan, url string) (*broker.AdminClient, error) {
	if cfg, d := broker.DecodeConfig(p.Pipeline); !d.HasErrors() && cfg != nil && strings.TrimRight(cfg.AdminURL, "/") == url {
		return cfg.NewAdminClient()
	}
	return broker.NewAdminClient(url, broker.WithTimeout(refreshTimeout))
}

// transformDrift compares the state's transforms deployed through url with
// those the cluster lists. The Admin API lists no module digest, so a
// module replaced outside apply with the same topics and environment is
// not seen.
func transformDrift(st *state.State, url string, live []broker.Transform) []ir.Drift {
	byName := map[string]broker.Transform{}
	for _, t := range live {
		byName[t.Name] = t
	}
	var out []ir.Drift
	for _, s := range st.Stages {
		tr := s.Transform
		if tr == nil || tr.AdminURL != url {
			continue
		}
		addr := driftTransform + "." + tr.Name
		lt, ok := byName[tr.Name]
		if !ok {
			out = append(out, ir.Drift{Address: addr, Kind: driftTransform, Change: ir.DriftRemoved,
				Detail: fmt.Sprintf("the last apply deployed it (stage %s); the cluster at %s does not have it", s.ID, url)})
			continue
		}
		var diffs []string
		if tr.InputTopic != "" && lt.InputTopic != tr.InputTopic {
			diffs = append(diffs, fmt.Sprintf("input topic %s → %s", tr.InputTopic, lt.InputTopic))
		}
		if tr.OutputTopics != nil && !slices.Equal(sorted(tr.OutputTopics), sorted(lt.OutputTopics)) {
			diffs = append(diffs, fmt.Sprintf("output topics %s → %s", strings.Join(sorted(tr.OutputTopics), ","), strings.Join(sorted(lt.OutputTopics), ",")))
		}
		if tr.Env != nil {
			diffs = append(diffs, envDiffs(tr.Env, lt.Environment)...)
		}
		if len(diffs) > 0 {
			out = append(out, ir.Drift{Address: addr, Kind: driftTransform, Change: ir.DriftChanged, Detail: strings.Join(diffs, ", ")})
		}
	}
	return out
}

// envDiffs names the environment variables that differ; a sensitive one
// (recorded as state.SensitiveEnv) is compared by presence only, and its
// values are never printed.
func envDiffs(recorded, live map[string]string) []string {
	keys := map[string]bool{}
	for k := range recorded {
		keys[k] = true
	}
	for k := range live {
		keys[k] = true
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		was, had := recorded[k]
		now, has := live[k]
		switch {
		case had && !has:
			out = append(out, fmt.Sprintf("environment %s removed", k))
		case !had && has:
			out = append(out, fmt.Sprintf("environment %s added", k))
		case was == state.SensitiveEnv:
		case was != now:
			out = append(out, fmt.Sprintf("environment %s %q → %q", k, was, now))
		}
	}
	return out
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}

// jobStateFunc asks a job service for a job's state (beamclient.JobState).
type jobStateFunc func(ctx context.Context, endpoint, id string) (string, error)

// beamDrift asks the job service of every beam job in st for its state: a
// job the service no longer knows is removed; one that is not running
// (FAILED, CANCELLED, DONE, …) is changed. A service that cannot be asked
// gives a warning naming it.
func beamDrift(ctx context.Context, st *state.State, jobState jobStateFunc) ([]ir.Drift, hcl.Diagnostics) {
	var out []ir.Drift
	var diags hcl.Diagnostics
	for _, s := range st.Stages {
		j := s.BeamJob
		if j == nil {
			continue
		}
		ident := s.Identity
		if ident == "" {
			ident = s.ID
		}
		addr := driftBeamJob + "." + ident
		jctx, cancel := context.WithTimeout(ctx, refreshTimeout)
		got, err := jobState(jctx, j.Endpoint, j.ID)
		cancel()
		switch {
		case err != nil && jobNotFound(err):
			out = append(out, ir.Drift{Address: addr, Kind: driftBeamJob, Change: ir.DriftRemoved,
				Detail: fmt.Sprintf("the job service at %s no longer knows job %s", j.Endpoint, j.ID)})
		case err != nil:
			diags = append(diags, refreshWarning(fmt.Sprintf("beam job %s at the job service %s", j.ID, j.Endpoint), err))
		case got != "RUNNING" && got != "STARTING":
			out = append(out, ir.Drift{Address: addr, Kind: driftBeamJob, Change: ir.DriftChanged,
				Detail: fmt.Sprintf("job %s is %s at the job service %s, not RUNNING", j.ID, got, j.Endpoint)})
		}
	}
	return out, diags
}

// jobNotFound reports whether a job service's answer says it does not know
// the job (gRPC NotFound, as Flink's and Prism's job services answer).
func jobNotFound(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "notfound") || strings.Contains(s, "not found")
}

// readStatus reads every worker's latest report from the status topic.
func readStatus(ctx context.Context, opts []kgo.Opt) (map[string]*control.Report, error) {
	w, err := control.NewWatcher(opts...)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	return w.ReadAll(ctx)
}

// workerDrift reports the live workers serving st's pipeline that were
// ordered, or run, another version than the state's serial: another apply
// published to the control topic, or the workers could not take this one.
func workerDrift(st *state.State, workers []*control.Report, now time.Time) []ir.Drift {
	var out []ir.Drift
	for _, r := range workers {
		if !r.Live(now) || !r.Serves(st.Pipeline) {
			continue
		}
		ps := r.Pipeline(st.Pipeline)
		if ps == nil || ps.Version == st.Serial && ps.Running == st.Serial {
			continue
		}
		detail := fmt.Sprintf("runs version %d of pipeline %s (ordered %d); the state says %d", ps.Running, st.Pipeline, ps.Version, st.Serial)
		if ps.Error != "" {
			detail += ": " + ps.Error
		}
		out = append(out, ir.Drift{Address: driftWorker + "." + r.Worker, Kind: driftWorker, Change: ir.DriftChanged, Detail: detail})
	}
	return out
}
