package beam_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// change is one record of an upsert sink as a Kafka consumer sees it: its
// row kind, key and value (nil: a tombstone), the value decoded.
type change struct {
	Kind  string
	Key   string
	Value map[string]any
}

// retractionSpecs are continuous aggregates and tops whose changelogs are
// checked change by change, per Kafka key, against hand-computed
// sequences: Beam promises no order between keys, but a key's changes
// come in the order the operator emitted them. Each spec's test block
// also states the final tables, which testrun checks.
var retractionSpecs = []struct {
	name string
	src  string
	// want: per sink, per Kafka key, the changes in order.
	want map[string]map[string][]change
}{
	{
		name: "an update replaces the previous value",
		// bids: a1 50, a2 70, a1 120, a2 60, a1 90, a2 -80.
		//   max_price a1: 50/1 → 120/2 → 120/3;  a2: 70/1 → 70/2 → 70/3
		//   balance   a1: 50 → 170 → 260;        a2: 70 → 130 → 50
		//   rich (balance >= 100): a1 enters at 170, updates to 260; a2
		//     enters at 130 and leaves at 50 (a delete of its 130 row)
		//   rich_count over rich: a1 1 → 1 (an update in the group, not a
		//     delete and an insert); a2 1 → gone (a delete)
		src: `
pipeline "r" {}
source "bids" {
  topic      = "bids"
  format     = "json"
  schema     = object({ auction = number, price = number, ts = string })
  event_time = record.ts
}
aggregate "max_price" {
  input  = source.bids
  key    = { auction = record.auction }
  fields = { best = max(record.price), n = count() }
}
aggregate "balance" {
  input  = source.bids
  key    = { auction = record.auction }
  fields = { sum = sum(record.price) }
}
filter "rich" {
  input = aggregate.balance
  where = record.sum >= 100
}
aggregate "rich_count" {
  input  = filter.rich
  key    = { auction = record.auction }
  fields = { n = count() }
}
aggregate "rich_total" {
  input  = filter.rich
  fields = { n = count(), total = sum(record.sum) }
}
sink "max_price" {
  input = aggregate.max_price
  topic = "max"
}
sink "rich" {
  input = filter.rich
  topic = "rich"
}
sink "rich_count" {
  input = aggregate.rich_count
  topic = "rich-count"
}
sink "rich_total" {
  input = aggregate.rich_total
  topic = "rich-total"
}
test "t" {
  given "source.bids" {
    records = [
      { auction = 1, price = 50, ts = "2026-01-01T00:00:01Z" },
      { auction = 2, price = 70, ts = "2026-01-01T00:00:02Z" },
      { auction = 1, price = 120, ts = "2026-01-01T00:00:03Z" },
      { auction = 2, price = 60, ts = "2026-01-01T00:00:04Z" },
      { auction = 1, price = 90, ts = "2026-01-01T00:00:05Z" },
      { auction = 2, price = -80, ts = "2026-01-01T00:00:06Z" },
    ]
  }
  expect "sink.max_price" {
    records = [{ auction = 1, best = 120, n = 3 }, { auction = 2, best = 70, n = 3 }]
  }
  expect "sink.rich" {
    records = [{ auction = 1, sum = 260 }]
  }
  expect "sink.rich_count" {
    records = [{ auction = 1, n = 1 }]
  }
  expect "sink.rich_total" {
    records = [{ n = 1, total = 260 }]
  }
}
`,
		want: map[string]map[string][]change{
			"sink.max_price": {
				"1": {
					{"insert", "1", obj(`{"auction":1,"best":50,"n":1}`)},
					{"update_after", "1", obj(`{"auction":1,"best":120,"n":2}`)},
					{"update_after", "1", obj(`{"auction":1,"best":120,"n":3}`)},
				},
				"2": {
					{"insert", "2", obj(`{"auction":2,"best":70,"n":1}`)},
					{"update_after", "2", obj(`{"auction":2,"best":70,"n":2}`)},
					{"update_after", "2", obj(`{"auction":2,"best":70,"n":3}`)},
				},
			},
			"sink.rich": {
				"1": {
					{"insert", "1", obj(`{"auction":1,"sum":170}`)},
					{"update_after", "1", obj(`{"auction":1,"sum":260}`)},
				},
				"2": {
					{"insert", "2", obj(`{"auction":2,"sum":130}`)},
					{"delete", "2", nil},
				},
			},
			"sink.rich_count": {
				"1": {
					{"insert", "1", obj(`{"auction":1,"n":1}`)},
					{"update_after", "1", obj(`{"auction":1,"n":1}`)},
				},
				"2": {
					{"insert", "2", obj(`{"auction":2,"n":1}`)},
					{"delete", "2", nil},
				},
			},
		},
	},
	{
		name: "a top whose leader changes, ties kept",
		// One auction, top 1 by price: 50 leads; 80 replaces it; another
		// 80 ties and joins it; 60 does not enter; 90 replaces both 80s
		// (deleted in arrival order). Keep-last per bidder (q18's shape):
		// b1's bid at 2 s replaces its bid at 1 s; a second bid at 2 s
		// ties and stays.
		src: `
pipeline "t" {}
source "bids" {
  topic      = "bids"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, ts = string })
  event_time = record.ts
}
top "best" {
  input    = source.bids
  key      = [record.auction]
  order_by = record.price
  limit    = 1
}
top "last" {
  input    = source.bids
  key      = [record.bidder]
  order_by = record.ts
  limit    = 1
}
sink "best" {
  input = top.best
  topic = "best"
}
sink "last" {
  input = top.last
  topic = "last"
}
test "t" {
  given "source.bids" {
    records = [
      { auction = 1, bidder = 1, price = 50, ts = "2026-01-01T00:00:01Z" },
      { auction = 1, bidder = 1, price = 80, ts = "2026-01-01T00:00:02Z" },
      { auction = 1, bidder = 1, price = 80, ts = "2026-01-01T00:00:02Z" },
      { auction = 1, bidder = 2, price = 60, ts = "2026-01-01T00:00:04Z" },
      { auction = 1, bidder = 3, price = 90, ts = "2026-01-01T00:00:05Z" },
    ]
  }
  expect "sink.best" {
    records = [{ auction = 1, bidder = 3, price = 90, ts = "2026-01-01T00:00:05Z" }]
  }
  expect "sink.last" {
    # The tied bids are one row: a top's rows are keyed by themselves.
    records = [
      { auction = 1, bidder = 1, price = 80, ts = "2026-01-01T00:00:02Z" },
      { auction = 1, bidder = 2, price = 60, ts = "2026-01-01T00:00:04Z" },
      { auction = 1, bidder = 3, price = 90, ts = "2026-01-01T00:00:05Z" },
    ]
  }
}
`,
		// A top's rows are keyed by themselves (the whole row's JSON).
		want: map[string]map[string][]change{
			"sink.best": {
				"a": {
					{"insert", "a", obj(`{"auction":1,"bidder":1,"price":50,"ts":"2026-01-01T00:00:01Z"}`)},
					{"delete", "a", nil},
				},
				"b": {
					{"insert", "b", obj(`{"auction":1,"bidder":1,"price":80,"ts":"2026-01-01T00:00:02Z"}`)},
					{"insert", "b", obj(`{"auction":1,"bidder":1,"price":80,"ts":"2026-01-01T00:00:02Z"}`)},
					{"delete", "b", nil},
					{"delete", "b", nil},
				},
				"c": {
					{"insert", "c", obj(`{"auction":1,"bidder":3,"price":90,"ts":"2026-01-01T00:00:05Z"}`)},
				},
			},
			"sink.last": {
				"a": {
					{"insert", "a", obj(`{"auction":1,"bidder":1,"price":50,"ts":"2026-01-01T00:00:01Z"}`)},
					{"delete", "a", nil},
				},
				"b": {
					{"insert", "b", obj(`{"auction":1,"bidder":1,"price":80,"ts":"2026-01-01T00:00:02Z"}`)},
					{"insert", "b", obj(`{"auction":1,"bidder":1,"price":80,"ts":"2026-01-01T00:00:02Z"}`)},
				},
				"d": {
					{"insert", "d", obj(`{"auction":1,"bidder":2,"price":60,"ts":"2026-01-01T00:00:04Z"}`)},
				},
				"c": {
					{"insert", "c", obj(`{"auction":1,"bidder":3,"price":90,"ts":"2026-01-01T00:00:05Z"}`)},
				},
			},
		},
	},
}

