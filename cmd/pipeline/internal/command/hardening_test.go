package command

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
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
		"newer version": {body: `{"format_version": "99", "serial": 3}`, errHas: `format_version "99", this build reads "1"`},
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
