# Issue 16.6: one far-future event time does not silence the pipeline.
pipeline "future" {}

source "clicks" {
  file       = "clicks.jsonl"
  format     = "json"
  schema     = object({ user = string, ts = string })
  event_time = record.ts
  max_future = "1h"
}

filter "real" {
  input = source.clicks
  where = record.user != "bot"
}

aggregate "per_minute" {
  input  = filter.real
  key    = { user = record.user }
  window = tumbling("1m")
  fields = { clicks = count() }
}

sink "out" {
  input  = aggregate.per_minute
  file   = "out.jsonl"
  format = "json"
}

# The 2099 record is dead-lettered as future by source.clicks and does not
# move the watermark, so the records after it are not late; 00:59:00 is
# within the hour after 00:00:20 and counts.
test "a far-future record is dead-lettered and does not move the watermark" {
  given "source.clicks" {
    records = [
      { user = "u", ts = "2026-01-01T00:00:10Z" },
      { user = "bot", ts = "2099-01-01T00:00:00Z" },
      { user = "u", ts = "2026-01-01T00:00:20Z" },
      { user = "u", ts = "2026-01-01T00:01:10Z" },
      { user = "u", ts = "2026-01-01T00:59:00Z" },
    ]
  }
  expect "sink.out" {
    records = [
      { user = "u", clicks = 2, window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
      { user = "u", clicks = 1, window_start = "2026-01-01T00:01:00Z", window_end = "2026-01-01T00:02:00Z" },
      { user = "u", clicks = 1, window_start = "2026-01-01T00:59:00Z", window_end = "2026-01-01T01:00:00Z" },
    ]
  }
}
