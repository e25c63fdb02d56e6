package beam_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/backends/beam"
	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// differential specs exercise what the examples do not: out-of-order and
// late records against partly fired hopping windows, records that fail to
// decode or evaluate, dedupe horizons, and a stream–stream left join whose
// unmatched records leave at expiry, sessions merged by an out-of-order
// record, a record whose session overlaps one that has fired, sessions that
// only touch, and records late for their session. Their test blocks expect
// nothing; the test compares what Beam and native produce.
var differential = map[string]string{
	"hopping and late": `
pipeline "d" {}
source "in" {
  topic      = "in"
  format     = "json"
  schema     = object({ k = string, n = number, ts = string })
  event_time = record.ts
}
filter "pos" {
  input = source.in
  where = record.n > 0
}
aggregate "a" {
  input            = filter.pos
  key              = { k = record.k }
  window           = hopping("3m", "1m")
  allowed_lateness = "30s"
  fields           = { total = sum(record.n), c = count(), first = first(record.n), last = last(record.n) }
}
sink "out" {
  input  = aggregate.a
  topic  = "out"
  format = "json"
  key    = record.k
}
test "t" {
  given "source.in" {
    records = [
      { k = "x", n = 1, ts = "2026-01-01T00:00:10Z" },
      { k = "y", n = 2, ts = "2026-01-01T00:01:10Z" },
      { k = "x", n = 3, ts = "2026-01-01T00:02:50Z" },
      { k = "x", n = 4, ts = "2026-01-01T00:00:20Z" },
      { k = "x", n = 5, ts = "2026-01-01T00:04:40Z" },
      { k = "x", n = 6, ts = "2026-01-01T00:01:50Z" },
      { k = "y", n = -1, ts = "2026-01-01T00:09:00Z" },
      { k = "y", n = 7, ts = "2026-01-01T00:05:00Z" },
      { k = "x", n = 8, ts = "not a time" },
      { k = "x", n = 10, ts = "2026-01-01T00:08:59Z" },
    ]
  }
  expect "sink.out" {
    records = []
  }
}
`,
	"dedupe and left join": `
pipeline "d" {}
source "a" {
  topic      = "a"
  format     = "json"
  schema     = object({ id = string, v = number, ts = string })
  event_time = record.ts
}
source "b" {
  topic      = "b"
  format     = "json"
  schema     = object({ id = string, w = string, ts = string })
  event_time = record.ts
}
dedupe "once" {
  input  = source.a
  key    = record.id
  within = "2m"
}
join "j" {
  left   = dedupe.once
  right  = source.b
  type   = "left"
  on     = left.id == right.id
  within = "1m"
  fields = { id = left.id, v = left.v, w = right.w, lts = left.ts, rts = right.ts }
}
sink "out" {
  input  = join.j
  topic  = "out"
  format = "json"
}
test "t" {
  given "source.a" {
    records = [
      { id = "p1", v = 1, ts = "2026-01-01T10:00:00Z" },
      { id = "p1", v = 2, ts = "2026-01-01T10:01:00Z" },
      { id = "p2", v = 3, ts = "2026-01-01T10:00:30Z" },
      { id = "p1", v = 4, ts = "2026-01-01T10:03:00Z" },
      { id = "p3", v = 5, ts = "2026-01-01T10:04:00Z" },
      { id = "p4", v = 6, ts = "2026-01-01T10:02:00Z" },
    ]
  }
  given "source.b" {
    records = [
      { id = "p2", w = "A", ts = "2026-01-01T10:01:00Z" },
      { id = "p1", w = "B", ts = "2026-01-01T10:03:30Z" },
      { id = "p3", w = "C", ts = "2026-01-01T10:06:00Z" },
      { id = "p4", w = "D", ts = "2026-01-01T10:01:30Z" },
      { id = "p1", w = "E", ts = "2026-01-01T10:00:40Z" },
    ]
  }
  expect "sink.out" {
    records = []
  }
  expect "dedupe.once" {
    records = []
  }
}
`,
	"sessions and a table": `
pipeline "d" {}
source "r" {
  topic      = "r"
  format     = "json"
  schema     = object({ d = string, t = number, ts = number })
  event_time = record.ts
}
source "devices" {
  topic  = "devices"
  format = "json"
  table  = true
  key    = record.d
  schema = object({ d = string, site = string })
}
join "withsite" {
  left   = source.r
  right  = source.devices
  type   = "inner"
  on     = left.d == right.d
  fields = { d = left.d, site = right.site, t = left.t, ts = left.ts }
}
aggregate "bursts" {
  input            = join.withsite
  key              = { site = record.site }
  window           = session("10s")
  allowed_lateness = "5s"
  fields           = { n = count(), peak = max(record.t), devices = count_distinct(record.d) }
}
sink "out" {
  input  = aggregate.bursts
  topic  = "out"
  format = "json"
}
test "t" {
  given "source.devices" {
    records = [
      { d = "a", site = "s1" },
      { d = "b", site = "s1" },
      { d = "c", site = "s2" },
      { d = "a", site = "s2" },
    ]
  }
  given "source.r" {
    records = [
      { d = "a", t = 1, ts = 1000 },
      { d = "b", t = 2, ts = 8000 },
      { d = "c", t = 3, ts = 9000 },
      { d = "b", t = 4, ts = 30000 },
      { d = "b", t = 5, ts = 12000 },
      { d = "b", t = 6, ts = 17000 },
      { d = "c", t = 11, ts = 41000 },
      { d = "c", t = 7, ts = 31000 },
      { d = "z", t = 8, ts = 32000 },
      { d = "b", t = 9, ts = 60000 },
      { d = "a", t = 10, ts = 36000 },
    ]
  }
  expect "sink.out" {
    records = []
  }
}
`,
}

func TestDifferential(t *testing.T) {
	if testing.Short() {
		t.Skip("runs on Prism")
	}
	for name, src := range differential {
		t.Run(name, func(t *testing.T) {
			res, diags := lang.LoadFiles(map[string][]byte{"main.hcl": []byte(src)}, lang.Options{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			p := res.Pipeline
			for _, tb := range p.Tests {
				nat, err := testrun.Run(p, tb)
				if err != nil {
					t.Fatalf("native: %v", err)
				}
				bm, err := testrun.Run(p, tb, testrun.WithRunner(beam.TestRunner{}))
				if err != nil {
					t.Fatalf("beam: %v", err)
				}
				if len(nat.Got) == 0 || len(nat.Got["sink.out"]) == 0 {
					t.Fatalf("native produced nothing: the spec tests nothing")
				}
				if d := cmp.Diff(nat.Got, bm.Got); d != "" {
					t.Errorf("outputs differ (-native +beam):\n%s", d)
				}
				if d := cmp.Diff(deadReasons(nat.DeadLetters), deadReasons(bm.DeadLetters)); d != "" {
					t.Errorf("dead letters differ (-native +beam):\n%s", d)
				}
				t.Logf("native: %d outputs, dead letters %v", len(nat.Got["sink.out"]), deadReasons(nat.DeadLetters))
			}
		})
	}
}
