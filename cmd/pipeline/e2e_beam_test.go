package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pipeline-compiler/pipeline/backends/beam/kafkaio/kafkatest"
	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
)

// TestEndToEndBeam applies a spec whose record work is one beam stage, as
// a user does: the pipeline binary against a broker in another process,
// `apply -exit-when-idle`, outputs read back with kcat. The beam stage runs
// on Prism in pipeline-beam, next to the native stages that write its results
// through channel topics; apply finishes only once all of them drained,
// and the outputs are exactly those of the all-native spec (testdata/e2e).
func TestEndToEndBeam(t *testing.T) {
	e := startE2E(t)
	dir := t.TempDir()
	spec, err := os.ReadFile("testdata/e2e-beam/e2e.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "e2e.hcl"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	pipeline := filepath.Join(e.bin, "pipeline")
	// apply exits once workers run the plan, so a beam stage on Prism inside
	// pipeline-beam would end with it: apply refuses, and says what to do.
	out, err := exec.Command(pipeline, "apply", "-auto-approve", "-var", "broker="+e.addr, dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "beam stages need a job server that outlives apply") {
		t.Fatalf("apply of a Prism-in-process beam stage on a real broker: err %v, want a refusal naming the job server\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".pipeline", "state.json")); err == nil {
		t.Errorf("the refused apply recorded a state")
	}

	// run is the foreground path: the beam stage on Prism in pipeline-beam,
	// the native stages in-process, against the same broker.
	out, err = exec.Command(pipeline, "run", "-exit-when-idle", "3s", "-var", "broker="+e.addr, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("pipeline run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "runs on Prism in pipeline-beam") {
		t.Errorf("run did not say where the beam stage runs:\n%s", out)
	}
	e.check(t)
}

// TestEndToEndBeamJobServer applies the same spec with its beam stage
// submitted to Prism's standalone job server in PROCESS environment: the
// job server starts Beam's Go boot loader (through the wrapper that strips
// the quotes Prism puts around --id), which fetches the staged worker
// binary, the pipeline binary itself, and runs it as the Beam worker. The
// state records the job, and destroy cancels it (a finished job: nothing
// to stop, no error).
//
// It builds three binaries and starts four processes, so it runs only when
// asked: PIPELINE_E2E_JOBSERVER=1 go test ./cmd/pipeline -run BeamJobServer -timeout 20m
func TestEndToEndBeamJobServer(t *testing.T) {
	if os.Getenv("PIPELINE_E2E_JOBSERVER") == "" {
		t.Skip("set PIPELINE_E2E_JOBSERVER=1 to submit to Prism's job server with the PROCESS environment")
	}
	e := startE2E(t)
	endpoint := kafkatest.StartPrism(t)
	boot := filepath.Join(e.bin, "boot")
	if out, err := exec.Command("go", "build", "-o", boot, "github.com/apache/beam/sdks/v2/go/container").CombinedOutput(); err != nil {
		t.Fatalf("go build boot: %v\n%s", err, out)
	}
	wrapper := filepath.Join(e.bin, "boot.sh")
	script := "#!/bin/sh\nexec " + boot + " \"$(echo \"$1\" | tr -d \"'\")\" \"$2\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	spec, err := os.ReadFile("testdata/e2e-beam/e2e.hcl")
	if err != nil {
		t.Fatal(err)
	}
	spec = []byte(strings.Replace(string(spec), `backend "beam" {}`, `backend "beam" {
  runner             = "universal"
  endpoint           = "`+endpoint+`"
  environment        = "PROCESS"
  environment_config = "`+wrapper+`"
}`, 1))
	if err := os.WriteFile(filepath.Join(dir, "e2e.hcl"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	pipeline := filepath.Join(e.bin, "pipeline")
	out, err := exec.Command(pipeline, "apply", "-auto-approve", "-exit-when-idle", "3s", "-var", "broker="+e.addr, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("pipeline apply: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "submitted to the universal job server at "+endpoint+" as job ") {
		t.Errorf("apply did not report the job:\n%s", out)
	}
	e.check(t)

	st, err := state.Read(state.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var jobs []state.BeamJob
	for _, s := range st.Stages {
		if s.BeamJob != nil {
			jobs = append(jobs, *s.BeamJob)
		}
	}
	if len(jobs) != 1 || jobs[0].ID == "" || jobs[0].Endpoint != endpoint || jobs[0].Runner != "universal" {
		t.Fatalf("state records jobs %+v, want the one beam stage's on %s", jobs, endpoint)
	}
	out, err = exec.Command(pipeline, "destroy", "-auto-approve", "-var", "broker="+e.addr, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("pipeline destroy: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "cancel Beam job "+jobs[0].ID) {
		t.Errorf("destroy did not cancel the job:\n%s", out)
	}
}
