package testrun_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestChangelogSpec runs testdata/changelog (continuous aggregates and
// tops, expected final tables computed by hand) on the native engine.
func TestChangelogSpec(t *testing.T) {
	p := loadChangelog(t)
	for _, tb := range p.Tests {
		r, err := testrun.Run(p, tb)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Failures {
			t.Errorf("%s (-want +got):\n%s", f.Target, f.Diff)
		}
		if len(r.DeadLetters) != 0 {
			t.Errorf("dead letters: %+v", r.DeadLetters)
		}
	}
}

func loadChangelog(t *testing.T) *ir.Pipeline {
	t.Helper()
	res, diags := lang.Load(filepath.Join("..", "..", "testdata", "changelog"), lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return res.Pipeline
}

// TestChangelogRecords checks the changes themselves, not only the final
// tables: row kinds, tombstones of an upsert topic sink, op lines of a
// file sink and Kafka keys, for the first four bids of testdata/changelog.
func TestChangelogRecords(t *testing.T) {
	p := loadChangelog(t)
	stage := &ir.Stage{ID: "s", Backend: ir.BackendNative}
	for _, op := range p.Operators {
		stage.Operators = append(stage.Operators, op.ID)
	}
	plan := &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p, Stages: []*ir.Stage{stage}}
	eng, err := native.New(plan, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	eng.AddPartitions("source.bids", 0)
	bids := []string{
		`{"auction":1,"bidder":10,"price":100,"dateTime":"2026-01-01T00:00:01Z"}`,
		`{"auction":1,"bidder":11,"price":300,"dateTime":"2026-01-01T00:00:02Z"}`,
		`{"auction":2,"bidder":10,"price":50,"dateTime":"2026-01-01T00:00:03Z"}`,
		`{"auction":1,"bidder":10,"price":200,"dateTime":"2026-01-01T00:00:04Z"}`,
	}
	var out outs
	for i, b := range bids {
		if err := eng.Process(t.Context(), native.Input{Stream: "source.bids", Offset: int64(i), Value: []byte(b)}, &out); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{
		// An upsert file sink: every change a line with its op; the group
		// key is the Kafka key (a number's JSON).
		"sink.max_price": {
			`1 {"auction":1,"bids":1,"max_price":100,"op":"upsert"}`,
			`1 {"auction":1,"bids":2,"max_price":300,"op":"upsert"}`,
			`2 {"auction":2,"bids":1,"max_price":50,"op":"upsert"}`,
			`1 {"auction":1,"bids":3,"max_price":300,"op":"upsert"}`,
		},
		// No key: one row, keyed {}; update_before is not written.
		"sink.avg_of_max": {
			`{} {"auctions":1,"avg_max":100,"total":100}`,
			`{} {"auctions":1,"avg_max":300,"total":300}`,
			`{} {"auctions":2,"avg_max":175,"total":350}`,
			`{} {"auctions":2,"avg_max":175,"total":350}`,
		},
		// Auction 1 passes from its first bid; 2 (50) never does.
		"sink.pricey": {
			`1 {"auction":1,"bids":1,"max_price":100}`,
			`1 {"auction":1,"bids":2,"max_price":300}`,
			`1 {"auction":1,"bids":3,"max_price":300}`,
		},
		// Keyed by the row; a row pushed out is a tombstone.
		"sink.best": {
			`{"auction":1,"bidder":10,"dateTime":"2026-01-01T00:00:01Z","price":100} {"auction":1,"bidder":10,"dateTime":"2026-01-01T00:00:01Z","price":100}`,
			`{"auction":1,"bidder":11,"dateTime":"2026-01-01T00:00:02Z","price":300} {"auction":1,"bidder":11,"dateTime":"2026-01-01T00:00:02Z","price":300}`,
			`{"auction":2,"bidder":10,"dateTime":"2026-01-01T00:00:03Z","price":50} {"auction":2,"bidder":10,"dateTime":"2026-01-01T00:00:03Z","price":50}`,
			`{"auction":1,"bidder":10,"dateTime":"2026-01-01T00:00:01Z","price":100} null`,
			`{"auction":1,"bidder":10,"dateTime":"2026-01-01T00:00:04Z","price":200} {"auction":1,"bidder":10,"dateTime":"2026-01-01T00:00:04Z","price":200}`,
		},
		"sink.last": {
			`{"auction":1,"bidder":10,"dateTime":"2026-01-01T00:00:01Z","op":"upsert","price":100}`,
			`{"auction":1,"bidder":11,"dateTime":"2026-01-01T00:00:02Z","op":"upsert","price":300}`,
			`{"auction":2,"bidder":10,"dateTime":"2026-01-01T00:00:03Z","op":"upsert","price":50}`,
			`{"auction":1,"bidder":10,"dateTime":"2026-01-01T00:00:01Z","op":"delete","price":100}`,
			`{"auction":1,"bidder":10,"dateTime":"2026-01-01T00:00:04Z","op":"upsert","price":200}`,
		},
	}
	got := map[string][]string{}
	for _, o := range out {
		s := canon(t, o.Value)
		if o.Target != "sink.last" {
			s = canon(t, o.Key) + " " + s
		} else {
			// A file sink's key (which a test runner applies changes by)
			// is the row, as a topic sink's: the line without its op.
			var row map[string]any
			if err := json.Unmarshal(o.Value, &row); err != nil {
				t.Fatal(err)
			}
			delete(row, "op")
			b, _ := json.Marshal(row)
			if k, w := canon(t, o.Key), canon(t, b); k != w {
				t.Errorf("sink.last key %s, want the row %s", k, w)
			}
		}
		got[o.Target] = append(got[o.Target], s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

type outs []native.Output

func (o *outs) Emit(x native.Output) error {
	x.Key, x.Value = append([]byte(nil), x.Key...), append([]byte(nil), x.Value...)
	if x.Value != nil && len(x.Value) == 0 {
		x.Value = nil
	}
	*o = append(*o, x)
	return nil
}
func (o *outs) DeadLetter(d native.DeadLetter) error { panic(d.Err) }

// canon re-encodes JSON with sorted keys ("null" for a tombstone).
func canon(t *testing.T, b []byte) string {
	if b == nil {
		return "null"
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	c, _ := json.Marshal(v)
	return string(c)
}

// TestUpsertTopicAsTable: an upsert sink's records (keys, rows, tombstones)
// read back as a table source: a stream–table join no longer matches a
// key the changelog deleted. Auctions with fewer than 2 bids: 1 leaves the
// table at its second bid, 2 stays.
func TestUpsertTopicAsTable(t *testing.T) {
	producer := `pipeline "p" {}
source "bids" {
  topic  = "bids"
  schema = object({ auction = number, price = number })
}
aggregate "n" {
  input  = source.bids
  key    = { auction = record.auction }
  fields = { bids = count() }
}
filter "quiet" {
  input = aggregate.n
  where = record.bids < 2
}
sink "quiet" {
  input = filter.quiet
  topic = "quiet"
}`
	consumer := `pipeline "c" {}
source "quiet" {
  topic  = "quiet"
  table  = true
  key    = record.auction
  schema = object({ auction = number, bids = number })
}
source "asks" {
  topic  = "asks"
  schema = object({ auction = number })
}
join "j" {
  left   = source.asks
  right  = source.quiet
  type   = "left"
  on     = left.auction == right.auction
  fields = { auction = left.auction, bids = right == null ? null : right.bids }
}
sink "out" {
  input = join.j
  topic = "out"
}`
	engine := func(src string) *native.Engine {
		res, diags := lang.LoadFiles(map[string][]byte{"main.hcl": []byte(src)}, lang.Options{})
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		stage := &ir.Stage{ID: "s", Backend: ir.BackendNative}
		for _, op := range res.Pipeline.Operators {
			stage.Operators = append(stage.Operators, op.ID)
		}
		eng, err := native.New(&ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: res.Pipeline, Stages: []*ir.Stage{stage}}, "s")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		return eng
	}
	p := engine(producer)
	p.AddPartitions("source.bids", 0)
	var upserts outs
	for i, b := range []string{`{"auction":1,"price":5}`, `{"auction":2,"price":6}`, `{"auction":1,"price":7}`} {
		if err := p.Process(t.Context(), native.Input{Stream: "source.bids", Offset: int64(i), Value: []byte(b)}, &upserts); err != nil {
			t.Fatal(err)
		}
	}
	c := engine(consumer)
	c.AddPartitions("source.quiet", 0)
	c.AddPartitions("source.asks", 0)
	var joined outs
	for i, o := range upserts {
		in := native.Input{Stream: "source.quiet", Offset: int64(i), Key: o.Key, Value: o.Value}
		if err := c.Process(t.Context(), in, &joined); err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range []string{`{"auction":1}`, `{"auction":2}`} {
		if err := c.Process(t.Context(), native.Input{Stream: "source.asks", Offset: int64(i), Value: []byte(a)}, &joined); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, o := range joined {
		got = append(got, canon(t, o.Value))
	}
	want := []string{`{"auction":1,"bids":null}`, `{"auction":2,"bids":1}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("joined (-want +got):\n%s", diff)
	}
	if len(upserts) != 3 || upserts[2].Value != nil {
		t.Errorf("the upsert sink wrote %d records, the last %q: want 3, the last a tombstone", len(upserts), upserts[len(upserts)-1].Value)
	}
}

// TestChangelogAcrossChannel: a changelog leaving one native stage on a
// channel keeps its row kinds (Output.Kind, then Input.Kind: a worker
// carries them in the pipeline.row_kind header), so the aggregate in the
// next stage retracts updated rows. Per auction max: 1 → 300, 2 → 50; the
// average of the maxima is 175 (without retraction it would count 100).
func TestChangelogAcrossChannel(t *testing.T) {
	src := `pipeline "p" {}
source "bids" {
  topic  = "bids"
  schema = object({ auction = number, price = number })
}
aggregate "best" {
  input  = source.bids
  key    = { auction = record.auction }
  fields = { top = max(record.price) }
}
aggregate "avg" {
  input  = aggregate.best
  fields = { avg_top = avg(record.top), auctions = count() }
}
filter "two" {
  input = aggregate.avg
  where = record.auctions >= 2
}
sink "avg" {
  input = filter.two
  topic = "avg"
}`
	res, diags := lang.LoadFiles(map[string][]byte{"main.hcl": []byte(src)}, lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	plan := &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: res.Pipeline,
		Stages: []*ir.Stage{
			{ID: "a", Backend: ir.BackendNative, Operators: []string{"source.bids", "aggregate.best"}},
			{ID: "b", Backend: ir.BackendNative, Operators: []string{"aggregate.avg", "filter.two", "sink.avg"}},
		},
		Channels: []*ir.Channel{{From: "aggregate.best", To: "aggregate.avg", Topic: "p.best", Stream: "aggregate.best",
			Key: []ir.Expr{{Source: "0"}}, Repartition: true}},
	}
	a, err := native.New(plan, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := native.New(plan, "b")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.AddPartitions("source.bids", 0)
	b.AddPartitions("aggregate.best", 0)
	var channel outs
	for i, bid := range []string{`{"auction":1,"price":100}`, `{"auction":2,"price":50}`, `{"auction":1,"price":300}`} {
		if err := a.Process(t.Context(), native.Input{Stream: "source.bids", Offset: int64(i), Value: []byte(bid)}, &channel); err != nil {
			t.Fatal(err)
		}
	}
	var kinds []uint8
	var out outs
	for i, o := range channel {
		kinds = append(kinds, o.Kind)
		in := native.Input{Stream: "aggregate.best", Offset: int64(i), Key: o.Key, Value: o.Value, TimestampMs: o.TimestampMs, Kind: o.Kind}
		if err := b.Process(t.Context(), in, &out); err != nil {
			t.Fatal(err)
		}
		if o.Kind == 1 {
			// A checkpoint between the update_before and its
			// update_after; stage b resumes from it in a new engine.
			dir := filepath.Join(t.TempDir(), "cp")
			if err := b.Checkpoint(dir); err != nil {
				t.Fatal(err)
			}
			b.Close()
			if b, err = native.New(plan, "b"); err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			b.AddPartitions("aggregate.best", 0)
			if err := b.Restore(dir); err != nil {
				t.Fatal(err)
			}
		}
	}
	// insert, insert, update_before, update_after
	if diff := cmp.Diff([]uint8{0, 0, 1, 2}, kinds); diff != "" {
		t.Errorf("channel row kinds (-want +got):\n%s", diff)
	}
	var rows []string
	for _, o := range out {
		rows = append(rows, fmt.Sprintf("%d %s", o.Kind, canon(t, o.Value)))
	}
	// Auction 2's bid makes 2 auctions: an insert past the filter. The
	// update across the checkpoint is one update, from 75 to 175: its
	// update_before (restored) passes the filter too, so the sink gets an
	// update_after (kind 2), not an insert.
	want := []string{`0 {"auctions":2,"avg_top":75}`, `2 {"auctions":2,"avg_top":175}`}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("avg rows written (-want +got):\n%s", diff)
	}
}
