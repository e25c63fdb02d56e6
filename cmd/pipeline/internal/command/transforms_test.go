package command

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/pipeline-compiler/pipeline/backends/broker/admintest"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
)

// redpandaSpec deploys broker stages through admin_url: its broker block
// names a test broker (%[1]s) and its admin_url a fake Admin API (%[2]s).
// With ordersChain and clicksChain, two independent stateless chains, it
// plans onto two broker stages: broker.source.clicks and broker.source.orders.
const redpandaSpec = `pipeline "shop" {}

variable "min_amount" {
  type    = number
  default = 100
}

broker "main" {
  brokers = [%[1]q]
}

backend "broker" {
  admin_url      = %[2]q
  admin_username = "svc"
  admin_password = env("ADMIN_PASSWORD")
  memory_limit   = "64MiB"
}
`

const ordersChain = `
source "orders" {
  topic  = "orders"
  format = "json"
  schema = object({ id = string, amount = number })
}

filter "big" {
  input = source.orders
  where = record.amount >= var.min_amount
}

sink "big" {
  input    = filter.big
  topic    = "big-orders"
  delivery = "at_least_once"
}
`

const clicksChain = `
source "clicks" {
  topic  = "clicks"
  format = "json"
  schema = object({ page = string })
}

map "pages" {
  input  = source.clicks
  fields = { page = lower(record.page) }
}

sink "pages" {
  input    = map.pages
  topic    = "pages"
  delivery = "at_least_once"
}
`

// redpanda is a test cluster: a Kafka-protocol broker (kfake) and a fake
// Admin API that checks every request as Redpanda documents it.
type redpanda struct {
	broker *embedded.Broker
	admin  *admintest.Server
}

func newRedpanda(t *testing.T) *redpanda {
	t.Helper()
	b := testkit.EmbeddedBroker(t)
	return &redpanda{broker: b, admin: admintest.NewServer(t, admintest.RequireBasicAuth("svc", "pw-from-env"))}
}

func (r *redpanda) spec(chains ...string) string {
	return fmt.Sprintf(redpandaSpec, r.broker.Addrs()[0], r.admin.URL) + strings.Join(chains, "")
}

// adm calls f with an admin client of the broker.
func (r *redpanda) adm(t *testing.T, f func(context.Context, *kadm.Client)) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.broker.Addrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f(ctx, kadm.NewClient(cl))
}

func (r *redpanda) topics(t *testing.T) []string {
	t.Helper()
	var names []string
	r.adm(t, func(ctx context.Context, adm *kadm.Client) {
		td, err := adm.ListTopics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names = td.Names()
	})
	return names
}

// createTopic creates topic with configs.
func (r *redpanda) createTopic(t *testing.T, topic string, configs map[string]*string) {
	t.Helper()
	r.adm(t, func(ctx context.Context, adm *kadm.Client) {
		if _, err := adm.CreateTopic(ctx, 1, -1, configs, topic); err != nil {
			t.Fatal(err)
		}
	})
}

// runEnv runs the CLI with ADMIN_PASSWORD set, as env() reads it.
func runEnv(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb strings.Builder
	code := Run(args, &Meta{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
		Env: []string{"HOME=/nonexistent", "ADMIN_PASSWORD=pw-from-env"}, Version: "v-test"})
	return result{out.String(), errb.String(), code}
}

// transformsInState returns name → sha256 of the state's transforms.
func transformsInState(t *testing.T, dir string) map[string]string {
	t.Helper()
	st, err := state.Read(state.Dir(dir))
	if err != nil || st == nil {
		t.Fatalf("state: %v", err)
	}
	out := map[string]string{}
	for _, s := range st.Stages {
		if s.Transform != nil {
			out[s.Transform.Name] = s.Transform.SHA256
		}
	}
	return out
}

