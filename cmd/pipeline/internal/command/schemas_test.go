package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-compiler/pipeline/internal/schemalock"
	"github.com/pipeline-compiler/pipeline/internal/srtest"
)

const (
	ordersV1 = `{"type":"object","required":["id","amount"],"properties":{"id":{"type":"string"},"amount":{"type":"number"}}}`
	ordersV2 = `{"type":"object","required":["id","amount"],"properties":{"id":{"type":"string"},"amount":{"type":"number"},"note":{"type":"string"}}}`
)

// schemaSpec writes a spec with a json_schema source and sink against the
// registry at url, and returns its directory.
func schemaSpec(t *testing.T, url, sinkField string) string {
	t.Helper()
	dir := t.TempDir()
	spec := `pipeline "orders" {}
schema_registry "main" {
  url      = "` + url + `"
  username = "svc"
  password = env("SR_PASSWORD")
}
source "orders" {
  topic          = "orders"
  format         = "json_schema"
  schema_subject = "orders-value"
}
map "revenue" {
  input  = source.orders
  fields = { customer = record.id, total = ` + sinkField + ` }
}
sink "revenue" {
  input  = map.revenue
  topic  = "revenue"
  format = "json_schema"
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runSR(t *testing.T, env []string, args ...string) result {
	t.Helper()
	var out, errb strings.Builder
	code := Run(args, &Meta{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Env: env, Version: "v-test"})
	return result{out.String(), errb.String(), code}
}

func TestSchemasPullThenOfflineValidate(t *testing.T) {
	sr := srtest.New(t)
	sr.Username, sr.Password = "svc", "pw"
	sr.Register("orders-value", "JSON", ordersV1)
	env := []string{"HOME=/nonexistent", "SR_PASSWORD=pw"}
	dir := schemaSpec(t, sr.URL, "record.amount")

	// Before pulling, validate says what to do.
	got := runSR(t, env, "validate", dir)
	if got.code != 1 || !strings.Contains(got.stderr, "pipeline schemas pull") {
		t.Fatalf("validate without a lock file: code %d\n%s", got.code, got.stderr)
	}
	got = runSR(t, env, "schemas", "pull", dir)
	if got.code != 0 {
		t.Fatalf("schemas pull: code %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	for _, want := range []string{"main/orders-value: pinned version 1 (id 1)", "main/revenue-value: pinned not registered yet"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("schemas pull output lacks %q:\n%s", want, got.stdout)
		}
	}
	lockBytes, err := os.ReadFile(filepath.Join(dir, schemalock.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(lockBytes), "pw") && strings.Contains(string(lockBytes), `"pw"`) {
		t.Error("the lock file contains the registry password")
	}
	if got := runSR(t, env, "schemas", "pull", dir); !strings.Contains(got.stdout, "up to date") {
		t.Errorf("a second pull: %s", got.stdout)
	}

	// validate is offline: no request reaches the registry.
	before := sr.Requests.Load()
	if got := runSR(t, env, "validate", dir); got.code != 0 {
		t.Fatalf("validate with the lock file: code %d\n%s", got.code, got.stderr)
	}
	if n := sr.Requests.Load() - before; n != 0 {
		t.Errorf("validate made %d registry requests", n)
	}

	// A newer version in the registry: plan warns, the pin stays.
	sr.Register("orders-value", "JSON", ordersV2)
	got = runSR(t, env, "plan", dir)
	if got.code != 0 || !strings.Contains(got.stderr, "registry's latest is version 2") {
		t.Errorf("plan with a stale pin: code %d\n%s", got.code, got.stderr)
	}
	if strings.Contains(got.stdout+got.stderr, "=pw") || strings.Contains(got.stdout, `"pw"`) {
		t.Error("plan output shows the registry password")
	}
}

func TestPlanRejectsBreakingSinkSchema(t *testing.T) {
	sr := srtest.New(t)
	sr.Register("orders-value", "JSON", ordersV1)
	// revenue-value version 1 has a numeric total.
	sr.Register("revenue-value", "JSON", `{"type":"object","properties":{"customer":{"type":["string","null"]},"total":{"type":["number","null"]}}}`)
	env := []string{"HOME=/nonexistent", "SR_PASSWORD=pw"}
	dir := schemaSpec(t, sr.URL, "record.id") // total becomes a string
	if got := runSR(t, env, "schemas", "pull", dir); got.code != 0 {
		t.Fatalf("schemas pull: %s", got.stderr)
	}
	got := runSR(t, env, "plan", dir)
	want := "sink.revenue: field total changed from number to string: not BACKWARD compatible with revenue-value version 1"
	if got.code != 1 || !strings.Contains(got.stderr, want) || !strings.Contains(got.stderr, "main.hcl:16") {
		t.Errorf("plan: code %d, want 1 and %q at main.hcl:16\n%s", got.code, want, got.stderr)
	}
}

func TestPipelineTestWithJSONSchemaSource(t *testing.T) {
	sr := srtest.New(t)
	sr.Register("orders-value", "JSON", ordersV1)
	env := []string{"HOME=/nonexistent", "SR_PASSWORD=pw"}
	dir := schemaSpec(t, sr.URL, "record.amount")
	tests := `test "revenue" {
  given "source.orders" {
    records = [
      { id = "a", amount = 150 },
      { id = "b", amount = "100" }, # drifted: a string; coerce is off
    ]
  }
  expect "sink.revenue" {
    records = [{ customer = "a", total = 150 }]
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "tests.hcl"), []byte(tests), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runSR(t, env, "schemas", "pull", dir); got.code != 0 {
		t.Fatalf("schemas pull: %s", got.stderr)
	}
	before := sr.Requests.Load()
	got := runSR(t, env, "test", dir)
	if got.code != 0 {
		t.Fatalf("pipeline test: code %d\n%s\n%s", got.code, got.stdout, got.stderr)
	}
	// The test passes only if record b, whose amount drifted to a string,
	// was dead-lettered rather than converted and written.
	if n := sr.Requests.Load() - before; n != 0 {
		t.Errorf("pipeline test made %d registry requests", n)
	}
}
