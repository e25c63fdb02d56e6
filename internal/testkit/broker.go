package testkit

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pipeline-compiler/pipeline/runtime/embedded"
)

var broker struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// BrokerBinary returns the kfake-broker binary
// (runtime/embedded/cmd/kfake-broker), building it the first time a test
// of this test binary asks. Call Main from TestMain to remove it when the
// tests end.
func BrokerBinary(t testing.TB) string {
	t.Helper()
	broker.once.Do(func() {
		broker.dir, broker.err = os.MkdirTemp("", "testkit-broker")
		if broker.err != nil {
			return
		}
		bin := filepath.Join(broker.dir, "kfake-broker")
		cmd := exec.Command("go", "build", "-o", bin, "github.com/pipeline-compiler/pipeline/runtime/embedded/cmd/kfake-broker")
		// Build inside the module even when the test binary runs elsewhere.
		if _, file, _, ok := runtime.Caller(0); ok {
			cmd.Dir = filepath.Dir(file)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			broker.err = fmt.Errorf("go build kfake-broker: %v\n%s", err, out)
			return
		}
		broker.bin = bin
	})
	if broker.err != nil {
		t.Fatal(broker.err)
	}
	return broker.bin
}

// Main runs the tests and removes what the kit built; a TestMain calls
// os.Exit(testkit.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if broker.dir != "" {
		os.RemoveAll(broker.dir)
	}
	return code
}

// StartBroker runs kfake-broker with args (such as "-partitions", "3") in
// its own process, so that a test may kill the clients but not the broker,
// and returns its address. The process is killed when the test ends.
func StartBroker(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(BrokerBinary(t), args...)
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

// EmbeddedBroker starts an in-process broker (runtime/embedded), closed
// when the test ends.
func EmbeddedBroker(t testing.TB, opts ...embedded.Option) *embedded.Broker {
	t.Helper()
	b, err := embedded.Start(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}
