package command

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

func TestParseWindow(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	for _, tc := range []struct {
		from, to string
		want     replayWindow
		err      string
	}{
		{from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00+01:00", want: replayWindow{at("2026-01-01T00:00:00Z"), at("2026-01-01T23:00:00Z")}},
		{from: "-24h", to: "-90m", want: replayWindow{at("2026-02-28T12:00:00Z"), at("2026-03-01T10:30:00Z")}},
		{from: "2026-03-01T11:59:59.5Z", to: "now", want: replayWindow{at("2026-03-01T11:59:59.5Z"), now}},
		// Before the epoch: Kafka has no earlier timestamps.
		{from: "1960-01-01T00:00:00Z", to: "1970-01-01T00:00:01Z", want: replayWindow{time.UnixMilli(0), at("1970-01-01T00:00:01Z")}},
		{from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z", err: "-to (2026-01-01T00:00:00Z) must be after -from (2026-01-02T00:00:00Z)"},
		{from: "2026-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z", err: "must be after -from"},
		{from: "yesterday", to: "now", err: `-from "yesterday" is neither an RFC 3339 time (2026-01-01T00:00:00Z) nor a duration before now (-24h)`},
		{from: "-1h", to: "2026-13-01T00:00:00Z", err: `-to "2026-13-01T00:00:00Z" is neither`},
		{from: "24h", to: "now", err: "-from 24h: a relative time is before now, e.g. -24h"},
		{from: "", to: "now", err: "replay needs both -from and -to"},
	} {
		got, err := parseWindow(tc.from, tc.to, now)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseWindow(%q, %q): error %v, want one with %q", tc.from, tc.to, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseWindow(%q, %q): %v", tc.from, tc.to, err)
			continue
		}
		if !got.from.Equal(tc.want.from) || !got.to.Equal(tc.want.to) {
			t.Errorf("parseWindow(%q, %q) = [%s, %s), want [%s, %s)", tc.from, tc.to, got.from, got.to, tc.want.from, tc.want.to)
		}
	}
}

// replayView is what a replay plan owns and where it writes.
type replayView struct {
	Pipeline   string
	Backends   []string          // of the stages
	Groups     []string          // consumer groups
	Sinks      map[string]string // sink → topic or file
	Channels   []string          // channel topics
	DeadLetter string
	Operators  []string
}

func viewOf(p *ir.Plan) replayView {
	v := replayView{Pipeline: p.Pipeline.Name, Sinks: map[string]string{}, DeadLetter: p.Pipeline.DeadLetterTopic}
	for _, st := range p.Stages {
		v.Backends = append(v.Backends, st.Backend)
		v.Groups = append(v.Groups, worker.GroupID(p, st))
	}
	for _, ch := range p.Channels {
		v.Channels = append(v.Channels, ch.Topic)
	}
	for _, op := range p.Pipeline.Operators {
		v.Operators = append(v.Operators, op.ID)
		if op.Sink != nil {
			v.Sinks[op.ID] = op.Sink.Topic + op.Sink.File
		}
	}
	return v
}

