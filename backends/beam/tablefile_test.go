package beam_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/ir"
)

// TestTableFileBeforeStreams joins a stream file to a table file, as Nexmark
// q3 joins auctions to persons. Native reads a table file whole before the
// streams, so every auction finds its seller. The table's rows have no
// event time; the auctions' are in January 2026, long before the run: the
// rows must still reach the join first (a row stamped with the run's start
// came after every auction, and the join found no seller at all).
func TestTableFileBeforeStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a job on Prism")
	}
	beam.Init()
	dir := t.TempDir()
	auctions, persons, out := filepath.Join(dir, "auction.jsonl"), filepath.Join(dir, "person.jsonl"), filepath.Join(dir, "out.jsonl")
	write := func(path string, lines ...string) {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(auctions,
		`{"id":1,"seller":10,"dateTime":"2026-01-01T00:00:01Z"}`,
		`{"id":2,"seller":11,"dateTime":"2026-01-01T00:00:02Z"}`,
		`{"id":3,"seller":12,"dateTime":"2026-01-01T00:00:03Z"}`, // no such person: an inner join drops it
		`{"id":4,"seller":10,"dateTime":"2026-01-01T00:00:04Z"}`)
	write(persons,
		`{"id":10,"name":"ann"}`,
		`{"id":11,"name":"bob"}`)
	spec := fmt.Sprintf(`
pipeline "tablefile" {}
source "auction" {
  file       = %q
  schema     = object({ id = number, seller = number, dateTime = string })
  event_time = record.dateTime
}
source "person" {
  file   = %q
  table  = true
  key    = record.id
  schema = object({ id = number, name = string })
}
join "seller" {
  left   = source.auction
  right  = source.person
  type   = "inner"
  on     = left.seller == right.id
  fields = { id = left.id, name = right.name }
}
sink "out" {
  input = join.seller
  file  = %q
}
`, auctions, persons, out)
	beam.RunFiles(t, beam.LoadOneStage(t, spec, ir.BackendBeam), filepath.Join(dir, "dlq.jsonl"))
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	slices.Sort(lines)
	want := []string{`{"id":1,"name":"ann"}`, `{"id":2,"name":"bob"}`, `{"id":4,"name":"ann"}`}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("out.jsonl (-want +got):\n%s", diff)
	}
}
