package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// These tests run the commands on the specs in testdata through the real
// lang.Load.

var (
	ordersDir  = filepath.Join("testdata", "orders")
	pinnedDir  = filepath.Join("testdata", "pinned")
	invalidDir = filepath.Join("testdata", "invalid")
	failingDir = filepath.Join("testdata", "failing")
)

func TestLangCommands(t *testing.T) {
	invalidFile := filepath.Join(invalidDir, "invalid.hcl")
	tests := []struct {
		name string
		args []string
		want check
	}{
		{"validate orders", []string{"validate", ordersDir}, check{stdout: str("Success! The pipeline is valid.\n"), stderr: str("")}},
		{"validate one file", []string{"validate", filepath.Join(ordersDir, "orders.hcl")}, check{stdout: str("Success! The pipeline is valid.\n")}},
		{"validate -json orders", []string{"validate", "-json", ordersDir}, check{
			outHas: []string{`"format_version": "1.0"`, `"valid": true`, `"error_count": 0`}}},
		{"validate invalid: caret under the argument, tab kept", []string{"validate", invalidDir}, check{code: 1, stdout: str(""),
			errHas: []string{invalidFile + ":12:2: error: Unsupported argument\n  12 | \twher  = true\n     | \t^^^^\n"}}},
		{"validate -json invalid", []string{"validate", "-json", invalidDir}, check{code: 1,
			outHas: []string{`"valid": false`, `"filename": "` + invalidFile + `"`, `"code": "\twher  = true"`, `"highlight_start_offset": 1`}}},
		{"validate pinned to a backend that is not enabled", []string{"validate", pinnedDir}, check{code: 1,
			errHas: []string{`error: Backend "beam" is not enabled`, `dedupe.once is pinned to backend = "beam"`, `backend "beam" {}`}}},
		{"plan orders", []string{"plan", ordersDir}, check{
			outHas: []string{
				"Plan: 3 stages (native), 2 channels, 10 operators\n",
				"Stage native.dedupe.once on native\n",
				"  topics:    customers, orders.map.normalized → orders.route.by_tier.gold, other-orders, orders.dlq\n",
				"  why:       no backend blocks: everything runs on native; repartitioned by the key of dedupe.once: record.id\n",
				"  why:       no backend blocks: everything runs on native; repartitioned by the key of aggregate.revenue: record.customer\n",
			},
			outLacks: []string{"tok-not-a-real-secret"}}},
		{"plan -json orders is redacted", []string{"plan", "-json", ordersDir}, check{
			outHas:   []string{`"format_version": "1.0"`, `"id": "native.dedupe.once"`, `"(sensitive value)"`},
			outLacks: []string{"tok-not-a-real-secret"}}},
		{"plan -detailed-exitcode", []string{"plan", "-detailed-exitcode", ordersDir}, check{code: 2}},
		{"plan -var", []string{"plan", "-var", "min_amount=5", ordersDir}, check{outHas: []string{"Plan: 3 stages"}}},
		{"plan pinned", []string{"plan", pinnedDir}, check{code: 1, stdout: str(""), errHas: []string{`Backend "beam" is not enabled`}}},
		{"graph orders", []string{"graph", ordersDir}, check{outHas: []string{
			`label="native.dedupe.once (native)";`,
			`"route.by_tier" -> "aggregate.revenue" [label="gold", style=dashed];`,
			`"join.enriched" [label="join.enriched\nnative"];`}}},
		{"graph mermaid orders", []string{"graph", "-format=mermaid", ordersDir}, check{outHas: []string{"flowchart LR\n", "-.->|gold|"}}},
		{"test: a failing block prints its diff and exits 1", []string{"test", failingDir}, check{code: 1,
			outHas:   []string{"--- FAIL: wrongly expects the small order\n", "sink.big (-want +got):", "FAIL\t" + failingDir, "1 passed, 1 failed\n"},
			outLacks: []string{"--- FAIL: keeps big orders"}}},
		{"test -run selects by name", []string{"test", "-run", "^keeps", "-v", failingDir}, check{
			outHas: []string{"--- PASS: keeps big orders\n", "1 passed, 0 failed\n"}}},
		{"test -run with a bad pattern", []string{"test", "-run", "(", failingDir}, check{code: 1, errHas: []string{"error: -run:"}}},
		{"test a missing directory", []string{"test", "testdata/nope/..."}, check{code: 1, errHas: []string{"No such file or directory: testdata/nope"}}},
		{"fmt -check testdata/orders is formatted", []string{"fmt", "-check", ordersDir}, check{stdout: str("")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.verify(t, run(t, nil, "", tt.args...))
		})
	}
}

func TestLangPlanRoundTrip(t *testing.T) {
	planFile := filepath.Join(t.TempDir(), "orders.plan")

	first := run(t, nil, "", "plan", "-json", ordersDir)
	second := run(t, nil, "", "plan", "-json", ordersDir)
	check{}.verify(t, first)
	if first.stdout != second.stdout {
		t.Errorf("plan -json is not deterministic:\n%s", cmp.Diff(first.stdout, second.stdout))
	}

	check{}.verify(t, run(t, nil, "", "plan", "-out", planFile, ordersDir))
	raw, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "tok-not-a-real-secret") {
		t.Errorf("the saved plan holds a sensitive value in clear")
	}
	shown := run(t, nil, "", "show", "-json", planFile)
	check{}.verify(t, shown)
	if diff := cmp.Diff(first.stdout, shown.stdout); diff != "" {
		t.Errorf("show -json differs from plan -json (-plan +show):\n%s", diff)
	}

	// A different variable value is a different spec.
	other := run(t, nil, "", "plan", "-json", "-var", "min_amount=5", ordersDir)
	var a, b struct {
		SpecHash string `json:"spec_hash"`
	}
	if err := json.Unmarshal([]byte(first.stdout), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(other.stdout), &b); err != nil {
		t.Fatal(err)
	}
	if a.SpecHash == "" || a.SpecHash == b.SpecHash {
		t.Errorf("spec_hash %q with defaults, %q with -var min_amount=5: want different, non-empty", a.SpecHash, b.SpecHash)
	}
}
