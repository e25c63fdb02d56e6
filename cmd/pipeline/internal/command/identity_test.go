package command

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

const identitySpec = `pipeline "shop" {}

broker "main" {
  brokers = ["localhost:9092"]
}

backend "broker" {}

source "orders" {
  topic      = "orders"
  schema     = object({ id = string, amount = number, customer = string, ts = string })
  event_time = record.ts
  backend    = "native" # so that the filter's broker stage reads a channel
}

filter "big" {
  input   = source.orders
  where   = record.amount >= 100
  backend = "broker"
}

sink "big" {
  input = filter.big
  topic = "big-orders"
}

aggregate "revenue" {
  input  = source.orders
  key    = { customer = record.customer }
  window = tumbling("1m")
  fields = { total = sum(record.amount) }
}

sink "revenue" {
  input    = aggregate.revenue
  topic    = "revenue"
  delivery = "exactly_once"
}
`

// An added source with its own stage, planned before every other stage.
const auditBlocks = `source "audit" {
  topic  = "audit"
  schema = object({ who = string })
}

sink "audit" {
  input    = source.audit
  topic    = "audit-copy"
  delivery = "exactly_once"
}

`

// stageNames is everything that must not change for a stage that did not:
// what Kafka, Redpanda and the state directory know it by.
type stageNames struct {
	Group, TransactionalID, StateDir, Transform, ModuleSHA string
}

func namesOf(t *testing.T, src string) (map[string]stageNames, map[string]string) {
	t.Helper()
	m := &Meta{Stdout: io.Discard, Stderr: io.Discard}
	ld, diags := m.loadAndPlan(writeSpec(t, src), &varFlags{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan := ld.plan
	names, ids := map[string]stageNames{}, map[string]string{}
	for _, st := range plan.Stages {
		id := plan.Pipeline.StageIdentity(st)
		n := stageNames{
			Group:           worker.GroupID(plan, st),
			TransactionalID: worker.TransactionalID(plan, st, "w1"),
			StateDir:        worker.StageStateDir("/state", plan, st),
		}
		if st.Backend == ir.BackendBroker {
			a, err := broker.Compile(plan, st.ID)
			if err != nil {
				t.Fatal(err)
			}
			n.Transform, n.ModuleSHA = a.Name, a.SHA256()
		}
		names[id], ids[id] = n, st.ID
	}
	return names, ids
}

// TestStageIdentityIsStable: adding a source and its stage (placed
// before the others), or editing comments above a stage, leaves every
// existing stage's ID, consumer group, transactional ID, state directory,
// transform name and module untouched.
func TestStageIdentityIsStable(t *testing.T) {
	before, beforeIDs := namesOf(t, identitySpec)
	if len(before) < 3 {
		t.Fatalf("want a broker stage and two native stages, got %v", beforeIDs)
	}
	commented := strings.Replace(identitySpec, `aggregate "revenue"`, "# Revenue per customer and minute:\n# one more line of explanation.\n\naggregate \"revenue\"", 1)
	commented = "# The shop.\n\n" + commented
	for name, src := range map[string]string{
		"source and stage added": strings.Replace(identitySpec, `source "orders"`, auditBlocks+`source "orders"`, 1),
		"comments edited":        commented,
	} {
		t.Run(name, func(t *testing.T) {
			after, afterIDs := namesOf(t, src)
			for id, want := range before {
				got, ok := after[id]
				if !ok {
					t.Errorf("stage %s (was %s) is gone; stages now %v", id, beforeIDs[id], afterIDs)
					continue
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("stage %s (%s, was %s) changed names (-before +after):\n%s", id, afterIDs[id], beforeIDs[id], d)
				}
				if afterIDs[id] != beforeIDs[id] {
					t.Errorf("stage %s was renamed %s", beforeIDs[id], afterIDs[id])
				}
			}
		})
	}
}

// TestChangesMatchStagesByIdentity: after adding a source and its stage,
// the plan's change list adds that one stage and deletes none, also
// against a state written when stage IDs were numbered per backend
// (native.1, native.2), which the added stage would have renumbered:
// stages match by identity, not by ID.
func TestChangesMatchStagesByIdentity(t *testing.T) {
	load := func(src string) *ir.Plan {
		m := &Meta{Stdout: io.Discard, Stderr: io.Discard}
		ld, diags := m.loadAndPlan(writeSpec(t, src), &varFlags{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		return ld.plan
	}
	before := load(identitySpec)
	st := &state.State{SpecHash: before.SpecHash}
	perBackend := map[string]int{}
	for _, s := range before.Stages {
		perBackend[s.Backend]++
		oldID := fmt.Sprintf("%s.%d", s.Backend, perBackend[s.Backend])
		st.Stages = append(st.Stages, state.Stage{ID: oldID, Backend: s.Backend, Operators: s.Operators, Identity: before.Pipeline.StageIdentity(s)})
	}
	after := load(strings.Replace(identitySpec, `source "orders"`, auditBlocks+`source "orders"`, 1))
	c := changesSince(after, st)
	var added []string
	for _, a := range c.Add {
		added = append(added, strings.Join(a.Operators, ","))
	}
	if d := cmp.Diff([]string{"source.audit,sink.audit"}, added); d != "" {
		t.Errorf("added stages (-want +got):\n%s", d)
	}
	if len(c.Delete) > 0 {
		t.Errorf("deleted stages %+v, want none", c.Delete)
	}
	renumbered := false
	for _, s := range after.Stages {
		for _, d := range st.Stages {
			if d.Identity == after.Pipeline.StageIdentity(s) && d.ID != s.ID {
				renumbered = true
			}
		}
	}
	if !renumbered {
		t.Error("no stage was renumbered: the test does not exercise numbering")
	}
}
