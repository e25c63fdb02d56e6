package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/internal/suggest"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/optimizer"
	"github.com/pipeline-compiler/pipeline/optimizer/costprofile"
	"github.com/pipeline-compiler/pipeline/runtime/kafka"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// ReplayCommand runs a spec over a past time range of its source topics
// into shadow topics, under its own consumer groups and state, so that
// production is untouched: for backfills and for checking a change against
// history before applying it.
type ReplayCommand struct{ *Meta }

// replaySuffix marks everything a replay owns: its pipeline name (and so
// its consumer groups, transactional IDs, channel topics and state), its
// dead-letter topic and, by default, its sink topics.
const replaySuffix = ".replay"

func (c *ReplayCommand) Synopsis() string {
	return "Run a spec over a past time range into shadow topics, leaving production untouched"
}

func (c *ReplayCommand) Help() string {
	return help("replay -from TIME -to TIME [options] PATH", `
Runs the spec at PATH over the records of its source topics whose timestamps
are in [-from, -to), every stage in this process on the native runtime, and
exits 0 when every source partition has reached the end of the range. Open
windows fire at the end. A summary names the records read per source and
written per sink.

Production is untouched: a sink writes to "<topic>.replay" (or the topic
-sink-topic names), dead letters go to "<dead-letter topic>.replay", and the
replay runs as pipeline "<name>.replay": its consumer groups, transactional
IDs and channel topics are "<name>.replay.…", and its state lives under
-state-dir (default .pipeline/replay beside the spec), emptied first. A
second replay starts from -from again and appends to the shadow topics.

TIME is an RFC 3339 time (2026-01-01T00:00:00Z), a duration before now
(-24h, -90m), or now. The spec needs a broker block: the embedded broker has no
history to replay.`,
		append([]string{
			"-from TIME", "First record time replayed (inclusive). Required.",
			"-to TIME", "Records at or after TIME are not replayed. Required.",
			"-target ADDRESS", "Replay only ADDRESS (kind.name) and what it depends on. A target that is not a sink writes to \"<pipeline>.<ADDRESS>.replay\".",
			"-sink-topic SINK=TOPIC", "Write sink SINK (sink.NAME) to TOPIC instead of \"<topic>.replay\"; repeatable. TOPIC may not be a topic of the spec.",
			"-state-dir DIR", "Keep the replay's operator state in DIR (default .pipeline/replay beside the spec).",
			"-exit-when-idle D", "Finish a stage that reads channel topics once its upstream finished and no input came for D (default 5s).",
		}, varOptions...)...)
}

