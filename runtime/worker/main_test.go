package worker_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// brokerBin is the kfake-broker binary built by TestMain, "" if the build
// failed (buildErr says why).
var (
	brokerBin string
	buildErr  error
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		// Re-executed as the crash test's worker process.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "kfake-broker")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	brokerBin = filepath.Join(dir, "kfake-broker")
	build := exec.Command("go", "build", "-o", brokerBin, "github.com/pipeline-compiler/pipeline/runtime/embedded/cmd/kfake-broker")
	// Build inside the module even when the test binary runs elsewhere.
	if _, file, _, ok := runtime.Caller(0); ok {
		build.Dir = filepath.Dir(file)
	}
	out, err := build.CombinedOutput()
	if err != nil {
		buildErr = fmt.Errorf("go build kfake-broker: %v\n%s", err, out)
		brokerBin = ""
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startBroker runs kfake-broker in its own process and returns its
// address. The process is killed when the test ends.
func startBroker(t *testing.T, args ...string) string {
	t.Helper()
	if brokerBin == "" {
		t.Fatalf("no broker binary: %v", buildErr)
	}
	cmd := exec.Command(brokerBin, args...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("kfake-broker did not print its address: %v", err)
	}
	return strings.TrimSpace(line)
}

// needKcat skips the test when kcat is not installed.
func needKcat(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (Debian/Ubuntu: apt-get install -y kcat); skipping the end-to-end test")
	}
	return p
}
