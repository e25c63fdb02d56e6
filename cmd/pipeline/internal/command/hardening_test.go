package command

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/runtime/embedded"
)

// TestPlanAndApplyRefuseAnUnreadableState: a damaged or newer state file
// is never taken for "nothing applied" (issue 17, item 4).
func TestPlanAndApplyRefuseAnUnreadableState(t *testing.T) {
	tests := map[string]struct {
		body   string
		errHas string
	}{
		"garbage":       {body: "\x00garbage", errHas: "invalid character"},
		"truncated":     {body: `{"format_version": "1", "serial": 3, "stag`, errHas: "unexpected end of JSON input"},
		"newer version": {body: `{"format_version": "99", "serial": 3}`, errHas: `format_version "99", this build reads 1 or 2`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := copySpec(t, "local")
			stFile := filepath.Join(state.Dir(dir), "state.json")
			if err := os.MkdirAll(filepath.Dir(stFile), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(stFile, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"plan", dir}, {"apply", "-auto-approve", dir}} {
				check{code: 1, errHas: []string{"Cannot use the state of the last apply", stFile, tt.errHas}}.verify(t, run(t, nil, "", args...))
			}
			if b, _ := os.ReadFile(stFile); string(b) != tt.body {
				t.Errorf("the state file was rewritten:\n%s", b)
			}
		})
	}
}

// TestApplyRemovesOrphanStateTemporaries: a Write killed before its rename
// leaves state-NNN.json behind; the next holder of the lock removes it.
func TestApplyRemovesOrphanStateTemporaries(t *testing.T) {
	dir := copySpec(t, "local")
	orphan := filepath.Join(state.Dir(dir), "state-123456.json")
	if err := os.MkdirAll(filepath.Dir(orphan), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(orphan, []byte(`{"format_version": "1"`), 0o600); err != nil {
		t.Fatal(err)
	}
	check{outHas: []string{"Apply complete."}}.verify(t, run(t, nil, "", "apply", "-auto-approve", dir))
	if _, err := os.Stat(orphan); err == nil {
		t.Errorf("%s is still there", orphan)
	}
}

// TestBlockingPathsAreRefused: a spec, variable file, cost profile or plan
// file that is a FIFO or a device hung the CLI; every file the CLI reads
// must be a regular file (issue 17, item 10).
func TestBlockingPathsAreRefused(t *testing.T) {
	dir := copySpec(t, "local")
	fifo := filepath.Join(t.TempDir(), "fifo.hcl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zeroDir := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(zeroDir, "main.hcl")); err != nil {
		t.Fatal(err)
	}
	fifoPlan := filepath.Join(t.TempDir(), "fifo.plan")
	if err := syscall.Mkfifo(fifoPlan, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		errHas string
	}{
		{[]string{"validate", zeroDir}, "not a regular file (a character device)"},
		{[]string{"plan", zeroDir}, "not a regular file (a character device)"},
		{[]string{"graph", zeroDir}, "not a regular file (a character device)"},
		{[]string{"validate", fifo}, "not a regular file (a FIFO)"},
		{[]string{"plan", fifo}, "not a regular file (a FIFO)"},
		{[]string{"graph", fifo}, "not a regular file (a FIFO)"},
		{[]string{"validate", "-var-file", fifo, dir}, "not a regular file (a FIFO)"},
		{[]string{"plan", "-cost-profile", fifo, dir}, "not a regular file (a FIFO)"},
		{[]string{"show", fifoPlan}, "not a regular file (a FIFO)"},
		{[]string{"apply", "-auto-approve", fifoPlan}, "not a regular file (a FIFO)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			check{code: 1, errHas: []string{tt.errHas}}.verify(t, run(t, nil, "", tt.args...))
		})
	}
}

// TestApplyRefusesAModifiedPlan: apply trusted a saved plan's body as long
// as its spec_hash matched; now the whole plan must be the one its spec
// gives (issue 17, item 14).
func TestApplyRefusesAModifiedPlan(t *testing.T) {
	operator := func(p map[string]any, id string) map[string]any {
		for _, o := range p["pipeline"].(map[string]any)["operators"].([]any) {
			if o := o.(map[string]any); o["id"] == id {
				return o
			}
		}
		t.Fatalf("no operator %s in the plan", id)
		return nil
	}
	tests := map[string]func(p map[string]any, dir string){
		"a filter's where set to true": func(p map[string]any, _ string) {
			operator(p, "filter.big")["filter"].(map[string]any)["where"].(map[string]any)["source"] = "true"
		},
		"a sink pointed at another file": func(p map[string]any, dir string) {
			operator(p, "sink.all")["sink"].(map[string]any)["file"] = filepath.Join(dir, "elsewhere.jsonl")
		},
		"stages set to null":    func(p map[string]any, _ string) { p["stages"] = nil },
		"spec_path removed":     func(p map[string]any, _ string) { delete(p, "spec_path") },
		"a stage's backend":     func(p map[string]any, _ string) { p["stages"].([]any)[0].(map[string]any)["backend"] = "beam" },
		"the pipeline's name":   func(p map[string]any, _ string) { p["pipeline"].(map[string]any)["name"] = "other" },
		"the dead-letter topic": func(p map[string]any, _ string) { p["pipeline"].(map[string]any)["dead_letter_topic"] = "orders" },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			dir := copySpec(t, "local")
			planFile := filepath.Join(t.TempDir(), "local.plan")
			check{}.verify(t, run(t, nil, "", "plan", "-out", planFile, dir))
			b, err := os.ReadFile(planFile)
			if err != nil {
				t.Fatal(err)
			}
			var p map[string]any
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			edit(p, dir)
			if b, err = json.Marshal(p); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(planFile, b, 0o600); err != nil {
				t.Fatal(err)
			}
			check{code: 1, errHas: []string{"the saved plan was modified"}}.verify(t, run(t, nil, "", "apply", "-auto-approve", planFile))
			if _, err := os.Stat(filepath.Join(state.Dir(dir), "state.json")); err == nil {
				t.Error("a refused apply wrote state")
			}
		})
	}
}

// TestApplyDetectsASASLMismatch: a sasl block pointed at a broker without
// SASL retried for 25-31 s and then said "create topics: EOF"; now apply
// says what is wrong within the connect timeout (issue 17, item 15).
func TestApplyDetectsASASLMismatch(t *testing.T) {
	b, err := embedded.Start(context.Background()) // kfake, no SASL
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	dir := t.TempDir()
	spec := fmt.Sprintf(`pipeline "p" {}
broker "main" {
  brokers = [%q]
  sasl {
    mechanism = "SCRAM-SHA-512"
    username  = "svc"
    password  = "hunter22"
  }
}
source "in" {
  topic  = "in"
  schema = object({ id = string })
}
sink "out" {
  input = source.in
  topic = "out"
}
`, b.Addrs()[0])
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := run(t, nil, "", "apply", "-auto-approve", "-exit-when-idle", "1s", dir)
	check{code: 1, errHas: []string{"accepts connections without SASL: this listener does not use SASL"}}.verify(t, res)
	if strings.Contains(res.stderr, "hunter22") {
		t.Errorf("the password is in the output:\n%s", res.stderr)
	}
	if d := time.Since(start); d > connectTimeout+5*time.Second {
		t.Errorf("took %s, more than the connect timeout %s", d, connectTimeout)
	}
}
