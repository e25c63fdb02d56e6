package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/backends/broker"
	"github.com/pipeline-compiler/pipeline/ir"
)

// Secrets of secretsSpec. The broker stage reads var.min and local.region;
// no artifact may hold any of them.
const (
	secretSASL   = "kafka-pw-3e71c0"
	secretUnused = "unused-var-9d1f44"
	secretToken  = "api-token-55e0a2"
	secretRegion = "region-eu-7b3c19"
	secretMin    = "104729" // var.min, a sensitive number
)

// secretsSpec is mixedSpec with secrets: the SASL password and an unused
// env() local and sensitive variable, and a sensitive variable and env()
// local that the broker stage reads.
var secretsSpec = mustReplace(fmt.Sprintf(mixedSpec, "64MiB"),
	`password  = "hunter2-pw"`, `password  = env("KAFKA_PASSWORD")`,
	`source "orders" {`, `variable "unused" {
  type      = string
  sensitive = true
  default   = "`+secretUnused+`"
}

variable "min" {
  type      = number
  sensitive = true
  default   = `+secretMin+`
}

locals {
  token  = env("API_TOKEN")
  region = env("REGION")
}

source "orders" {`,
	`where   = record.amount >= 100`, `where   = record.amount >= var.min`,
	`fields  = { id = record.id, amount = record.amount }`, `fields  = { id = record.id, amount = record.amount, region = local.region }`)

// mustReplace replaces each old with its new in s, once; each must occur.
func mustReplace(s string, oldNew ...string) string {
	for i := 0; i < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			panic(fmt.Sprintf("spec lacks %q", oldNew[i]))
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	return s
}

var secretsEnv = []string{"HOME=/nonexistent", "KAFKA_PASSWORD=" + secretSASL, "API_TOKEN=" + secretToken, "REGION=" + secretRegion}

func runWithEnv(env []string, args ...string) result {
	var out, errb strings.Builder
	code := Run(args, &Meta{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Env: env, Version: "v-test"})
	return result{out.String(), errb.String(), code}
}

// holdsSecret names the secret b holds, or "".
func holdsSecret(b []byte, secrets ...string) string {
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			return s
		}
	}
	return ""
}

