package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNobeamLeavesBeamOut guards the -tags nobeam build: it must link no
// Beam package (what plan needs of the beam backend lives in
// backends/beam/beamconfig), or the smaller binary is smaller in name only.
func TestNobeamLeavesBeamOut(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command(goTool, "list", "-tags", "nobeam", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var beam []string
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/apache/beam/") {
			beam = append(beam, pkg)
		}
	}
	if len(beam) > 0 {
		t.Errorf("-tags nobeam still links %d Beam packages, e.g. %s; run `go list -tags nobeam -deps ./cmd/pipeline` and move what imports them behind //go:build !nobeam", len(beam), beam[0])
	}
}
