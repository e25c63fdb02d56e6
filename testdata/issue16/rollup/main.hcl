# Issue 16.1: an aggregate of an aggregate whose allowed_lateness is below
# the upstream's loses nothing (README, "Watermarks and event time").
pipeline "rollup" {}

source "hits" {
  file       = "hits.jsonl"
  format     = "json"
  schema     = object({ page = string, n = number, ts = string })
  event_time = record.ts
}

aggregate "per_minute" {
  input            = source.hits
  key              = { page = record.page }
  window           = tumbling("1m")
  allowed_lateness = "30s"
  fields           = { hits = sum(record.n) }
}

aggregate "per_5min" {
  input  = aggregate.per_minute
  key    = { page = record.page }
  window = tumbling("5m")
  fields = { hits = sum(record.hits), minutes = count() }
}

sink "out" {
  input  = aggregate.per_5min
  file   = "out.jsonl"
  format = "json"
}

# Expected by hand: [00:00, 00:05) holds minutes 0-4, 1+2+4+8+16 = 31;
# [00:05, 00:10) minutes 5-7, 32+64+128 = 224.
test "a rollup with less lateness downstream loses nothing" {
  given "source.hits" {
    records = [
      { page = "a", n = 1, ts = "2026-01-01T00:00:10Z" },
      { page = "a", n = 2, ts = "2026-01-01T00:01:10Z" },
      { page = "a", n = 4, ts = "2026-01-01T00:02:10Z" },
      { page = "a", n = 8, ts = "2026-01-01T00:03:10Z" },
      { page = "a", n = 16, ts = "2026-01-01T00:04:10Z" },
      { page = "a", n = 32, ts = "2026-01-01T00:05:10Z" },
      { page = "a", n = 64, ts = "2026-01-01T00:06:10Z" },
      { page = "a", n = 128, ts = "2026-01-01T00:07:10Z" },
    ]
  }
  expect "sink.out" {
    records = [
      { page = "a", hits = 31, minutes = 5, window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:05:00Z" },
      { page = "a", hits = 224, minutes = 3, window_start = "2026-01-01T00:05:00Z", window_end = "2026-01-01T00:10:00Z" },
    ]
  }
}