func (c *ReplayCommand) Run(args []string) int {
	fs := c.newFlagSet("replay")
	from := fs.String("from", "", "")
	to := fs.String("to", "", "")
	target := fs.String("target", "", "")
	var sinkTopics stringList
	fs.Var(&sinkTopics, "sink-topic", "")
	stateDir := fs.String("state-dir", "", "")
	idle := fs.Duration("exit-when-idle", 5*time.Second, "")
	var v varFlags
	v.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return 1
	}
	if len(pos) != 1 {
		return c.usageError("replay", "replay takes one PATH, got %d arguments", len(pos))
	}
	now := time.Now()
	w, err := parseWindow(*from, *to, now)
	if err != nil {
		return c.usageError("replay", "%v", err)
	}
	if *idle <= 0 {
		return c.usageError("replay", "-exit-when-idle must be positive, got %s", *idle)
	}
	renames := map[string]string{}
	for _, st := range sinkTopics {
		addr, topic, ok := strings.Cut(st, "=")
		if !ok || addr == "" || topic == "" {
			return c.usageError("replay", "-sink-topic %q: want ADDRESS=TOPIC, e.g. sink.revenue=revenue_backfill", st)
		}
		renames[addr] = topic
	}

	res, files, diags := c.loadSpec(pos[0], &v)
	if diags.HasErrors() {
		c.showDiags(diags, files)
		return 1
	}
	resolveFiles(res.Pipeline, pos[0])
	spec := res.Pipeline
	plan, rdiags := replayPlan(spec, replayOptions{target: *target, sinkTopics: renames}, c.backends().PlanOptions)
	diags = append(diags, rdiags...)
	c.showDiags(diags, files)
	if diags.HasErrors() {
		return 1
	}
	plan.SpecPath = pos[0]

	ctx, stop := c.signalContext()
	defer stop()
	if _, err := registerSinkSchemas(ctx, plan); err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot register the sinks' schemas: %v", err)), nil)
		return 1
	}
	rf := runFlags{exitWhenIdle: *idle, stateDir: *stateDir, partitions: -1}
	s, err := c.connect(ctx, plan, &rf)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot connect to the broker: %v", err)), nil)
		return 1
	}
	defer s.Close()
	bounds, err := prepareReplay(ctx, s, spec, plan, w)
	if err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot prepare the replay: %v", err)), nil)
		return 1
	}
	dir := rf.stateDir
	if dir == "" {
		dir = filepath.Join(state.Dir(pos[0]), "replay")
	}
	// A replay starts from -from with empty state, whatever an earlier
	// replay left.
	if err := worker.RemovePipelineState(dir, plan.Pipeline.Name); err != nil {
		c.showDiags(diagsOf(errorDiag("Cannot empty the replay's state: %v", err)), nil)
		return 1
	}
	fmt.Fprintf(c.Stderr, "Replaying %s from %s to %s: %s.\n", spec.Name, w.from.UTC().Format(time.RFC3339Nano), w.to.UTC().Format(time.RFC3339Nano), describeBounds(bounds))
	var last worker.Progress
	rf.workerOpts = []worker.Option{
		worker.Bounded(w.from.UnixMilli(), bounds.ranges),
		worker.OnProgress(func(pr worker.Progress) { last = pr }),
	}
	if !isTerminal(c.Stderr) {
		rf.workerOpts = append(rf.workerOpts, worker.OnProgress(progressEvery(c.Stderr, 5*time.Second)))
	}
	if err := c.execute(ctx, plan, s, &rf, dir, nil); err != nil {
		c.showDiags(diagsOf(errorDiag("Replay failed: %v", err)), nil)
		return 1
	}
	if ctx.Err() != nil {
		fmt.Fprintln(c.Stderr, "Replay interrupted: the shadow topics hold part of the range.")
		return 1
	}
	writeReplaySummary(c.Stdout, plan, last)
	return 0
}

// replayWindow is the time range [from, to) a replay reads.
type replayWindow struct{ from, to time.Time }

// parseWindow parses -from and -to: RFC 3339 times or durations before now.
func parseWindow(from, to string, now time.Time) (replayWindow, error) {
	if from == "" || to == "" {
		return replayWindow{}, errors.New("replay needs both -from and -to, e.g. -from 2026-01-01T00:00:00Z -to 2026-01-02T00:00:00Z")
	}
	f, err := parseReplayTime("-from", from, now)
	if err != nil {
		return replayWindow{}, err
	}
	t, err := parseReplayTime("-to", to, now)
	if err != nil {
		return replayWindow{}, err
	}
	if !t.After(f) {
		return replayWindow{}, fmt.Errorf("-to (%s) must be after -from (%s)", t.UTC().Format(time.RFC3339Nano), f.UTC().Format(time.RFC3339Nano))
	}
	if f.Before(time.UnixMilli(0)) {
		f = time.UnixMilli(0) // Kafka timestamps start at the epoch
	}
	return replayWindow{from: f, to: t}, nil
}

func parseReplayTime(flag, s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d > 0 {
			return time.Time{}, fmt.Errorf("%s %s: a relative time is before now, e.g. -%s", flag, s, s)
		}
		return now.Add(d), nil
	}
	if s == "now" {
		return now, nil
	}
	return time.Time{}, fmt.Errorf("%s %q is neither an RFC 3339 time (2026-01-01T00:00:00Z) nor a duration before now (-24h)", flag, s)
}

type replayOptions struct {
	target     string            // operator address, "" for the whole spec
	sinkTopics map[string]string // sink address → shadow topic
}