// TestReplayPlan checks what a replay runs and names: every operator on
// native (the production plan puts the filter on the broker), every
// group, channel, sink and dead-letter topic its own.
func TestReplayPlan(t *testing.T) {
	dir := t.TempDir()
	spec := strings.Replace(stateSpec, `pipeline "shop" {}`, "pipeline \"shop\" {}\n\nbackend \"broker\" {}\n", 1)
	spec = strings.Replace(spec, "  where = record.amount >= 0\n", "  where   = record.amount >= 0\n  backend = \"broker\"\n", 1) + `
sink "archive" {
  input = filter.big
  file  = "archive.jsonl"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Meta{Stdout: io.Discard, Stderr: io.Discard}
	if prod := planIn(t, dir, spec); prod.Stages[0].Backend != ir.BackendBroker {
		t.Fatalf("the production plan's first stage runs on %s, want broker (the test relies on it)", prod.Stages[0].Backend)
	}
	res, _, diags := m.loadSpec(dir, &varFlags{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	resolveFiles(res.Pipeline, dir)
	archive := filepath.Join(dir, "archive.replay.jsonl")

	for _, tc := range []struct {
		name string
		opts replayOptions
		want replayView
	}{
		{"whole spec", replayOptions{}, replayView{
			Pipeline:   "shop.replay",
			Backends:   []string{"native", "native", "native"},
			Groups:     []string{"shop.replay.native.source.orders", "shop.replay.native.dedupe.once", "shop.replay.native.aggregate.revenue"},
			Sinks:      map[string]string{"sink.revenue": "revenue.replay", "sink.archive": archive},
			Channels:   []string{"shop.replay.filter.big", "shop.replay.dedupe.once"},
			DeadLetter: "shop.dlq.replay",
			Operators:  []string{"source.orders", "filter.big", "dedupe.once", "aggregate.revenue", "sink.archive", "sink.revenue"},
		}},
		{"named sink topic", replayOptions{sinkTopics: map[string]string{"sink.revenue": "revenue_backfill"}}, replayView{
			Pipeline:   "shop.replay",
			Backends:   []string{"native", "native", "native"},
			Groups:     []string{"shop.replay.native.source.orders", "shop.replay.native.dedupe.once", "shop.replay.native.aggregate.revenue"},
			Sinks:      map[string]string{"sink.revenue": "revenue_backfill", "sink.archive": archive},
			Channels:   []string{"shop.replay.filter.big", "shop.replay.dedupe.once"},
			DeadLetter: "shop.dlq.replay",
			Operators:  []string{"source.orders", "filter.big", "dedupe.once", "aggregate.revenue", "sink.archive", "sink.revenue"},
		}},
		{"target that is not a sink", replayOptions{target: "dedupe.once"}, replayView{
			Pipeline:   "shop.replay",
			Backends:   []string{"native", "native"},
			Groups:     []string{"shop.replay.native.source.orders", "shop.replay.native.dedupe.once"},
			Sinks:      map[string]string{"sink.replay_dedupe_once": "shop.dedupe.once.replay"},
			Channels:   []string{"shop.replay.filter.big"},
			DeadLetter: "shop.dlq.replay",
			Operators:  []string{"source.orders", "filter.big", "dedupe.once", "sink.replay_dedupe_once"},
		}},
		{"target sink", replayOptions{target: "sink.archive"}, replayView{
			Pipeline:   "shop.replay",
			Backends:   []string{"native"},
			Groups:     []string{"shop.replay.native.source.orders"},
			Sinks:      map[string]string{"sink.archive": archive},
			DeadLetter: "shop.dlq.replay",
			Operators:  []string{"source.orders", "filter.big", "sink.archive"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, diags := replayPlan(res.Pipeline, tc.opts, m.backends().PlanOptions)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if d := cmp.Diff(tc.want, viewOf(p)); d != "" {
				t.Errorf("replay plan (-want +got):\n%s", d)
			}
		})
	}
	if got := res.Pipeline.Name; got != "shop" || res.Pipeline.Operator("sink.revenue").Sink.Topic != "revenue" {
		t.Errorf("replayPlan changed the spec it was given: pipeline %q", got)
	}

	for _, tc := range []struct {
		name string
		opts replayOptions
		want string
	}{
		{"unknown target", replayOptions{target: "aggregate.revenu"}, `Unknown -target "aggregate.revenu"; The target must be an operator of the spec (kind.name). Did you mean "aggregate.revenue"?`},
		{"unknown sink", replayOptions{sinkTopics: map[string]string{"sink.revenu": "x"}}, `-sink-topic sink.revenu=x: no sink sink.revenu in the replay; -sink-topic names a sink of the spec (or of the -target's part). Did you mean "sink.revenue"?`},
		{"sink outside the target", replayOptions{target: "sink.archive", sinkTopics: map[string]string{"sink.revenue": "x"}}, `-sink-topic sink.revenue=x: no sink sink.revenue in the replay`},
		{"onto a source topic", replayOptions{sinkTopics: map[string]string{"sink.revenue": "orders"}}, `Cannot replay sink.revenue into topic "orders": the spec reads or writes that topic`},
		{"onto a sink topic", replayOptions{sinkTopics: map[string]string{"sink.revenue": "revenue"}}, `Cannot replay sink.revenue into topic "revenue": the spec reads or writes that topic`},
		{"file sink named", replayOptions{sinkTopics: map[string]string{"sink.archive": "x"}}, `-sink-topic sink.archive=x: sink.archive writes the file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := replayPlan(res.Pipeline, tc.opts, m.backends().PlanOptions)
			var got []string
			for _, d := range diags {
				got = append(got, strings.TrimSuffix(d.Summary+"; "+d.Detail, "; "))
			}
			if !diags.HasErrors() || !strings.HasPrefix(strings.Join(got, "\n"), tc.want) {
				t.Errorf("diagnostics %q, want one starting %q", got, tc.want)
			}
		})
	}

	noBroker := *res.Pipeline
	noBroker.Broker = nil
	_, diags = replayPlan(&noBroker, replayOptions{}, m.backends().PlanOptions)
	if !diags.HasErrors() || diags[0].Summary != "Nothing to replay: the spec has no broker block" {
		t.Errorf("a spec without a broker block: %v", diags)
	}
}

// TestReplayPlanRouteTarget checks that a route target writes each of its
// outputs to a topic of its own.
func TestReplayPlanRouteTarget(t *testing.T) {
	dir := t.TempDir()
	spec := `pipeline "shop" {}

broker "main" {
  brokers = ["localhost:9092"]
}

source "orders" {
  topic  = "orders"
  schema = object({ id = string, amount = number })
}

route "by_size" {
  input = source.orders
  output "big" { when = record.amount >= 100 }
  output "small" { default = true }
}

sink "big" {
  input = route.by_size.big
  topic = "big"
}

sink "small" {
  input = route.by_size.small
  topic = "small"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Meta{Stdout: io.Discard, Stderr: io.Discard}
	res, _, diags := m.loadSpec(dir, &varFlags{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := replayPlan(res.Pipeline, replayOptions{target: "route.by_size"}, m.backends().PlanOptions)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := replayView{
		Pipeline:   "shop.replay",
		Backends:   []string{"native"},
		Groups:     []string{"shop.replay.native.source.orders"},
		Sinks:      map[string]string{"sink.replay_route_by_size_big": "shop.route.by_size.big.replay", "sink.replay_route_by_size_small": "shop.route.by_size.small.replay"},
		DeadLetter: "shop.dlq.replay",
		Operators:  []string{"source.orders", "route.by_size", "sink.replay_route_by_size_big", "sink.replay_route_by_size_small"},
	}
	if d := cmp.Diff(want, viewOf(p)); d != "" {
		t.Errorf("replay plan of a route target (-want +got):\n%s", d)
	}
}

func TestShadowSubject(t *testing.T) {
	prod := func(topic, subject string) *ir.Operator {
		return &ir.Operator{ID: "sink.s", Sink: &ir.Sink{Topic: topic, SchemaSubject: subject}}
	}
	for _, tc := range []struct {
		name          string
		sink          ir.Sink
		orig          *ir.Operator
		want, wantDoc string
	}{
		{"topic name", ir.Sink{Topic: "revenue.replay", SchemaSubject: "revenue-value", SchemaDoc: &ir.SchemaDoc{Subject: "revenue-value"}},
			prod("revenue", "revenue-value"), "revenue.replay-value", "revenue.replay-value"},
		{"named shadow topic", ir.Sink{Topic: "backfill", SchemaSubject: "revenue-value"}, prod("revenue", "revenue-value"), "backfill-value", ""},
		{"record name", ir.Sink{Topic: "revenue.replay", SchemaSubject: "com.acme.Revenue", SchemaDoc: &ir.SchemaDoc{Subject: "com.acme.Revenue"}},
			prod("revenue", "com.acme.Revenue"), "com.acme.Revenue.replay", "com.acme.Revenue.replay"},
		{"json", ir.Sink{Topic: "revenue.replay"}, prod("revenue", ""), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.sink
			shadowSubject(&s, tc.orig)
			if s.SchemaSubject != tc.want {
				t.Errorf("subject %q, want %q", s.SchemaSubject, tc.want)
			}
			if s.SchemaDoc != nil && s.SchemaDoc.Subject != tc.wantDoc {
				t.Errorf("schema document's subject %q, want %q", s.SchemaDoc.Subject, tc.wantDoc)
			}
		})
	}
}
