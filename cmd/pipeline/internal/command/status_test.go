package command

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/backends/beam/beamclient"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// fakeBeam is a pipeline-beam that speaks the protocol's state command:
// job j1 is RUNNING, any other job is unknown to the job service.
const fakeBeam = `#!/bin/sh
if [ "$1" = protocol ]; then echo %d; exit 0; fi
[ "$1" = state ] || { echo '{"event":"error","error":"unexpected command"}'; exit 0; }
read line
case "$line" in
*'"job_id":"j1"'*) echo '{"event":"ok","job_state":"RUNNING"}' ;;
*) echo '{"event":"error","error":"beam: state of job gone: not found"}' ;;
esac
`

// TestStatusShowsBeamJobs: status lists the beam jobs the last apply
// recorded with the job service's state, asked through pipeline-beam, and
// a job it cannot ask as unknown with the reason.
func TestStatusShowsBeamJobs(t *testing.T) {
	b := testkit.EmbeddedBroker(t)
	dir := t.TempDir()
	spec := fmt.Sprintf(`pipeline "clicks" {}
broker "main" {
  brokers = [%q]
}
source "clicks" {
  topic  = "clicks"
  format = "json"
  schema = object({ user = string })
}
sink "out" {
  input  = source.clicks
  topic  = "out"
  format = "json"
}
`, b.Addrs()[0])
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := state.Write(state.Dir(dir), &state.State{FormatVersion: state.FormatVersion, Serial: 1, Pipeline: "clicks", Stages: []state.Stage{
		{ID: "beam.1", Backend: "beam", BeamJob: &state.BeamJob{ID: "j1", Endpoint: "flink:8099", Runner: "flink"}},
		{ID: "beam.2", Backend: "beam", BeamJob: &state.BeamJob{ID: "gone", Endpoint: "flink:8099", Runner: "flink"}},
	}}); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "pipeline-beam")
	if err := os.WriteFile(bin, []byte(fmt.Sprintf(fakeBeam, beamclient.ProtocolVersion)), 0o700); err != nil {
		t.Fatal(err)
	}
	locator := &beamclient.Locator{Getenv: func(k string) string {
		if k == "PIPELINE_BEAM" {
			return bin
		}
		return ""
	}}
	status := func(args ...string) result {
		var out, errb strings.Builder
		code := Run(append([]string{"status"}, append(args, dir)...), &Meta{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
			Env: []string{"HOME=/nonexistent"}, Version: "v-test", BeamLocator: locator})
		return result{out.String(), errb.String(), code}
	}

	res := status("-json")
	if res.code != 0 {
		t.Fatalf("status -json: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	var got statusJSON
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("status -json: %v\n%s", err, res.stdout)
	}
	want := []beamJobInfo{
		{Stage: "beam.1", JobID: "j1", Runner: "flink", Endpoint: "flink:8099", State: "RUNNING"},
		{Stage: "beam.2", JobID: "gone", Runner: "flink", Endpoint: "flink:8099", State: "unknown", Error: "beam: state of job gone: not found"},
	}
	if d := cmp.Diff(want, got.BeamJobs); d != "" {
		t.Errorf("beam jobs (-want +got):\n%s", d)
	}

	res = status()
	for _, line := range []string{
		"Beam job j1 (stage beam.1) on the flink job server at flink:8099: RUNNING\n",
		"Beam job gone (stage beam.2) on the flink job server at flink:8099: unknown (beam: state of job gone: not found)\n",
	} {
		if !strings.Contains(res.stdout, line) {
			t.Errorf("status does not say %q:\n%s", line, res.stdout)
		}
	}
}