// TestCompiledArtifactsHoldNoSecret: compile's files (module, its
// configuration, transform.yaml, stage.json) hold no secret, and are
// written 0600 in 0700 directories, also over files an earlier compile
// left world-readable (issue 17, item 12).
func TestCompiledArtifactsHoldNoSecret(t *testing.T) {
	dir := writeSpec(t, secretsSpec)
	out := filepath.Join(t.TempDir(), "out")
	// A file from an earlier compile, readable by all.
	if err := os.MkdirAll(filepath.Join(out, "native.dedupe.once"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "native.dedupe.once", "stage.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res := runWithEnv(secretsEnv, "compile", "-o", out, dir)
	if res.code != 0 {
		t.Fatalf("compile: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	all := []string{secretSASL, secretUnused, secretToken, secretRegion, secretMin}
	files := 0
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != out && info.Mode().Perm() != 0o700 {
				t.Errorf("%s: mode %v, want 0700", path, info.Mode().Perm())
			}
			return nil
		}
		files++
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", path, info.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if s := holdsSecret(b, all...); s != "" {
			t.Errorf("%s holds secret %s", path, s)
		}
		if strings.HasSuffix(path, ".wasm") {
			cfg, err := broker.ConfigJSON(b)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if s := holdsSecret(cfg, all...); s != "" {
				t.Errorf("%s: the module's configuration holds secret %s", path, s)
			}
			if !bytes.Contains(cfg, []byte(`"min"`)) || !bytes.Contains(cfg, []byte(`"region"`)) || bytes.Contains(cfg, []byte(`"unused"`)) || bytes.Contains(cfg, []byte(`"token"`)) {
				t.Errorf("%s: the module's configuration should name var.min and local.region and nothing else:\n%s", path, cfg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 3 {
		t.Errorf("compile wrote %d files, want 3 (module, transform.yaml, stage.json)", files)
	}
	if s := holdsSecret([]byte(res.stdout+res.stderr), all...); s != "" {
		t.Errorf("compile printed secret %s", s)
	}
}

// TestPlanSaysHowSecretsTravel: plan names, for the broker stage, the
// sensitive values that reach it through the transform's environment, in
// its text and in -json (secret_env), without their values.
func TestPlanSaysHowSecretsTravel(t *testing.T) {
	dir := writeSpec(t, secretsSpec)
	want := []ir.SecretEnv{{Value: "local.region", Env: "PIPELINE_SECRET_LOCAL_region"}, {Value: "var.min", Env: "PIPELINE_SECRET_VAR_min"}}
	res := runWithEnv(secretsEnv, "plan", dir)
	check{code: 0, outHas: []string{
		"note:      module shop-broker.source.orders.wasm: sensitive local.region reaches the transform through its environment (PIPELINE_SECRET_LOCAL_region)",
		"note:      module shop-broker.source.orders.wasm: sensitive var.min reaches the transform through its environment (PIPELINE_SECRET_VAR_min)",
	}}.verify(t, res)
	res = runWithEnv(secretsEnv, "plan", "-json", dir)
	if res.code != 0 {
		t.Fatalf("plan -json: exit %d\n%s", res.code, res.stderr)
	}
	var p struct {
		Stages []struct {
			ID        string         `json:"id"`
			SecretEnv []ir.SecretEnv `json:"secret_env"`
		} `json:"stages"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &p); err != nil {
		t.Fatal(err)
	}
	got := map[string][]ir.SecretEnv{}
	for _, st := range p.Stages {
		got[st.ID] = st.SecretEnv
	}
	if d := cmp.Diff(map[string][]ir.SecretEnv{"broker.source.orders": want, "native.dedupe.once": nil}, got); d != "" {
		t.Errorf("secret_env per stage (-want +got):\n%s", d)
	}
	for _, r := range []result{res, runWithEnv(secretsEnv, "plan", dir)} {
		if s := holdsSecret([]byte(r.stdout+r.stderr), secretSASL, secretUnused, secretToken, secretRegion); s != "" {
			t.Errorf("plan printed secret %s", s)
		}
	}
}

// TestApplyDeploysSecretsInTheEnvironment: apply's deploy request carries
// the module without secrets, and the sensitive values the stage reads in
// the transform's environment.
func TestApplyDeploysSecretsInTheEnvironment(t *testing.T) {
	rp := newRedpanda(t)
	chain := strings.Replace(ordersChain, "filter \"big\" {", "variable \"unused\" {\n  type = string\n  sensitive = true\n  default = \""+secretUnused+"\"\n}\n\nvariable \"code\" {\n  type = string\n  sensitive = true\n  default = \"code-1f8e\"\n}\n\nfilter \"big\" {", 1)
	chain = strings.Replace(chain, "where = record.amount >= var.min_amount", "where = record.amount >= var.min_amount && record.id != var.code", 1)
	dir := writeSpec(t, rp.spec(chain))
	res := runWithEnv([]string{"HOME=/nonexistent", "ADMIN_PASSWORD=pw-from-env"}, "apply", "-auto-approve", dir)
	if res.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	trs := rp.admin.Transforms()
	if len(trs) != 1 {
		t.Fatalf("%d transforms deployed, want 1", len(trs))
	}
	cfg, err := broker.ConfigJSON(trs[0].Module)
	if err != nil {
		t.Fatal(err)
	}
	if s := holdsSecret(append(trs[0].Module, cfg...), secretUnused, "code-1f8e", "pw-from-env"); s != "" {
		t.Errorf("the deployed module holds secret %s", s)
	}
	if got := trs[0].Environment["PIPELINE_SECRET_VAR_code"]; got != `"code-1f8e"` {
		t.Errorf("transform environment PIPELINE_SECRET_VAR_code = %q, want %q; environment: %v", got, `"code-1f8e"`, trs[0].Environment)
	}
	if _, ok := trs[0].Environment["PIPELINE_SECRET_VAR_unused"]; ok {
		t.Error("the environment carries var.unused, which the stage does not read")
	}
	if s := holdsSecret([]byte(res.stdout+res.stderr), secretUnused, "code-1f8e"); s != "" {
		t.Errorf("apply printed secret %s", s)
	}
}
