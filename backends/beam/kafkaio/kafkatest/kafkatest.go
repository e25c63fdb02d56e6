// Package kafkatest starts the processes the beam backend's end-to-end
// tests talk to: a Kafka-protocol broker (kfake-broker), kcat, and Prism's
// standalone job server. It is test support: production code must not
// import it.
package kafkatest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildBroker builds runtime/embedded/cmd/kfake-broker into dir.
func buildBroker(dir string) (string, error) {
	bin := filepath.Join(dir, "kfake-broker")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/pipeline-compiler/pipeline/runtime/embedded/cmd/kfake-broker")
	// Build inside the module even when the test binary runs elsewhere.
	if _, file, _, ok := runtime.Caller(0); ok {
		cmd.Dir = filepath.Dir(file)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build kfake-broker: %v\n%s", err, out)
	}
	return bin, nil
}

// StartBroker runs kfake-broker with args in its own process and returns
// its address. The process is killed when the test ends.
func StartBroker(t testing.TB, args ...string) string {
	t.Helper()
	bin, err := buildBroker(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
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

// Kcat returns the kcat binary, skipping the test when it is not installed.
func Kcat(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (Debian/Ubuntu: apt-get install -y kcat)")
	}
	return p
}

// Produce produces one record per line, "key|value", to topic with kcat.
func Produce(t testing.TB, addr, topic string, lines []string) {
	t.Helper()
	cmd := exec.Command(Kcat(t), "-b", addr, "-t", topic, "-P", "-K", "|")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P %s: %v\n%s", topic, err, out)
	}
}

// Consume reads topic from the beginning to its current end with kcat
// (read_committed), one "key|value" line per record, sorted.
func Consume(t testing.TB, addr, topic string) []string {
	t.Helper()
	return ConsumeFormat(t, addr, topic, "%k|%s")
}

// ConsumeFormat is Consume with a kcat -f format for each record (without
// the trailing newline), e.g. "%k|%s|%h" to see headers.
func ConsumeFormat(t testing.TB, addr, topic, format string) []string {
	t.Helper()
	out, err := exec.Command(Kcat(t), "-b", addr, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format+"\n").Output()
	if err != nil {
		t.Fatalf("kcat -C %s: %v", topic, err)
	}
	s := strings.TrimSuffix(string(out), "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return lines
}

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
