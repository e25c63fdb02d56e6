package command

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
)

// stateSpec has a stateful operator in each of two stages: a dedupe and
// an aggregate, each behind a repartition channel.
const stateSpec = `pipeline "shop" {}

broker "main" {
  brokers = ["localhost:9092"]
}

source "orders" {
  topic      = "orders"
  schema     = object({ id = string, amount = number, customer = string, ts = string })
  event_time = record.ts
}

filter "big" {
  input = source.orders
  where = record.amount >= 0
}

dedupe "once" {
  input  = filter.big
  key    = record.id
  within = "1h"
}

aggregate "revenue" {
  input            = dedupe.once
  key              = { customer = record.customer }
  window           = tumbling("1m")
  allowed_lateness = "10s"
  fields           = { total = sum(record.amount) }
}

sink "revenue" {
  input = aggregate.revenue
  topic = "revenue"
}
`

// planIn writes src as dir's spec and plans it against dir's state.
func planIn(t *testing.T, dir, src string) *ir.Plan {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m := &Meta{Stdout: io.Discard, Stderr: io.Discard}
	ld, diags := m.loadAndPlan(dir, &varFlags{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return ld.plan
}

// applySpec plans src in dir as apply would and records the state apply
// would write, as a broker-backed apply does.
func applySpec(t *testing.T, dir, src string, serial int64) {
	t.Helper()
	st := deployed(planIn(t, dir, src), &session{brokers: []string{"localhost:9092"}}, serial)
	if err := state.Write(state.Dir(dir), st); err != nil {
		t.Fatal(err)
	}
}

// planLines plans src in dir against its state and renders each state
// change as "state address: reason; offsets".
func planLines(t *testing.T, dir, src string) []string {
	t.Helper()
	return renderStateChanges(planIn(t, dir, src).StateChanges)
}

func renderStateChanges(cs []ir.StateChange) []string {
	var out []string
	for _, c := range cs {
		line := c.State + " " + c.Address
		var detail []string
		for _, d := range []string{c.Reason, c.Offsets} {
			if d != "" {
				detail = append(detail, d)
			}
		}
		if len(detail) > 0 {
			line += ": " + strings.Join(detail, "; ")
		}
		out = append(out, line)
	}
	return out
}

const (
	resumes         = "resumes at committed offsets"
	keptConsumers   = "kept native.source.orders: " + resumes + "|kept native.dedupe.once: " + resumes + "|kept native.aggregate.revenue: " + resumes
	keptEverything  = "kept dedupe.once|kept aggregate.revenue|" + keptConsumers
	renamedTo       = "aggregate.revenue_by_customer"
	addedSourceSpec = `
source "audit" {
  topic      = "audit"
  schema     = object({ who = string })
  start_from = "latest"
}

sink "audit" {
  input = source.audit
  topic = "audit-copy"
}
`
)

func TestStateChanges(t *testing.T) {
	rename := func(s string) string {
		s = strings.Replace(s, `aggregate "revenue"`, `aggregate "revenue_by_customer"`, 1)
		return strings.Replace(s, "input = aggregate.revenue", "input = aggregate.revenue_by_customer", 1)
	}
	tests := []struct {
		name string
		edit func(string) string
		want string // lines joined by |
	}{
		{"unchanged", func(s string) string { return s }, keptEverything},
		{"a filter upstream changes", func(s string) string {
			return strings.Replace(s, "record.amount >= 0", "record.amount >= 10", 1)
		}, keptEverything},
		{"allowed_lateness changes", func(s string) string {
			return strings.Replace(s, `allowed_lateness = "10s"`, `allowed_lateness = "1m"`, 1)
		}, keptEverything},
		{"a dedupe's within changes", func(s string) string {
			return strings.Replace(s, `within = "1h"`, `within = "2h"`, 1)
		}, keptEverything},
		{"key changes", func(s string) string {
			return strings.Replace(s, "{ customer = record.customer }", "{ customer = lower(record.customer) }", 1)
		}, "reset aggregate.revenue: key changed from {customer = record.customer} to {customer = lower(record.customer)}|kept dedupe.once|" + keptConsumers},
		{"window changes", func(s string) string {
			return strings.Replace(s, `tumbling("1m")`, `tumbling("5m")`, 1)
		}, "reset aggregate.revenue: window changed from tumbling(1m) to tumbling(5m)|kept dedupe.once|" + keptConsumers},
		{"a field is added", func(s string) string {
			return strings.Replace(s, "{ total = sum(record.amount) }", "{ total = sum(record.amount), orders = count() }", 1)
		}, "reset aggregate.revenue: fields changed: added orders = count()|kept dedupe.once|" + keptConsumers},
		{"renamed without a moved block", rename,
			"reset " + renamedTo + ": renamed from aggregate.revenue: state does not follow a rename; add moved { from = aggregate.revenue  to = " + renamedTo + " } to keep it" +
				"|reset native." + renamedTo + ": replaces consumer native.aggregate.revenue, whose committed offsets do not carry over to a new identity (rename its first operator with a moved block to keep them); reads from earliest" +
				"|kept dedupe.once|kept native.source.orders: " + resumes + "|kept native.dedupe.once: " + resumes},
		{"renamed with a moved block", func(s string) string {
			return rename(s) + "\nmoved {\n  from = aggregate.revenue\n  to   = " + renamedTo + "\n}\n"
		}, "kept dedupe.once|kept " + renamedTo + ": renamed from aggregate.revenue (moved block)|" + keptConsumers},
		{"an unrelated source is added", func(s string) string { return s + addedSourceSpec },
			"new native.source.audit: reads from latest|" + keptEverything},
		{"an operator is removed", func(s string) string {
			s = strings.Replace(s, "input            = dedupe.once", "input            = filter.big", 1)
			return strings.Replace(s, "dedupe \"once\" {\n  input  = filter.big\n  key    = record.id\n  within = \"1h\"\n}\n", "", 1)
		}, "kept aggregate.revenue|kept native.source.orders: " + resumes + "|kept native.aggregate.revenue: " + resumes +
			"|dropped dedupe.once: no longer in the plan: its state is no longer used|dropped native.dedupe.once: no longer in the plan: it stops, and its committed offsets stay on the broker"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSpec(t, stateSpec)
			applySpec(t, dir, stateSpec, 1)
			got := planLines(t, dir, tc.edit(stateSpec))
			if diff := cmp.Diff(strings.Split(tc.want, "|"), got); diff != "" {
				t.Errorf("state changes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMovedIsValidatedAgainstTheState(t *testing.T) {
	moved := func(from, to string) string {
		return "\nmoved {\n  from = " + from + "\n  to   = " + to + "\n}\n"
	}
	renamed := strings.Replace(strings.Replace(stateSpec, `aggregate "revenue"`, `aggregate "by_customer"`, 1),
		"input = aggregate.revenue", "input = aggregate.by_customer", 1)
	tests := []struct {
		name, spec string
		errHas     []string // "" when the plan must succeed
	}{
		{"from not in the state", renamed + moved("aggregate.totals", "aggregate.by_customer"),
			[]string{"main.hcl:38:10: error: Moved from an unknown address", "aggregate.totals is not in the state of the last apply (serial 1)", "The state has aggregate.revenue."}},
		{"to not in the spec", renamed + moved("aggregate.revenue", "aggregate.nope"),
			[]string{"main.hcl:39:10: error: Invalid moved block", "There is no operator aggregate.nope in the spec"}},
		{"from still declared", stateSpec + moved("aggregate.revenue", "dedupe.once"),
			[]string{"error: Invalid moved block", "aggregate.revenue cannot become dedupe.once"}},
		{"valid", renamed + moved("aggregate.revenue", "aggregate.by_customer"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSpec(t, stateSpec)
			applySpec(t, dir, stateSpec, 1)
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(tc.spec), 0o644); err != nil {
				t.Fatal(err)
			}
			res := run(t, nil, "", "plan", dir)
			if tc.errHas == nil {
				if res.code != 0 {
					t.Fatalf("plan failed: %s", res.stderr)
				}
				return
			}
			if res.code != 1 {
				t.Fatalf("plan exited %d, want 1; stderr:\n%s", res.code, res.stderr)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(res.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, res.stderr)
				}
			}
		})
	}
}

// Once applied, the rename is in the state: the moved block may go, and
// the renamed operator keeps its old identity.
func TestMovedIsRememberedAfterApply(t *testing.T) {
	renamed := strings.Replace(strings.Replace(stateSpec, `aggregate "revenue"`, `aggregate "by_customer"`, 1),
		"input = aggregate.revenue", "input = aggregate.by_customer", 1)
	dir := writeSpec(t, stateSpec)
	applySpec(t, dir, stateSpec, 1)
	applySpec(t, dir, renamed+"\nmoved {\n  from = aggregate.revenue\n  to   = aggregate.by_customer\n}\n", 2)
	want := []string{"kept dedupe.once", "kept aggregate.by_customer", "kept native.source.orders: " + resumes,
		"kept native.dedupe.once: " + resumes, "kept native.aggregate.revenue: " + resumes}
	if diff := cmp.Diff(want, planLines(t, dir, renamed)); diff != "" {
		t.Errorf("state changes without the moved block (-want +got):\n%s", diff)
	}
}

func TestApplyRefusesAStateReset(t *testing.T) {
	dir := writeSpec(t, stateSpec)
	applySpec(t, dir, stateSpec, 1)
	keyed := strings.Replace(stateSpec, "{ customer = record.customer }", "{ customer = lower(record.customer) }", 1)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(keyed), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := run(t, nil, "", "plan", "-detailed-exitcode", dir)
	for _, s := range []string{
		"! This plan resets state or offsets: aggregate.revenue (see State and offsets below).",
		"  ! reset    aggregate.revenue: key changed from {customer = record.customer} to {customer = lower(record.customer)}\n",
		"Plan: 0 to move, 0 to add, 3 to change, 0 to delete, 1 state reset.\n",
	} {
		if !strings.Contains(plan.stdout, s) {
			t.Errorf("plan output lacks %q:\n%s", s, plan.stdout)
		}
	}
	if plan.code != 2 {
		t.Errorf("plan -detailed-exitcode = %d, want 2", plan.code)
	}
	js := run(t, nil, "", "plan", "-json", dir)
	p, err := ir.DecodePlan([]byte(js.stdout))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.StateResets(); len(got) != 1 || got[0].Address != "aggregate.revenue" || !strings.HasPrefix(got[0].Reason, "key changed") {
		t.Errorf("plan -json resets = %+v, want aggregate.revenue: key changed", got)
	}

	res := run(t, nil, "", "apply", "-auto-approve", dir)
	if res.code != 1 || !strings.Contains(res.stderr, "Cannot apply: this plan resets state or offsets (1)") ||
		!strings.Contains(res.stderr, "  aggregate.revenue: key changed from {customer = record.customer}") ||
		!strings.Contains(res.stderr, "-allow-state-reset") {
		t.Errorf("apply without -allow-state-reset: exit %d, stderr:\n%s", res.code, res.stderr)
	}
	// With the flag, apply gets past the check to the broker (none here).
	res = run(t, nil, "", "apply", "-auto-approve", "-allow-state-reset", dir)
	if strings.Contains(res.stderr, "resets state") || !strings.Contains(res.stderr, "broker") {
		t.Errorf("apply -allow-state-reset: exit %d, stderr:\n%s", res.code, res.stderr)
	}
}

// A saved plan keeps only salted hashes of sensitive values: apply takes
// them again and refuses one that differs; nothing written or printed on
// the way holds the value.
func TestSavedPlanHoldsNoSecret(t *testing.T) {
	const secret = "s3cret-0f-the-test"
	dir := writeSpec(t, `pipeline "guarded" {}

variable "token" {
  type      = string
  sensitive = true
}

source "in" {
  file   = "in.jsonl"
  schema = object({ who = string })
}

filter "not_token" {
  input = source.in
  where = record.who != var.token
}

sink "out" {
  input = filter.not_token
  file  = "out.jsonl"
}
`)
	if err := os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte(`{"who":"a"}`+"\n"+`{"who":"`+secret+`"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(t.TempDir(), "guarded.plan")
	var printed strings.Builder
	keep := func(r result) result { printed.WriteString(r.stdout + r.stderr); return r }
	if r := keep(run(t, nil, "", "plan", "-var", "token="+secret, "-out", planFile, dir)); r.code != 0 {
		t.Fatalf("plan -out: %s", r.stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no value", nil},
		{"another value", []string{"-var", "token=not-it"}},
	} {
		r := keep(run(t, nil, "", append(append([]string{"apply", "-auto-approve"}, tc.args...), planFile)...))
		if r.code != 1 || !strings.Contains(r.stderr, "sensitive values differ from those it was made with: var token") && !strings.Contains(r.stderr, "does not load") {
			t.Errorf("apply of the saved plan with %s: exit %d, stderr:\n%s", tc.name, r.code, r.stderr)
		}
	}
	r := keep(run(t, nil, "", "apply", "-auto-approve", "-var", "token="+secret, planFile))
	if r.code != 0 {
		t.Fatalf("apply with the value the plan was made with: exit %d\n%s", r.code, r.stderr)
	}
	out, err := os.ReadFile(filepath.Join(dir, "out.jsonl"))
	if err != nil || strings.TrimSpace(string(out)) != `{"who":"a"}` {
		t.Errorf("out.jsonl = %q (%v), want only a's record: the secret must reach the filter", out, err)
	}
	if strings.Contains(printed.String(), secret) {
		t.Errorf("a command printed the secret:\n%s", printed.String())
	}
	for _, f := range append(walk(t, state.Dir(dir)), planFile) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s holds the secret", f)
		}
	}
}

func walk(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// A renamed operator's channel keeps its topic, so the stage reading it
// resumes there.
func TestMovedKeepsChannelTopics(t *testing.T) {
	renamed := strings.NewReplacer(`dedupe "once"`, `dedupe "first"`, "input            = dedupe.once", "input            = dedupe.first").Replace(stateSpec)
	dir := writeSpec(t, stateSpec)
	applySpec(t, dir, stateSpec, 1)
	plan := planIn(t, dir, renamed+"\nmoved {\n  from = dedupe.once\n  to   = dedupe.first\n}\n")
	var topics []string
	for _, ch := range plan.Channels {
		topics = append(topics, ch.Topic)
	}
	var ins []string
	for _, st := range plan.Stages {
		ins = append(ins, strings.Join(st.Inputs, ","))
	}
	if diff := cmp.Diff([]string{"shop.filter.big", "shop.dedupe.once"}, topics); diff != "" {
		t.Errorf("channel topics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"orders", "shop.filter.big", "shop.dedupe.once"}, ins); diff != "" {
		t.Errorf("stage inputs (-want +got):\n%s", diff)
	}
	want := []string{"kept dedupe.first: renamed from dedupe.once (moved block)", "kept aggregate.revenue",
		"kept native.source.orders: " + resumes, "kept native.dedupe.once: " + resumes, "kept native.aggregate.revenue: " + resumes}
	if diff := cmp.Diff(want, renderStateChanges(plan.StateChanges)); diff != "" {
		t.Errorf("state changes (-want +got):\n%s", diff)
	}
}
