package broker

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/pipeline-compiler/pipeline/backends/broker/admintest"
	"github.com/pipeline-compiler/pipeline/ir"
)

// fakeArtifact is an artifact with a tiny module whose digest is sha.
func fakeArtifact(name, sha string, outputs ...string) *Artifact {
	return &Artifact{Name: name, Stage: "broker." + name, InputTopic: "in", OutputTopics: outputs,
		Env: map[string]string{"PIPELINE_STAGE": name}, module: wasm, sha256: sha}
}

func TestDiff(t *testing.T) {
	running := func(name string, outputs ...string) Transform {
		return Transform{Name: name, InputTopic: "in", OutputTopics: outputs, Environment: map[string]string{"PIPELINE_STAGE": name}}
	}
	type row struct{ Action, Name, Why string }
	tests := []struct {
		name string
		want []*Artifact
		prev []Deployed
		live []Transform
		rows []row
	}{{
		name: "first apply",
		want: []*Artifact{fakeArtifact("a", "aaaa", "o")},
		rows: []row{{"create", "a", "new"}},
	}, {
		name: "nothing changed",
		want: []*Artifact{fakeArtifact("a", "aaaa", "o", "dlq")},
		prev: []Deployed{{Stage: "broker.a", Name: "a", SHA256: "aaaa"}},
		live: []Transform{running("a", "dlq", "o")},
		rows: []row{{"unchanged", "a", "sha256 aaaa"}},
	}, {
		name: "the module changed",
		want: []*Artifact{fakeArtifact("a", "bbbb", "o")},
		prev: []Deployed{{Name: "a", SHA256: "aaaa"}},
		live: []Transform{running("a", "o")},
		rows: []row{{"update", "a", "module changed (sha256 aaaa → bbbb)"}},
	}, {
		name: "someone deleted it",
		want: []*Artifact{fakeArtifact("a", "aaaa", "o")},
		prev: []Deployed{{Name: "a", SHA256: "aaaa"}},
		rows: []row{{"create", "a", "the last apply deployed it, but the cluster does not have it"}},
	}, {
		name: "someone changed its topics",
		want: []*Artifact{fakeArtifact("a", "aaaa", "o")},
		prev: []Deployed{{Name: "a", SHA256: "aaaa"}},
		live: []Transform{running("a", "other")},
		rows: []row{{"update", "a", "the cluster runs it with other topics"}},
	}, {
		name: "someone changed its environment",
		want: []*Artifact{fakeArtifact("a", "aaaa", "o")},
		prev: []Deployed{{Name: "a", SHA256: "aaaa"}},
		live: []Transform{{Name: "a", InputTopic: "in", OutputTopics: []string{"o"}}},
		rows: []row{{"update", "a", "the cluster runs it with another environment"}},
	}, {
		name: "a transform of the same name the state does not know",
		want: []*Artifact{fakeArtifact("a", "aaaa", "o")},
		live: []Transform{running("a", "o")},
		rows: []row{{"update", "a", "the cluster has a transform of this name that the last apply did not record"}},
	}, {
		name: "a stage went away; others' transforms are left alone",
		want: []*Artifact{fakeArtifact("a", "aaaa", "o")},
		prev: []Deployed{{Name: "a", SHA256: "aaaa"}, {Stage: "broker.2", Name: "b", SHA256: "bbbb"}, {Name: "c", SHA256: "cccc"}},
		live: []Transform{running("a", "o"), running("b", "o"), running("someone-elses", "x")},
		rows: []row{
			{"unchanged", "a", "sha256 aaaa"},
			{"delete", "b", "no longer in the plan"},
			{"delete", "c", "no longer in the plan (the cluster no longer has it)"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []row
			for _, c := range Diff(tt.want, tt.prev, tt.live) {
				got = append(got, row{string(c.Action), c.Name, c.Why})
			}
			if diff := cmp.Diff(tt.rows, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReconcileAgainstTheFakeAdminAPI(t *testing.T) {
	srv := admintest.NewServer(t)
	c, err := NewAdminClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// apply runs List, Diff, Reconcile, and records what it deployed.
	apply := func(want []*Artifact, prev []Deployed) ([]string, []Deployed) {
		t.Helper()
		live, err := c.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var did []string
		err = Reconcile(ctx, c, Diff(want, prev, live), func(ch Change) { did = append(did, fmt.Sprintf("%s %s", ch.Action, ch.Name)) })
		if err != nil {
			t.Fatal(err)
		}
		var next []Deployed
		for _, a := range want {
			next = append(next, Deployed{Stage: a.Stage, Name: a.Name, SHA256: a.SHA256()})
		}
		return did, next
	}
	steps := []struct {
		name    string
		want    []*Artifact
		did     []string
		posts   int
		deletes int
	}{
		{"first apply deploys", []*Artifact{fakeArtifact("a", "aaaa", "o"), fakeArtifact("b", "bbbb", "o")}, []string{"create a", "create b"}, 2, 0},
		{"same plan: nothing is redeployed", []*Artifact{fakeArtifact("a", "aaaa", "o"), fakeArtifact("b", "bbbb", "o")}, []string{"unchanged a", "unchanged b"}, 2, 0},
		{"a changed module is redeployed", []*Artifact{fakeArtifact("a", "a222", "o"), fakeArtifact("b", "bbbb", "o")}, []string{"update a", "unchanged b"}, 3, 0},
		{"a removed stage is deleted", []*Artifact{fakeArtifact("a", "a222", "o")}, []string{"unchanged a", "delete b"}, 3, 1},
	}
	var prev []Deployed
	for _, s := range steps {
		var did []string
		did, prev = apply(s.want, prev)
		if diff := cmp.Diff(s.did, did); diff != "" {
			t.Errorf("%s: changes (-want +got):\n%s", s.name, diff)
		}
		if got := srv.Count("POST"); got != s.posts {
			t.Errorf("%s: %d deploy requests in all, want %d", s.name, got, s.posts)
		}
		if got := srv.Count("DELETE"); got != s.deletes {
			t.Errorf("%s: %d delete requests in all, want %d", s.name, got, s.deletes)
		}
	}
	if got := srv.Transforms(); len(got) != 1 || got[0].Name != "a" {
		t.Errorf("the cluster runs %+v, want only a", got)
	}

	t.Run("a failure stops and says what the server said", func(t *testing.T) {
		srv.FailNext("POST", 500)
		err := Reconcile(ctx, c, []Change{{Action: Create, Name: "x", Artifact: fakeArtifact("x", "xxxx", "o")}}, nil)
		if err == nil || !strings.Contains(err.Error(), "injected failure 500") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestDescribeStatesModuleSizeAndMemory(t *testing.T) {
	pl := loadPipeline(t, "../../examples/lognorm")
	plan := singleStagePlan(pl, ir.BackendBroker)
	arts, err := CompileStages(plan)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].MemoryBytes <= DefaultMemoryLimit {
		t.Fatalf("artifacts %v: want one module needing more than 2 MiB", arts)
	}
	need := FormatSize(arts[0].MemoryBytes)
	tests := []struct {
		name   string
		limit  *ir.Const
		note   string
		warned bool
	}{
		{"memory_limit unset: Redpanda's 2 MiB default is too low", nil,
			"limit 2 MiB (Redpanda's default; memory_limit is not set): too low, see the warning", true},
		{"memory_limit too low", &ir.Const{Value: cty.StringVal("4MiB")}, "limit 4 MiB (memory_limit): too low, see the warning", true},
		{"memory_limit enough", &ir.Const{Value: cty.StringVal("1GiB")}, "limit 1 GiB (memory_limit)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := *plan
			st := *plan.Stages[0]
			st.Notes = append(st.Notes, Capabilities().Notes...)
			p.Stages = []*ir.Stage{&st}
			pcopy := *pl
			pcopy.Backends = []*ir.Backend{{Name: ir.BackendBroker, Range: blockRange}}
			if tt.limit != nil {
				pcopy.Backends[0].Attributes = map[string]ir.Const{"memory_limit": *tt.limit}
			}
			p.Pipeline = &pcopy
			diags := Describe(&p, arts)
			want := fmt.Sprintf("module %s.wasm: %s; needs %s of memory, %s",
				arts[0].Name, FormatSize(int64(len(arts[0].Module()))), need, tt.note)
			if diff := cmp.Diff([]string{want}, st.Notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
			if got := len(diags) > 0; got != tt.warned {
				t.Fatalf("warned = %v, want %v: %v", got, tt.warned, diags)
			}
			if tt.warned {
				d := diags[0]
				if d.Severity != hcl.DiagWarning || d.Subject == nil || d.Subject.Start.Line != blockRange.Start.Line {
					t.Errorf("diagnostic %+v: want a warning at the backend block", d)
				}
				if !strings.Contains(d.Detail, "needs "+need) || !strings.Contains(d.Detail, "data_transforms_per_function_memory_limit") {
					t.Errorf("detail %q does not state the need and the cluster property", d.Detail)
				}
			}
		})
	}
}

// TestStartOffsetFromSpec checks the deploy offset each start_from gives,
// written as rpk's --from-offset.
func TestStartOffsetFromSpec(t *testing.T) {
	pl := &ir.Pipeline{Operators: []*ir.Operator{
		{ID: "source.a", Kind: ir.KindSource, Source: &ir.Source{Topic: "a"}},
		{ID: "source.b", Kind: ir.KindSource, Source: &ir.Source{Topic: "b", StartFrom: "latest"}},
		{ID: "source.c", Kind: ir.KindSource, Source: &ir.Source{Topic: "c", StartFrom: "2026-01-01T00:00:01Z"}},
	}}
	for _, tt := range []struct{ stream, topic, want string }{
		{"source.a", "a", "+0"},
		{"source.b", "b", "-0"},
		{"source.c", "c", "@1767225601000"},
		{"filter.x", "p.filter.x", "+0"}, // a channel topic: from its start
	} {
		got, err := startOffset(pl, tt.stream, tt.topic)
		if err != nil {
			t.Fatalf("%s: %v", tt.stream, err)
		}
		if got.RPK() != tt.want {
			t.Errorf("%s: offset %s, want %s", tt.stream, got.RPK(), tt.want)
		}
	}
}

func TestTransformYAML(t *testing.T) {
	f := TransformFile{
		TransformMetadata: TransformMetadata{
			Name: "lognorm-broker.1", InputTopic: "raw-logs", OutputTopics: []string{"logs-errors", "lognorm.dlq"},
			Environment: map[string]string{"PIPELINE_STAGE": "broker.1", "PIPELINE_NAME": "lognorm", "ODD": "a: \"b\"\n#c"},
			From:        &StartOffset{Format: OffsetTimestamp, Value: 1767225600000},
		},
		Pipeline: "lognorm", Stage: "broker.1", MemoryBytes: 10 << 20,
	}
	want := `# Generated by pipeline compile: stage broker.1 of pipeline "lognorm". Do not edit;
# run pipeline compile again instead.
#
# Deploy from this directory with ` + "`rpk transform deploy`" + ` (it reads lognorm-broker.1.wasm).
# The module is pipeline's generic transform (standard Go, GOOS=wasip1) with
# this stage placed in it: do not run ` + "`rpk transform build`" + ` here. rpk requires
# a language it can build; the value below is only there to satisfy it.
# The module needs 10 MiB of memory: the cluster's
# data_transforms_per_function_memory_limit must be at least 10485760 bytes.
name: "lognorm-broker.1"
input-topic: "raw-logs"
output-topics:
  - "logs-errors"
  - "lognorm.dlq"
language: tinygo-no-goroutines
env:
  "ODD": "a: \"b\"\n#c"
  "PIPELINE_NAME": "lognorm"
  "PIPELINE_STAGE": "broker.1"
from-offset: "@1767225600000"
`
	if diff := cmp.Diff(want, string(f.YAML())); diff != "" {
		t.Errorf("transform.yaml (-want +got):\n%s", diff)
	}
}
