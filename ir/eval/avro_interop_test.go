package eval

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// avroInteropSchema is the schema both sides of the interop test use.
const avroInteropSchema = `{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"string"},
 {"name":"qty","type":"int"},
 {"name":"total","type":"long"},
 {"name":"price","type":"double"},
 {"name":"paid","type":"boolean"},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"raw","type":"bytes"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"attrs","type":{"type":"map","values":"long"}},
 {"name":"customer","type":{"type":"record","name":"Customer","fields":[{"name":"name","type":"string"},{"name":"vip","type":"boolean"}]}},
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}
]}`

// avroPython returns a Python interpreter with Apache Avro's library
// (Debian python3-avro, which .ci/run installs), or skips the test.
func avroPython(t *testing.T) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(py, "-c", "import avro.io").Run(); err == nil {
			return py
		}
	}
	t.Skip("python3-avro is not installed (apt-get install -y python3-avro; CI installs it)")
	return ""
}

// TestAvroPythonInterop: records written by Apache Avro's Python library
// decode to the values the script wrote, and records this codec writes
// read back in Python as the values they were made from.
func TestAvroPythonInterop(t *testing.T) {
	py := avroPython(t)
	schemaFile := filepath.Join(t.TempDir(), "order.avsc")
	if err := os.WriteFile(schemaFile, []byte(avroInteropSchema), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := avroDoc(42, avroInteropSchema)
	typ, err := SchemaType(doc)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLayout(typ)
	c := mustAvroCodec(t, CodecSpec{Schema: doc})

	t.Run("python writes, we read", func(t *testing.T) {
		out, err := exec.Command(py, "testdata/avro_interop.py", "write", schemaFile, "42").Output()
		if err != nil {
			t.Fatalf("python write: %v", err)
		}
		// The script's RECORDS, as this codec's README table maps them.
		want := []string{
			`{"id":"p1","qty":7,"total":9007199254740993,"price":2.5,"paid":true,"note":null,"raw":"AP8=","status":"SHIPPED","tags":["x","y"],"attrs":{"a":1,"b":-5},"customer":{"name":"Zoë","vip":true},"ts":1767225605000,"day":"2026-01-01","amount":-12.34}`,
			`{"id":"","qty":-1,"total":0,"price":-0.125,"paid":false,"note":"n","raw":"","status":"NEW","tags":[],"attrs":{},"customer":{"name":"Bo","vip":false},"ts":-1,"day":"1969-12-31","amount":1000}`,
		}
		lines := strings.Fields(string(out))
		if len(lines) != len(want) {
			t.Fatalf("python wrote %d records, want %d", len(lines), len(want))
		}
		for i, line := range lines {
			data, err := hex.DecodeString(line)
			if err != nil {
				t.Fatal(err)
			}
			var r Record
			if err := c.Decode(l, nil, data, &r); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			w, err := DecodeJSON(l, []byte(want[i]))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(testPlainRecord(w), testPlainRecord(&r)); diff != "" {
				t.Errorf("record %d (-want +got):\n%s", i, diff)
			}
		}
	})

	t.Run("we write, python reads", func(t *testing.T) {
		in := []string{
			`{"id":"g1","qty":2147483647,"total":-9007199254740993,"price":0.1,"paid":true,"note":"é","raw":"3q2+7w==","status":"PAID","tags":["t"],"attrs":{"k":3},"customer":{"name":"Al","vip":false},"ts":1767225605123,"day":"2000-02-29","amount":99999999.99}`,
			`{"id":"g2","qty":0,"total":1,"price":-1e300,"paid":false,"note":null,"raw":"","status":"NEW","tags":[],"attrs":{},"customer":{"name":"","vip":true},"ts":0,"day":"1970-01-01","amount":-0.01}`,
		}
		var hexLines bytes.Buffer
		for _, js := range in {
			hexLines.WriteString(hex.EncodeToString(avroEncode(t, c, typ, js)))
			hexLines.WriteByte('\n')
		}
		cmd := exec.Command(py, "testdata/avro_interop.py", "read", schemaFile)
		cmd.Stdin = &hexLines
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("python read: %v\n%s", err, stderr.String())
		}
		// What Apache Avro reads, in the script's plain JSON (sorted keys,
		// decimals as text, timestamps as epoch ms).
		want := []string{
			`{"_schema_id":42,"amount":"99999999.99","attrs":{"k":3},"customer":{"name":"Al","vip":false},"day":"2000-02-29","id":"g1","note":"é","paid":true,"price":0.1,"qty":2147483647,"raw":"3q2+7w==","status":"PAID","tags":["t"],"total":-9007199254740993,"ts":1767225605123}`,
			`{"_schema_id":42,"amount":"-0.01","attrs":{},"customer":{"name":"","vip":true},"day":"1970-01-01","id":"g2","note":null,"paid":false,"price":-1e+300,"qty":0,"raw":"","status":"NEW","tags":[],"total":1,"ts":0}`,
		}
		if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(string(out)), "\n")); diff != "" {
			t.Errorf("python read (-want +got):\n%s", diff)
		}
	})
}