// replayPlan plans the part of spec a replay runs, every operator on
// native, and renames everything it writes or owns so that no name is one
// production uses (see ReplayCommand.Help). spec is not modified.
func replayPlan(spec *ir.Pipeline, o replayOptions, planOptions func(*ir.Pipeline, *costprofile.Profile) []optimizer.Option) (*ir.Plan, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if spec.Broker == nil {
		d := errorDiag("Nothing to replay: the spec has no broker block")
		d.Detail = "Without a broker block the spec runs on an embedded broker that starts empty every time, so there is no history to replay. Add a broker block naming the cluster whose topics hold the records."
		return nil, append(diags, d)
	}
	pl, err := clonePipeline(spec)
	if err != nil {
		return nil, append(diags, errorDiag("Cannot copy the spec: %v", err))
	}
	production := productionTopics(spec)

	if o.target != "" {
		op := pl.Operator(o.target)
		if op == nil {
			var ids []string
			for _, op := range pl.Operators {
				ids = append(ids, op.ID)
			}
			d := errorDiag("Unknown -target %q", o.target)
			d.Detail = "The target must be an operator of the spec (kind.name)." + suggest.Hint(o.target, ids)
			return nil, append(diags, d)
		}
		keepUpstream(pl, op.ID)
		if op.Kind != ir.KindSink {
			for _, stream := range op.Streams() {
				pl.Operators = append(pl.Operators, &ir.Operator{
					ID:     "sink." + targetSinkName(stream),
					Kind:   ir.KindSink,
					Name:   targetSinkName(stream),
					Inputs: []string{stream},
					Schema: op.Schema,
					Range:  op.Range,
					Sink:   &ir.Sink{Topic: spec.Name + "." + stream, Format: "json", Delivery: ir.AtLeastOnce}, // + replaySuffix below
				})
			}
		}
	}

	// Where the replay reads and writes.
	var sinks []string
	for _, op := range pl.Operators {
		switch {
		case op.Kind == ir.KindSource && op.Source != nil && op.Source.File != "":
			d := errorDiag("Cannot replay %s: it reads the file %s", op.ID, op.Source.File)
			d.Detail = "A replay reads past records of topics by their timestamps; a file has none. Run the spec with pipeline run instead, or load the file into a topic."
			diags = append(diags, d)
		case op.Kind == ir.KindSink && op.Sink != nil:
			sinks = append(sinks, op.ID)
			shadow, named := o.sinkTopics[op.ID]
			switch {
			case op.Sink.File != "":
				if named {
					diags = append(diags, errorDiag("-sink-topic %s=%s: %s writes the file %s, not a topic", op.ID, shadow, op.ID, op.Sink.File))
				}
				ext := filepath.Ext(op.Sink.File)
				op.Sink.File = strings.TrimSuffix(op.Sink.File, ext) + replaySuffix + ext
			case named:
				op.Sink.Topic = shadow
			default:
				op.Sink.Topic += replaySuffix
			}
			if op.Sink.Topic != "" && production[op.Sink.Topic] {
				diags = append(diags, errorDiag("Cannot replay %s into topic %q: the spec reads or writes that topic", op.ID, op.Sink.Topic))
			}
			shadowSubject(op.Sink, spec.Operator(op.ID))
		}
	}
	for addr, topic := range o.sinkTopics {
		if !slices.Contains(sinks, addr) {
			d := errorDiag("-sink-topic %s=%s: no sink %s in the replay", addr, topic, addr)
			d.Detail = "-sink-topic names a sink of the spec (or of the -target's part)." + suggest.Hint(addr, sinks)
			diags = append(diags, d)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	dlq := cmpOr(pl.DeadLetterTopic, pl.Name+".dlq")
	pl.DeadLetterTopic = dlq + replaySuffix
	pl.Name += replaySuffix
	pl.Tests = nil
	pl.Moved = nil
	// Every operator on native, in this process: the one evaluator makes
	// the other backends' record semantics the same.
	var backends []*ir.Backend
	for _, b := range pl.Backends {
		if b.Name == ir.BackendNative {
			backends = append(backends, b)
		}
	}
	pl.Backends = backends
	for _, op := range pl.Operators {
		op.Backend = ""
		op.Identity = ""
	}
	// No cost profile: with native the only backend, costs decide nothing.
	plan, pdiags := optimizer.Plan(pl, planOptions(pl, nil)...)
	diags = append(diags, pdiags...)
	if diags.HasErrors() {
		return nil, diags
	}
	for _, ch := range plan.Channels {
		if production[ch.Topic] {
			diags = append(diags, errorDiag("Cannot replay: its channel topic %q is a topic of the spec", ch.Topic))
		}
	}
	return plan, diags
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// shadowSubject moves a schema-format sink's Schema Registry subject off
// production's, where the replay registers its writer schema: a subject
// named after the topic (topic_name) follows the shadow topic
// ("<shadow topic>-value"); any other gets ".replay" appended. orig is the
// sink in the spec (nil for a sink the replay added).
func shadowSubject(s *ir.Sink, orig *ir.Operator) {
	if s.SchemaSubject == "" {
		return
	}
	if orig != nil && orig.Sink != nil && s.SchemaSubject == orig.Sink.Topic+"-value" {
		s.SchemaSubject = s.Topic + "-value"
	} else {
		s.SchemaSubject += replaySuffix
	}
	if s.SchemaDoc != nil {
		s.SchemaDoc.Subject = s.SchemaSubject
	}
}

// targetSinkName is the name of the sink a replay adds behind a target
// that is not a sink: replay_<kind>_<name>[_<output>].
func targetSinkName(stream string) string {
	return "replay_" + strings.NewReplacer(".", "_", "-", "_").Replace(stream)
}

// keepUpstream drops every operator of pl that target does not depend on.
func keepUpstream(pl *ir.Pipeline, target string) {
	keep := map[string]bool{}
	var visit func(string)
	visit = func(id string) {
		if keep[id] {
			return
		}
		keep[id] = true
		if op := pl.Operator(id); op != nil {
			for _, in := range op.Inputs {
				producer, _ := ir.StreamOperator(in)
				visit(producer)
			}
		}
	}
	visit(target)
	pl.Operators = slices.DeleteFunc(pl.Operators, func(op *ir.Operator) bool { return !keep[op.ID] })
}

// productionTopics are the topics the spec reads or writes, and its
// channel and dead-letter topics' prefix owner: no shadow may be one.
func productionTopics(spec *ir.Pipeline) map[string]bool {
	out := map[string]bool{cmpOr(spec.DeadLetterTopic, spec.Name+".dlq"): true}
	for _, op := range spec.Operators {
		if op.Source != nil && op.Source.Topic != "" {
			out[op.Source.Topic] = true
		}
		if op.Sink != nil && op.Sink.Topic != "" {
			out[op.Sink.Topic] = true
		}
	}
	return out
}

func clonePipeline(p *ir.Pipeline) (*ir.Pipeline, error) {
	b, err := (&ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p}).Encode()
	if err != nil {
		return nil, err
	}
	cp, err := ir.DecodePlan(b)
	if err != nil {
		return nil, err
	}
	return cp.Pipeline, nil
}

// replayBounds are the offsets a replay reads: per source topic and
// partition, [first offset at or after -from, first at or after -to).
type replayBounds struct {
	ranges map[string]map[int32]worker.OffsetRange
	// sources are the topics of the plan's stream sources, sorted.
	sources []string
}

// prepareReplay finds the source partitions' offset ranges, removes the
// replay's consumer groups (refusing while another replay uses them),
// deletes the channel topics an earlier replay wrote (a replay starts from -from again), and creates
// the shadow topics with the partitions of the topics they shadow.
func prepareReplay(ctx context.Context, s *session, spec *ir.Pipeline, plan *ir.Plan, w replayWindow) (*replayBounds, error) {
	cl, err := kgo.NewClient(s.clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	b := &replayBounds{ranges: map[string]map[int32]worker.OffsetRange{}}
	for _, op := range plan.Pipeline.Operators {
		if op.Source != nil && op.Source.Topic != "" && !op.Source.Table && !slices.Contains(b.sources, op.Source.Topic) {
			b.sources = append(b.sources, op.Source.Topic)
		}
	}
	sort.Strings(b.sources)
	if len(b.sources) > 0 {
		starts, err := listAfter(ctx, adm, w.from.UnixMilli(), b.sources)
		if err != nil {
			return nil, err
		}
		ends, err := listAfter(ctx, adm, w.to.UnixMilli(), b.sources)
		if err != nil {
			return nil, err
		}
		for _, topic := range b.sources {
			b.ranges[topic] = map[int32]worker.OffsetRange{}
			for p, start := range starts[topic] {
				end := ends[topic][p]
				b.ranges[topic][p] = worker.OffsetRange{Start: start, End: max(end, start)}
			}
		}
	}
	var groups []string
	for _, st := range plan.Stages {
		groups = append(groups, worker.GroupID(plan, st))
	}
	deleted, err := adm.DeleteGroups(ctx, groups...)
	if err != nil {
		return nil, fmt.Errorf("remove the replay's consumer groups: %w", err)
	}
	for _, g := range deleted.Sorted() {
		switch {
		case g.Err == nil, errors.Is(g.Err, kerr.GroupIDNotFound):
		case errors.Is(g.Err, kerr.NonEmptyGroup):
			return nil, fmt.Errorf("consumer group %s has members: is another replay of %s running?", g.Group, spec.Name)
		default:
			return nil, fmt.Errorf("remove consumer group %s: %w", g.Group, g.Err)
		}
	}
	// Channel topics of an earlier replay still hold its records, which a
	// new group would read from their start: delete them.
	if err := deleteTopics(ctx, adm, replayChannels(plan)); err != nil {
		return nil, err
	}
	if err := createShadows(ctx, adm, spec, plan); err != nil {
		return nil, err
	}
	return b, nil
}

// replayChannels are the channel topics of a replay plan (all named after
// the replay's pipeline).
func replayChannels(plan *ir.Plan) []string {
	var out []string
	for _, ch := range plan.Channels {
		if !slices.Contains(out, ch.Topic) {
			out = append(out, ch.Topic)
		}
	}
	return out
}

// deleteTopics deletes topics and waits until the broker no longer lists
// them (Kafka deletes asynchronously; creating one again before that
// fails or is undone).
func deleteTopics(ctx context.Context, adm *kadm.Client, topics []string) error {
	if len(topics) == 0 {
		return nil
	}
	resps, err := adm.DeleteTopics(ctx, topics...)
	if err != nil {
		return fmt.Errorf("delete the channel topics of an earlier replay: %w", err)
	}
	for _, r := range resps.Sorted() {
		if r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("delete the channel topic %s of an earlier replay: %w", r.Topic, r.Err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		listed, err := adm.ListTopics(ctx, topics...)
		if err != nil {
			return fmt.Errorf("list topics: %w", err)
		}
		left := 0
		for _, d := range listed {
			if d.Err == nil {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the channel topics %s of an earlier replay are still being deleted after a minute", strings.Join(topics, ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// listAfter lists, per partition of topics, the first offset at or after
// ms (the end offset where there is none). A missing topic is an error.
func listAfter(ctx context.Context, adm *kadm.Client, ms int64, topics []string) (map[string]map[int32]int64, error) {
	listed, err := adm.ListOffsetsAfterMilli(ctx, ms, topics...)
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	out := map[string]map[int32]int64{}
	var errs []error
	listed.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			if errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
				errs = append(errs, fmt.Errorf("source topic %q does not exist: there is nothing to replay", o.Topic))
			} else {
				errs = append(errs, fmt.Errorf("list offsets of %s/%d: %w", o.Topic, o.Partition, o.Err))
			}
			return
		}
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.Offset
	})
	for _, t := range topics {
		if _, ok := listed[t]; !ok {
			errs = append(errs, fmt.Errorf("source topic %q does not exist: there is nothing to replay", t))
		}
	}
	return out, errors.Join(errs...)
}

// createShadows creates missing shadow sink and dead-letter topics with
// the partition count of the production topic they stand for (the worker
// creates the others, and these when the production topic is missing too,
// with the broker's default).
func createShadows(ctx context.Context, adm *kadm.Client, spec *ir.Pipeline, plan *ir.Plan) error {
	shadowOf := map[string]string{plan.Pipeline.DeadLetterTopic: cmpOr(spec.DeadLetterTopic, spec.Name+".dlq")}
	for _, op := range plan.Pipeline.Operators {
		if op.Sink == nil || op.Sink.Topic == "" {
			continue
		}
		if orig := spec.Operator(op.ID); orig != nil && orig.Sink != nil && orig.Sink.Topic != "" {
			shadowOf[op.Sink.Topic] = orig.Sink.Topic
		}
	}
	var prod []string
	for _, p := range shadowOf {
		prod = append(prod, p)
	}
	details, err := adm.ListTopics(ctx, prod...)
	if err != nil {
		return fmt.Errorf("describe the production topics: %w", err)
	}
	byCount := map[int32][]string{}
	for shadow, p := range shadowOf {
		if d, ok := details[p]; ok && d.Err == nil && len(d.Partitions) > 0 {
			byCount[int32(len(d.Partitions))] = append(byCount[int32(len(d.Partitions))], shadow)
		}
	}
	for n, topics := range byCount {
		if err := kafka.EnsureTopics(ctx, adm, topics, n); err != nil {
			return err
		}
	}
	return nil
}

// describeBounds says how many records of each source a replay reads.
func describeBounds(b *replayBounds) string {
	if len(b.sources) == 0 {
		return "no source topics"
	}
	var parts []string
	for _, t := range b.sources {
		parts = append(parts, fmt.Sprintf("%d offset(s) of %s in %d partition(s)", b.count(t), t, len(b.ranges[t])))
	}
	return strings.Join(parts, ", ")
}

// count is the number of offsets in topic's ranges (records, unless some
// are transaction markers).
func (b *replayBounds) count(topic string) int64 {
	var n int64
	for _, rg := range b.ranges[topic] {
		n += rg.End - rg.Start
	}
	return n
}

// progressEvery returns a worker.OnProgress function that writes one
// progress line at most every d, for a stderr that is not a terminal.
func progressEvery(w io.Writer, d time.Duration) func(worker.Progress) {
	var last time.Time
	return func(pr worker.Progress) {
		if time.Since(last) < d {
			return
		}
		last = time.Now()
		var in, out, dead int64
		for _, st := range pr.Stages {
			in, out, dead = in+st.RecordsIn, out+st.RecordsOut, dead+st.DeadLetters
		}
		fmt.Fprintf(w, "replay: %s: %d records in, %d out, %d dead letters\n", pr.Elapsed.Round(time.Second), in, out, dead)
	}
}

// writeReplaySummary names the records read per source and written per
// sink (from the operators' counts), and the dead letters.
func writeReplaySummary(w io.Writer, plan *ir.Plan, pr worker.Progress) {
	in, out := map[string]int64{}, map[string]int64{}
	var dead int64
	for _, st := range pr.Stages {
		dead += st.DeadLetters
		for _, op := range st.Operators {
			in[op.Operator] += op.RecordsIn
			out[op.Operator] += op.RecordsOut
		}
	}
	fmt.Fprintln(w, "Replay complete.")
	for _, op := range plan.Pipeline.Operators {
		switch {
		case op.Source != nil && op.Source.Topic != "":
			fmt.Fprintf(w, "  read    %6d from %s (topic %s)\n", in[op.ID], op.ID, op.Source.Topic)
		case op.Sink != nil:
			fmt.Fprintf(w, "  written %6d to   %s (%s)\n", out[op.ID], op.ID, cmpOr(op.Sink.Topic, "file "+op.Sink.File))
		}
	}
	fmt.Fprintf(w, "  dead letters %d (topic %s)\n", dead, plan.Pipeline.DeadLetterTopic)
}
