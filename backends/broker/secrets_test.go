package broker

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// Secrets of secretSpec: none may appear in a module.
const (
	saslPassword  = "sasl-pw-0c9e41d2"
	unusedVar     = "unused-var-7f3a55b1"
	unusedEnv     = "unused-env-local-2d8c"
	blockedUser   = "blocked-user-5c1d93"
	blockedPrefix = "zz-prefix-b7e2"
)

// secretSpec reads two sensitive values in a broker filter (a sensitive
// variable and an env() local) and has three it does not read: the SASL
// password, a sensitive variable, an env() local.
const secretSpec = `
pipeline "sec" {}
broker "main" {
  brokers = ["localhost:9092"]
  sasl {
    mechanism = "SCRAM-SHA-512"
    username  = "svc"
    password  = env("KAFKA_PASSWORD")
  }
}
backend "broker" {}
variable "unused" {
  type      = string
  sensitive = true
  default   = "` + unusedVar + `"
}
variable "blocked" {
  type      = string
  sensitive = true
  default   = "` + blockedUser + `"
}
variable "plain" {
  type    = number
  default = 3
}
variable "plain_unused" {
  type    = number
  default = 4
}
locals {
  token          = env("API_TOKEN")
  blocked_prefix = env("BLOCKED_PREFIX")
}
source "in" {
  topic  = "in"
  format = "json"
  schema = object({ id = string, user = string, n = number })
}
filter "allowed" {
  input = source.in
  where = record.user != var.blocked && trimprefix(record.id, local.blocked_prefix) == record.id && record.n < var.plain
}
sink "out" {
  input = filter.allowed
  topic = "out"
}
test "blocked users and prefixes are dropped" {
  given "source.in" {
    records = [
      { id = "a1", user = "ann", n = 1 },
      { id = "a2", user = "` + blockedUser + `", n = 1 },
      { id = "` + blockedPrefix + `-3", user = "bob", n = 1 },
      { id = "a4", user = "cy", n = 5 },
    ]
  }
  expect "sink.out" {
    records = [{ id = "a1", user = "ann", n = 1 }]
  }
}
`

func loadSecretSpec(t *testing.T) *ir.Pipeline {
	t.Helper()
	res, diags := lang.LoadFiles(map[string][]byte{"main.hcl": []byte(secretSpec)}, lang.Options{Env: []string{
		"KAFKA_PASSWORD=" + saslPassword, "API_TOKEN=" + unusedEnv, "BLOCKED_PREFIX=" + blockedPrefix,
	}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return res.Pipeline
}

// TestModuleHoldsNoSecret: a module carries only the constants its stage
// reads, and no sensitive one, in its bytes or its configuration; the
// sensitive values it reads go into the transform's environment, which
// Describe reports on the stage (issue 17, item 12).
func TestModuleHoldsNoSecret(t *testing.T) {
	p := singleStagePlan(loadSecretSpec(t), ir.BackendBroker)
	a, err := Compile(p, "s0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigJSON(a.Module())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{saslPassword, unusedVar, unusedEnv, blockedUser, blockedPrefix} {
		if bytes.Contains(a.Module(), []byte(s)) || bytes.Contains(cfg, []byte(s)) {
			t.Errorf("the module holds secret %q", s)
		}
	}
	// Only the constants the filter reads, the sensitive ones without
	// their values.
	c := reservedConfig(t, a.Module())
	got := map[string]string{}
	for scope, m := range map[string]map[string]ir.Const{"var": c.Plan.Pipeline.Vars, "local": c.Plan.Pipeline.Locals} {
		for k, v := range m {
			got[scope+"."+k] = v.Value.GoString()
		}
	}
	want := map[string]string{"var.plain": "cty.NumberIntVal(3)", "var.blocked": "cty.NullVal(cty.String)", "local.blocked_prefix": "cty.NullVal(cty.String)"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("constants in the module (-want +got):\n%s", d)
	}
	wantEnv := map[string]string{"PIPELINE_NAME": "sec", "PIPELINE_STAGE": "broker.source.in",
		"PIPELINE_SECRET_VAR_blocked": `"` + blockedUser + `"`, "PIPELINE_SECRET_LOCAL_blocked_prefix": `"` + blockedPrefix + `"`}
	if d := cmp.Diff(wantEnv, a.Env); d != "" {
		t.Errorf("transform environment (-want +got):\n%s", d)
	}
	wantSE := []ir.SecretEnv{{Value: "local.blocked_prefix", Env: "PIPELINE_SECRET_LOCAL_blocked_prefix"}, {Value: "var.blocked", Env: "PIPELINE_SECRET_VAR_blocked"}}
	Describe(p, []*Artifact{a})
	if d := cmp.Diff(wantSE, p.Stages[0].SecretEnv); d != "" {
		t.Errorf("stage's secret_env (-want +got):\n%s", d)
	}
	if n := strings.Join(p.Stages[0].Notes, "\n"); !strings.Contains(n, "sensitive var.blocked reaches the transform through its environment (PIPELINE_SECRET_VAR_blocked)") {
		t.Errorf("notes do not say how var.blocked travels:\n%s", n)
	}
	// rpk's project file names the variables, not their values.
	y := string((TransformFile{TransformMetadata: a.Metadata(), SecretEnv: a.SecretEnv()}).YAML())
	if strings.Contains(y, blockedUser) || strings.Contains(y, blockedPrefix) || !strings.Contains(y, "--var PIPELINE_SECRET_VAR_blocked=") {
		t.Errorf("transform.yaml:\n%s", y)
	}
}

// TestSecretThroughEnvironment runs the spec's test block through the
// module in the WebAssembly host: the filter drops the blocked user and
// prefix, which the module can only know from its environment.
func TestSecretThroughEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: compiling the transform module takes seconds")
	}
	p := loadSecretSpec(t)
	runner := NewTestRunner()
	defer runner.Close(context.Background())
	r, err := testrun.Run(p, p.Tests[0], testrun.WithRunner(runner))
	if err != nil {
		t.Fatal(err)
	}
	if r.Skipped != "" {
		t.Fatalf("skipped: %s", r.Skipped)
	}
	for _, f := range r.Failures {
		t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
	}
}

// TestSecretTooLargeForEnvironment: a sensitive value beyond the
// transform environment's limits is refused at compile time, naming it.
func TestSecretTooLargeForEnvironment(t *testing.T) {
	dir := t.TempDir()
	spec := strings.Replace(secretSpec, `env("BLOCKED_PREFIX")`, `"`+strings.Repeat("x", 3000)+`"`, 1)
	spec = strings.Replace(spec, "locals {", "variable \"big\" {\n  type = string\n  sensitive = true\n  default = \""+strings.Repeat("y", 3000)+"\"\n}\nlocals {", 1)
	spec = strings.Replace(spec, "record.n < var.plain", "record.n < var.plain && record.user != var.big", 1)
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	res, diags := lang.Load(dir, lang.Options{Env: []string{"KAFKA_PASSWORD=x", "API_TOKEN=y"}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	_, err := Compile(singleStagePlan(res.Pipeline, ir.BackendBroker), "s0")
	if err == nil || !strings.Contains(err.Error(), "var.big") || strings.Contains(err.Error(), "yyyy") {
		t.Errorf("err = %v, want the environment's limit, naming var.big without its value", err)
	}
}
