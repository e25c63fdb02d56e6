package worker_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/worker"
)

// TestEndToEndKcat runs the broker in a separate process, produces with
// kcat, runs the worker, and reads the output with kcat in read_committed
// mode: no franz-go on either end of the data.
func TestEndToEndKcat(t *testing.T) {
	kcat := needKcat(t)
	addr := startBroker(t, "-partitions", "3")

	var in bytes.Buffer
	for i := range 1000 {
		in.Write(orderJSON(i))
		in.WriteByte('\n')
	}
	in.WriteString("{not json\n")
	produce := exec.Command(kcat, "-b", addr, "-t", "orders", "-P")
	produce.Stdin = &in
	if out, err := produce.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := worker.Run(ctx, filterPlan("topic:orders", "topic:out", ir.ExactlyOnce),
		worker.Brokers(addr),
		worker.StateDir(t.TempDir()),
		worker.ExitWhenIdle(time.Second),
		worker.InstanceID("e2e"))
	skipIfNoEngine(t, err)
	if err != nil {
		t.Fatal(err)
	}

	consume := exec.Command(kcat, "-b", addr, "-C", "-t", "out", "-o", "beginning", "-e", "-q",
		"-X", "isolation.level=read_committed")
	out, err := consume.Output()
	if err != nil {
		t.Fatalf("kcat -C: %v", err)
	}
	var values [][]byte
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			values = append(values, []byte(l))
		}
	}
	if diff := cmp.Diff(expectedIDs(1000), ids(t, values)); diff != "" {
		t.Errorf("output ids (-want +got):\n%s", diff)
	}

	dlq, err := exec.Command(kcat, "-b", addr, "-C", "-t", "orders.dlq", "-o", "beginning", "-e", "-q",
		"-f", "%h|%s\n").Output()
	if err != nil {
		t.Fatalf("kcat -C dlq: %v", err)
	}
	got := strings.TrimSpace(string(dlq))
	for _, want := range []string{"pipeline.reason=", "pipeline.source.topic=orders", "pipeline.source.offset=", "|{not json"} {
		if !strings.Contains(got, want) {
			t.Errorf("dead letter %q lacks %q", got, want)
		}
	}
}
