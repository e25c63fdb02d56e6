package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/internal/srtest"
	"github.com/pipeline-compiler/pipeline/internal/testkit"
)

// interopPython returns a Python with confluent-kafka and Apache Avro's
// library (Debian python3-confluent-kafka, python3-avro). CI installs both
// (.ci/run), so there their absence fails the test.
func interopPython(t *testing.T) string {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import confluent_kafka, avro.io").Run(); err == nil {
		return "/usr/bin/python3"
	}
	if os.Getenv("CI") != "" {
		t.Fatal("python3-confluent-kafka or python3-avro is missing; .ci/run installs them")
	}
	t.Skip("python3-confluent-kafka and python3-avro are not installed (apt-get install -y python3-confluent-kafka python3-avro)")
	return ""
}

const interopOrdersSchema = `{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"string"},
 {"name":"amount","type":"long"},
 {"name":"note","type":["null","string"],"default":null}]}`

// TestAvroInteropThroughATopic (issue 12): a Python confluent-kafka
// producer writes Avro orders, framed with the ID the registry gave their
// schema, and one value that is not a frame; `pipeline run` reads them,
// dead-letters the bad one, and writes the big orders, doubled, in Avro
// with the sink's derived schema, which it registers; a Python consumer
// reads the sink topic, looks the schema up by the frame's ID and decodes.
// On "broker" the filter and the map are pinned to the broker, so the
// transform module (in the local WebAssembly host) decodes and encodes; on
// "beam" to Beam (Prism in pipeline-beam), whose workers decode and encode.
func TestAvroInteropThroughATopic(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: skipped with -short")
	}
	py := interopPython(t)
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "pipeline"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build pipeline: %v\n%s", err, out)
	}
	for _, backend := range []string{"native", "broker", "beam"} {
		t.Run(backend, func(t *testing.T) { avroInterop(t, py, bin, backend) })
	}
}

func avroInterop(t *testing.T, py, bin, backend string) {
	addr := testkit.StartBroker(t, "-partitions", "1")
	sr := srtest.New(t)
	ordersID, _ := sr.Register("orders-value", "AVRO", interopOrdersSchema)

	dir := t.TempDir()
	spec, err := os.ReadFile("testdata/e2e-avro/main.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if backend != "native" {
		pin := "\n  backend = \"" + backend + "\""
		spec = []byte(strings.NewReplacer("where = record.amount >= 100", "where   = record.amount >= 100"+pin,
			"  input  = filter.big\n", "  input   = filter.big"+pin+"\n").Replace(string(spec)) + "\nbackend \"" + backend + "\" {}\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	schemaFile := filepath.Join(t.TempDir(), "orders.avsc")
	if err := os.WriteFile(schemaFile, []byte(interopOrdersSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs("testdata/e2e-avro/interop.py")
	vars := []string{"-var", "broker=" + addr, "-var", "registry=" + sr.URL}
	pipeline := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(filepath.Join(bin, "pipeline"), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("pipeline %s: %v\n%s", args[0], err, out)
		}
		return string(out)
	}
	pipeline(append(append([]string{"schemas", "pull"}, vars...), dir)...)
	if out, err := exec.Command(py, script, "produce", addr, "orders", schemaFile, strconv.Itoa(ordersID)).CombinedOutput(); err != nil {
		t.Fatalf("python produce: %v\n%s", err, out)
	}
	ran := pipeline(append(append([]string{"run", "-exit-when-idle", "2s", "-state-dir", t.TempDir()}, vars...), dir)...)
	if backend != "native" && !strings.Contains(ran, backend+".source.orders") {
		t.Fatalf("pipeline run ran no %s stage:\n%s", backend, ran)
	}

	out, err := exec.Command(py, script, "consume", addr, "big", sr.URL, "2").Output()
	if err != nil {
		t.Fatalf("python consume: %v", err)
	}
	// amount >= 100 keeps a (150) and c (100). The sink's derived schema
	// makes every number a double and every field nullable, so Python reads
	// floats; the registry numbers IDs in registration order: orders-value
	// is 1, the sink's big-value 2. The script prints the lines sorted.
	want := []string{
		`{"_schema_id": 2, "amount": 100.0, "double": 200.0, "id": "c", "note": null}`,
		`{"_schema_id": 2, "amount": 150.0, "double": 300.0, "id": "a", "note": "gift"}`,
	}
	if d := cmp.Diff(want, strings.Split(strings.TrimSpace(string(out)), "\n")); d != "" {
		t.Errorf("what Python read from topic big (-want +got):\n%s", d)
	}
	dlq := testkit.Consume(t, addr, "avro.dlq")
	if len(dlq) != 1 || !strings.Contains(dlq[0], "not an avro frame") {
		t.Errorf("dead-letter topic = %q, want the one value that is not a frame", dlq)
	}
}
