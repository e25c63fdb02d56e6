package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestCoreLinksNoBeam guards the core binary's size and first-build time:
// it must link no Beam SDK and no Google Cloud SDK package. The beam
// backend runs in pipeline-beam (backends/beam/beamclient finds it); what
// validate and plan need of it lives in backends/beam/beamconfig.
func TestCoreLinksNoBeam(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	heavy := regexp.MustCompile(`^(github\.com/apache/beam/|cloud\.google\.com/|google\.golang\.org/api/|google\.golang\.org/grpc)`)
	var bad []string
	for _, pkg := range strings.Fields(string(out)) {
		if heavy.MatchString(pkg) {
			bad = append(bad, pkg)
		}
	}
	if len(bad) > 0 {
		t.Errorf("cmd/pipeline links %d Beam, gRPC or cloud SDK packages, e.g. %s; run `go list -deps ./cmd/pipeline` and move what imports them into cmd/pipeline-beam", len(bad), bad[0])
	}
}
