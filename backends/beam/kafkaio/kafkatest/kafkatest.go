// Package kafkatest starts the processes the beam backend's end-to-end
// tests talk to: a Kafka-protocol broker (kfake-broker) and kcat from the
// project's test kit, and Prism's standalone job server. It is test support: production code must not
// import it.
package kafkatest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// The broker process and kcat are the project's test kit's
// (internal/testkit); this package adds Prism.
var (
	StartBroker   = testkit.StartBroker
	Kcat          = testkit.Kcat
	Produce       = testkit.Produce
	Consume       = testkit.Consume
	ConsumeFormat = testkit.ConsumeFormat
)

// StartPrism builds Prism's standalone job server and runs it on
// a free port: the same JobService gRPC API a Flink or Spark job server
// serves.
func StartPrism(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "prism")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/apache/beam/sdks/v2/go/cmd/prism").CombinedOutput(); err != nil {
		t.Fatalf("go build prism: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "-job_port", strconv.Itoa(port), "-serve_http=false")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		log []string
	)
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("prism's log:\n%s", strings.Join(log, "\n"))
			mu.Unlock()
		}
	})
	// Prism logs "Serving JobManagement" once it listens.
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			log = append(log, sc.Text())
			mu.Unlock()
			if strings.Contains(sc.Text(), "Serving JobManagement") && ready != nil {
				close(ready)
				ready = nil
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("prism did not start")
	}
	return fmt.Sprintf("localhost:%d", port)
}
