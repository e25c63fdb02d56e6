package testkit

import (
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// Kcat returns the kcat binary, the independent client end-to-end tests
// produce and read records with. Without it the test is skipped, except
// under CI (CI set), where .ci/run installs it and its absence is a
// failure.
func Kcat(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kcat is not installed; .ci/run installs it with apt-get install -y kcat")
		}
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
