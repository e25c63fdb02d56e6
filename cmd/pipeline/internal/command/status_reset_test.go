package command

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/runtime/control"
)

// TestStatusSaysStateReset: a stage that started partition groups with
// empty state under -reset-state says so in `pipeline status`, and one that
// did not says nothing about it.
func TestStatusSaysStateReset(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		resets int64
		want   string
	}{
		{0, ""},
		{2, "STATE RESET: 2 partition groups started with empty state (-reset-state)"},
	} {
		var out bytes.Buffer
		c := &StatusCommand{&Meta{Stdout: &out}}
		c.writeStatus(statusJSON{Pipeline: "p", Workers: []workerStatus{{
			Worker: "w1", Host: "h", Live: true, ReportedAt: now,
			Pipeline: &control.PipelineStatus{Name: "p", Version: 1, Running: 1, State: "running", Stages: []control.StageStatus{
				{ID: "native.1", Identity: "native.aggregate.a", State: "running", StateResets: tt.resets},
			}},
		}}}, now)
		got := out.String()
		if tt.want == "" && strings.Contains(got, "STATE RESET") || !strings.Contains(got, tt.want) {
			t.Errorf("status with %d resets:\n%s\nwant %q", tt.resets, got, tt.want)
		}
	}
}