// rowKeys name the rows of the top spec by letter, so that the expected
// changes stay readable: a top's Kafka key is the row's JSON.
var rowKeys = map[string]string{
	`{"auction":1,"bidder":1,"price":50,"ts":"2026-01-01T00:00:01Z"}`: "a",
	`{"auction":1,"bidder":1,"price":80,"ts":"2026-01-01T00:00:02Z"}`: "b",
	`{"auction":1,"bidder":3,"price":90,"ts":"2026-01-01T00:00:05Z"}`: "c",
	`{"auction":1,"bidder":2,"price":60,"ts":"2026-01-01T00:00:04Z"}`: "d",
}

func obj(s string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(err)
	}
	return m
}

var kindNames = []string{"insert", "update_before", "update_after", "delete"}

// TestChangelogRetractions runs continuous aggregates and tops on Beam
// and checks every change of every key, then the final tables.
func TestChangelogRetractions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs on Prism")
	}
	for _, tc := range retractionSpecs {
		t.Run(tc.name, func(t *testing.T) {
			res, diags := lang.LoadFiles(map[string][]byte{"main.hcl": []byte(tc.src)}, lang.Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			p := res.Pipeline
			tb := p.Tests[0]
			out, err := beam.TestRunner{}.Run(context.Background(), p, tb, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.DeadLetters) != 0 {
				t.Errorf("dead letters: %+v", out.DeadLetters)
			}
			for sink, wantKeys := range tc.want {
				got := map[string][]change{}
				for i, v := range out.Got[sink] {
					key := string(out.Keys[sink][i])
					if k, ok := rowKeys[key]; ok {
						key = k
					}
					c := change{Kind: kindNames[out.Kinds[sink][i]], Key: key}
					if v != nil {
						c.Value = obj(string(v))
					}
					got[key] = append(got[key], c)
				}
				if d := cmp.Diff(wantKeys, got); d != "" {
					t.Errorf("%s: changes per key (-want +got):\n%s", sink, d)
				}
			}
			// The final tables, through testrun as every backend's tests.
			r, err := testrun.Run(p, tb, testrun.WithRunner(beam.TestRunner{}))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range r.Failures {
				t.Errorf("final table of %s (-want +got):\n%s", f.Target, f.Diff)
			}
		})
	}
}

// TestChangelogSpec runs testdata/changelog's test blocks on Beam: final
// tables of continuous aggregates, an aggregate over a changelog, a
// filter over one, and continuous tops, into upsert file and topic sinks
// and a tapped changelog, as on native (runtime/testrun).
func TestChangelogSpec(t *testing.T) {
	if testing.Short() {
		t.Skip("runs on Prism")
	}
	res, diags := lang.Load(filepath.Join("..", "..", "testdata", "changelog"), lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, tb := range res.Pipeline.Tests {
		t.Run(tb.Name, func(t *testing.T) {
			r, err := testrun.Run(res.Pipeline, tb, testrun.WithRunner(beam.TestRunner{}))
			if err != nil {
				t.Fatal(err)
			}
			if r.Skipped != "" {
				t.Fatalf("skipped: %s", r.Skipped)
			}
			for _, f := range r.Failures {
				t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
			}
			if len(r.DeadLetters) != 0 {
				t.Errorf("dead letters: %+v", r.DeadLetters)
			}
		})
	}
}