func TestApplyDeploysTransformsThroughTheAdminAPI(t *testing.T) {
	rp := newRedpanda(t)
	// Orders last: removing it leaves the clicks operators' source
	// ranges, which the modules carry, where they were.
	dir := writeSpec(t, rp.spec(clicksChain, ordersChain))
	rp.createTopic(t, "pages", map[string]*string{"max.message.bytes": kadm.StringPtr("5000")})
	served := func() map[string]string {
		out := map[string]string{}
		for _, tr := range rp.admin.Transforms() {
			out[tr.Name] = tr.SHA256
		}
		return out
	}
	steps := []struct {
		name    string
		spec    string // "" keeps the previous
		args    []string
		outHas  []string
		posts   int // deploy requests in all so far
		deletes int
		names   []string
	}{{
		name:   "first apply deploys both stages",
		outHas: []string{"create shop-broker.source.clicks (stage broker.source.clicks): new", "create shop-broker.source.orders (stage broker.source.orders): new", "2 deployed, 0 unchanged, 0 deleted."},
		posts:  2, names: []string{"shop-broker.source.clicks", "shop-broker.source.orders"},
	}, {
		name:   "the same spec again: nothing is redeployed",
		outHas: []string{"unchanged shop-broker.source.clicks", "unchanged shop-broker.source.orders", "0 deployed, 2 unchanged, 0 deleted."},
		posts:  2, names: []string{"shop-broker.source.clicks", "shop-broker.source.orders"},
	}, {
		name:   "a changed filter changes one module: only it is redeployed",
		spec:   rp.spec(clicksChain, strings.Replace(ordersChain, ">= var.min_amount", "> var.min_amount", 1)),
		outHas: []string{"unchanged shop-broker.source.clicks", "update shop-broker.source.orders (stage broker.source.orders): module changed", "1 deployed, 1 unchanged, 0 deleted."},
		posts:  3, names: []string{"shop-broker.source.clicks", "shop-broker.source.orders"},
	}, {
		name:   "a removed stage's transform is deleted",
		spec:   rp.spec(clicksChain),
		outHas: []string{"unchanged shop-broker.source.clicks", "delete shop-broker.source.orders (stage broker.source.orders): no longer in the plan", "0 deployed, 1 unchanged, 1 deleted."},
		posts:  3, deletes: 1, names: []string{"shop-broker.source.clicks"},
	}}
	for _, s := range steps {
		if s.spec != "" {
			if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(s.spec), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res := runEnv(t, append(append([]string{"apply", "-auto-approve"}, s.args...), dir)...)
		if res.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", s.name, res.code, res.stdout, res.stderr)
		}
		for _, f := range append(s.outHas, "Broker transforms (Redpanda Admin API "+rp.admin.URL+"):", "Apply complete.") {
			if !strings.Contains(res.stdout, f) {
				t.Errorf("%s: stdout lacks %q:\n%s", s.name, f, res.stdout)
			}
		}
		if strings.Contains(res.stdout+res.stderr, "pw-from-env") {
			t.Errorf("%s: the admin password was printed", s.name)
		}
		if got := rp.admin.Count("POST"); got != s.posts {
			t.Errorf("%s: %d deploy requests in all, want %d", s.name, got, s.posts)
		}
		if got := rp.admin.Count("DELETE"); got != s.deletes {
			t.Errorf("%s: %d delete requests in all, want %d", s.name, got, s.deletes)
		}
		if diff := cmp.Diff(served(), transformsInState(t, dir)); diff != "" {
			t.Errorf("%s: state and cluster differ (-cluster +state):\n%s", s.name, diff)
		}
		if got := slices.Sorted(func(yield func(string) bool) {
			for n := range served() {
				if !yield(n) {
					return
				}
			}
		}); !cmp.Equal(got, s.names) {
			t.Errorf("%s: the cluster runs %v, want %v", s.name, got, s.names)
		}
	}
	// Topics were created before the transforms were deployed.
	topics := rp.topics(t)
	for _, want := range []string{"orders", "big-orders", "clicks", "pages", "shop.dlq"} {
		if !slices.Contains(topics, want) {
			t.Errorf("topic %s was not created; topics: %v", want, topics)
		}
	}

	// Each transform knows how large a record its output topics take (the
	// topics' max.message.bytes), so that it dead-letters one Redpanda
	// would refuse.
	for _, tr := range rp.admin.Transforms() {
		limits := tr.Environment["PIPELINE_MAX_BYTES"]
		for _, topic := range tr.OutputTopics {
			want := topic + "="
			if topic == "pages" {
				want += "5000"
			}
			if !strings.Contains(","+limits, ","+want) {
				t.Errorf("transform %s: PIPELINE_MAX_BYTES = %q, want %s… in it", tr.Name, limits, want)
			}
		}
	}

	// destroy deletes the remaining transform and clears the state.
	res := runEnv(t, "destroy", "-auto-approve", dir)
	check{outHas: []string{
		"destroy will:\n  - delete broker transform shop-broker.source.clicks (stage broker.source.clicks) through " + rp.admin.URL,
		"Destroy complete.",
	}}.verify(t, res)
	if got := rp.admin.Transforms(); len(got) != 0 {
		t.Errorf("after destroy the cluster runs %v", got)
	}
	if got := transformsInState(t, dir); len(got) != 0 {
		t.Errorf("after destroy the state records %v", got)
	}
}

