package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestRecordsFile: a given or expect block reads its records from a JSON
// Lines file beside the spec, as if they were written inline; problems are
// diagnosed at the attribute, naming the file's line.
func TestRecordsFile(t *testing.T) {
	const sink = `sink "s" {
  input = source.orders
  topic = "x"
}
`
	tests := []struct {
		name  string
		test  string
		files map[string]string
		// want are the records of given "source.orders", then of expect
		// "sink.s", as JSON (attributes sorted, as inline records are).
		want       []string
		wantErrors []string
		detail     string // a substring of the first error's detail
	}{
		{
			name: "given and expect from files, blank lines skipped",
			test: `test "t" {
  given "source.orders" { records_file = "data/in.jsonl" }
  expect "sink.s" { records_file = "data/out.jsonl" }
}`,
			files: map[string]string{
				"data/in.jsonl":  "{\"id\": \"o1\", \"amount\": 150, \"country\": \"US\", \"ts\": \"t\"}\n\n{\"ts\":\"u\",\"country\":\"FR\",\"amount\":2.5,\"id\":\"o2\"}\n",
				"data/out.jsonl": `{"id": "o1", "amount": 150, "country": "US", "ts": "t"}`,
			},
			want: []string{
				`{"amount":150,"country":"US","id":"o1","ts":"t"}`,
				`{"amount":2.5,"country":"FR","id":"o2","ts":"u"}`,
				`{"amount":150,"country":"US","id":"o1","ts":"t"}`,
			},
		},
		{
			name: "not JSON",
			test: `test "t" {
  given "source.orders" { records_file = "in.jsonl" }
  expect "sink.s" { records = [] }
}`,
			files:      map[string]string{"in.jsonl": `{"id": "o1", "amount": 1, "country": "US", "ts": "t"}` + "\n{oops\n"},
			wantErrors: []string{"error b.hcl:6:42: Invalid records_file"},
			detail:     "in.jsonl:2: not a JSON object",
		},
		{
			name: "a record that is not an object",
			test: `test "t" {
  given "source.orders" { records_file = "in.jsonl" }
  expect "sink.s" { records = [] }
}`,
			files:      map[string]string{"in.jsonl": "[1, 2]\n"},
			wantErrors: []string{"error b.hcl:6:42: Invalid records"},
			detail:     "The record at in.jsonl:1 is not an object.",
		},
		{
			name: "a record off the schema",
			test: `test "t" {
  given "source.orders" { records_file = "in.jsonl" }
  expect "sink.s" { records = [] }
}`,
			files:      map[string]string{"in.jsonl": "\n" + `{"id": "o1"}`},
			wantErrors: []string{"error b.hcl:6:42: Record does not match the schema"},
			detail:     "The record at in.jsonl:2 does not fit the schema of source.orders",
		},
		{
			name: "missing file",
			test: `test "t" {
  given "source.orders" { records_file = "nope.jsonl" }
  expect "sink.s" { records = [] }
}`,
			wantErrors: []string{"error b.hcl:6:42: Cannot read records_file"},
		},
		{
			name: "both, and neither",
			test: `test "t" {
  given "source.orders" {
    records      = []
    records_file = "in.jsonl"
  }
  expect "sink.s" {}
}`,
			files:      map[string]string{"in.jsonl": ""},
			wantErrors: []string{"error b.hcl:8:5: Conflicting records and records_file", "error b.hcl:10:19: Missing records"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				full := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// The sink takes b.hcl's first 4 lines: the test block starts on line 5.
			res, diags := loadCase(sink+tt.test, Options{SchemaDir: dir})
			if d := cmp.Diff(tt.wantErrors, errorsOf(diags)); d != "" {
				t.Fatalf("errors (-want +got):\n%s\n%s", d, diags.Error())
			}
			if tt.detail != "" {
				if errs := diags.Errs(); len(errs) == 0 || !strings.Contains(errs[0].(*hcl.Diagnostic).Detail, tt.detail) {
					t.Errorf("the first error %v lacks %q", errs, tt.detail)
				}
			}
			if tt.want == nil {
				return
			}
			var got []string
			for _, td := range append(res.Pipeline.Tests[0].Given, res.Pipeline.Tests[0].Expect...) {
				for _, r := range td.Records {
					got = append(got, string(r))
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("records (-want +got):\n%s", d)
			}
		})
	}
}
