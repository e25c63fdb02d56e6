package beam

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/ir"
)

// TestKeyedOrderAcrossFirings runs a dedupe over one key with thousands of
// records on Prism, every record at its own event time, so that the keyed
// DoFn holds them all pending and works through them over many timer
// firings, its queue (queue.go) cut into chunks of a few elements. Some
// records come in the file after records of later event time. A dedupe's
// result depends on the order it sees a key's records in: the keyed
// operator must see them in arrival order (the file's, Record.Seq), each
// once the watermark has passed it. The expected records come from that
// rule applied in plain Go: a record goes through when no record that went
// through before it (in file order) is within `within` of its event time.
func TestKeyedOrderAcrossFirings(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a job on Prism")
	}
	defer func(n int) { queueChunk = n }(queueChunk)
	queueChunk = 5
	Init()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "events.jsonl"), filepath.Join(dir, "out.jsonl")
	const n, within = 3000, time.Second
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type event struct {
		ID int    `json:"id"`
		K  string `json:"k"`
		T  string `json:"t"`
	}
	var lines []string
	var times []time.Time
	for i := range n {
		ts := base.Add(time.Duration(i) * 100 * time.Millisecond)
		if i%10 == 9 {
			ts = ts.Add(-time.Duration(250+i%7*40) * time.Millisecond) // after records of later time
		}
		b, err := json.Marshal(event{ID: i, K: "one", T: ts.Format("2006-01-02T15:04:05.000Z")})
		if err != nil {
			t.Fatal(err)
		}
		lines, times = append(lines, string(b)), append(times, ts)
	}
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var want []string
	var seen time.Time
	for i, ts := range times {
		if i > 0 && ts.Sub(seen).Abs() <= within {
			continue
		}
		seen = ts
		want = append(want, lines[i])
	}
	spec := fmt.Sprintf(`
pipeline "keyedorder" {}
source "ev" {
  file       = %q
  schema     = object({ id = number, k = string, t = string })
  event_time = record.t
}
dedupe "once" {
  input  = source.ev
  key    = record.k
  within = "1s"
}
sink "out" {
  input = dedupe.once
  file  = %q
}
`, in, out)
	RunFiles(t, LoadOneStage(t, spec, ir.BackendBeam), filepath.Join(dir, "dlq.jsonl"))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	// The sink writes JSON with its own key order: compare by id.
	ids := func(lines []string) []int {
		var out []int
		for _, l := range lines {
			var e event
			if err := json.Unmarshal([]byte(l), &e); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			out = append(out, e.ID)
		}
		slices.Sort(out)
		return out
	}
	if g, w := ids(got), ids(want); !slices.Equal(g, w) {
		t.Errorf("%d records went through, want %d:\n got %v\nwant %v", len(g), len(w), g, w)
	}
	if len(want) < 100 || len(want) > n-100 {
		t.Fatalf("the test's data keeps %d of %d records: it tests little", len(want), n)
	}
}