func TestApplyStopsWhenTheAdminAPIRefuses(t *testing.T) {
	rp := newRedpanda(t)
	dir := writeSpec(t, rp.spec(ordersChain))
	rp.admin.FailNext("POST", 400)
	res := runEnv(t, "apply", "-auto-approve", dir)
	check{code: 1, errHas: []string{"Cannot deploy the broker transforms: deploy transform shop-broker.source.orders: POST " + rp.admin.URL +
		"/v1/transform/deploy: 400 Bad Request: injected failure 400"}}.verify(t, res)
	if got := transformsInState(t, dir); len(got) != 0 {
		t.Errorf("the state records %v, which was never deployed", got)
	}
}

func TestDestroyDeletesOnlyWhatThePipelineOwns(t *testing.T) {
	rp := newRedpanda(t)
	// The spec: broker.1 (filter) feeds native.1 (dedupe) through a channel.
	dir := writeSpec(t, rp.spec(ordersChain, `
dedupe "once" {
  input  = filter.big
  key    = record.id
  within = "1h"
}

sink "once" {
  input    = dedupe.once
  topic    = "once-orders"
  delivery = "at_least_once"
}
`))
	ld, diags := (&Meta{Env: []string{"ADMIN_PASSWORD=pw-from-env"}}).loadAndPlan(dir, &varFlags{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	channels := channelTopics(ld.plan)
	if len(channels) == 0 {
		t.Fatalf("the spec plans no channel: %+v", ld.plan.Stages)
	}
	// What an apply left: a transform, topics, a state that (wrongly)
	// lists a source topic among the channels, and local run state.
	rp.admin.Put(admintest.Transform{Name: "shop-broker.1", InputTopic: "orders", OutputTopics: []string{channels[0]}, Module: []byte("\x00asm\x01\x00\x00\x00")})
	rp.admin.Put(admintest.Transform{Name: "someone-elses", InputTopic: "x", OutputTopics: []string{"y"}, Module: []byte("\x00asm\x01\x00\x00\x00")})
	userTopics := []string{"orders", "big-orders", "once-orders", "shop.dlq"}
	if _, _, err := createTopics(context.Background(), &session{clientOpts: []kgo.Opt{kgo.SeedBrokers(rp.broker.Addrs()...)}}, append(slices.Clone(userTopics), channels...)); err != nil {
		t.Fatal(err)
	}
	st := &state.State{Serial: 4, Pipeline: "shop", SpecHash: ld.plan.SpecHash, AppliedAt: time.Now().UTC(), Broker: rp.broker.Addrs(),
		Stages: []state.Stage{
			{ID: "broker.1", Backend: "broker", Operators: []string{"source.orders", "filter.big"},
				Transform: &state.Transform{Name: "shop-broker.1", SHA256: "abc", AdminURL: rp.admin.URL}},
			{ID: "native.1", Backend: "native", Operators: []string{"dedupe.once", "sink.once"}},
		},
		Topics:        append(slices.Clone(userTopics), channels...),
		ChannelTopics: append(slices.Clone(channels), "orders"),
	}
	if err := state.Write(state.Dir(dir), st); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(state.Dir(dir), "run")
	if err := os.MkdirAll(filepath.Join(runDir, "native.1"), 0o700); err != nil {
		t.Fatal(err)
	}

	t.Run("asks first", func(t *testing.T) {
		check{code: 1, errHas: []string{"destroy needs -auto-approve when stdin is not a terminal"},
			outHas: []string{"destroy will:", "delete topic " + channels[0]}}.verify(t, runEnv(t, "destroy", dir))
		if len(rp.admin.Transforms()) != 2 {
			t.Error("destroy deleted a transform without confirmation")
		}
	})

	res := runEnv(t, "destroy", "-auto-approve", dir)
	check{outHas: []string{
		"Pipeline \"shop\", applied at ",
		"  - delete broker transform shop-broker.1 (stage broker.1) through " + rp.admin.URL + "\n",
		"  - delete topic " + channels[0] + " (channel between stages) on " + rp.broker.Addrs()[0] + "\n",
		"  - remove the local run state " + runDir,
		"destroy keeps (it never deletes data the pipeline does not own):\n",
		"  - topic big-orders (sink)\n", "  - topic once-orders (sink)\n", "  - topic orders (source)\n", "  - topic shop.dlq (dead letters)\n",
		"Destroy complete.",
	}, outLacks: []string{"delete topic orders", "someone-elses"}}.verify(t, res)

	var left []string
	for _, tr := range rp.admin.Transforms() {
		left = append(left, tr.Name)
	}
	if diff := cmp.Diff([]string{"someone-elses"}, left); diff != "" {
		t.Errorf("transforms left (-want +got):\n%s", diff)
	}
	topics := rp.topics(t)
	for _, u := range userTopics {
		if !slices.Contains(topics, u) {
			t.Errorf("destroy deleted the user's topic %s", u)
		}
	}
	for _, c := range channels {
		if slices.Contains(topics, c) {
			t.Errorf("channel topic %s is still there", c)
		}
	}
	if _, err := os.Stat(runDir); err == nil {
		t.Error("the local run state is still there")
	}
	after, err := state.Read(state.Dir(dir))
	if err != nil || after == nil || after.Serial != 5 || len(after.Stages)+len(after.Topics)+len(after.ChannelTopics) != 0 {
		t.Errorf("state after destroy = %+v, %v; want serial 5 and nothing deployed", after, err)
	}

	check{outHas: []string{"Nothing to destroy"}}.verify(t, runEnv(t, "destroy", "-auto-approve", dir))
}

func TestDestroyAfterTheEmbeddedBroker(t *testing.T) {
	dir := copySpec(t, "local")
	check{}.verify(t, run(t, nil, "", "apply", "-auto-approve", dir))
	// The spec may be gone: nothing needs its settings.
	if err := os.Remove(filepath.Join(dir, "local.hcl")); err != nil {
		t.Fatal(err)
	}
	res := run(t, nil, "", "destroy", "-auto-approve", dir)
	check{outHas: []string{
		"The last apply ran on the embedded broker, which stopped when apply exited:",
		"destroy only clears the local state.",
		"clear the state file " + filepath.Join(state.Dir(dir), "state.json"),
		"Destroy complete.",
	}, outLacks: []string{"delete topic", "delete broker transform"}}.verify(t, res)
	st, err := state.Read(state.Dir(dir))
	if err != nil || st == nil || len(st.Stages) != 0 || st.Serial != 2 {
		t.Errorf("state after destroy = %+v, %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(state.Dir(dir), "run")); err == nil {
		t.Error("the local run state is still there")
	}
}

func TestRunLeavesDeployedTransformsToRedpanda(t *testing.T) {
	for _, tt := range []struct {
		name, spec string
		want       []string
	}{
		{"admin_url: Redpanda runs the broker stage", fmt.Sprintf(redpandaSpec, "localhost:9092", "http://localhost:9644") + ordersChain, nil},
		{"no admin_url: this process hosts it", strings.Replace(fmt.Sprintf(redpandaSpec, "localhost:9092", "http://localhost:9644"), "admin_url", "# admin_url", 1) + ordersChain, []string{"broker.source.orders"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeSpec(t, tt.spec)
			ld, diags := (&Meta{Env: []string{"ADMIN_PASSWORD=pw"}}).loadAndPlan(dir, &varFlags{})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			var got []string
			for _, s := range localPart(ld.plan).Stages {
				got = append(got, s.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stages run here (-want +got):\n%s", diff)
			}
			if len(ld.plan.Stages) != 1 {
				t.Errorf("localPart changed the plan itself: %v", ld.plan.Stages)
			}
		})
	}
}
