# Issue 13, windowed results over windowed results: bids per auction per
# 10 s, then, over those counts, the hottest count and how many auctions had
# bids, per the same 10 s window and per minute. A window's result carries
# the event time window end − 1 ms, so it falls into the same window of the
# next aggregate, and into the minute that holds it.

pipeline "rollup" {}

source "bid" {
  topic      = "bids"
  format     = "json"
  schema     = object({ auction = number, price = number, ts = string })
  event_time = record.ts
}

aggregate "per_auction" {
  input  = source.bid
  window = tumbling("10s")
  key    = { auction = record.auction }
  fields = { num = count() }
}

# Grouped by the input's window: the same window again.
aggregate "hottest" {
  input  = aggregate.per_auction
  window = tumbling("10s")
  key    = { ws = record.window_start }
  fields = { maxn = max(record.num), auctions = count() }
}

# A coarser window over the finer one's results.
aggregate "per_minute" {
  input  = aggregate.per_auction
  window = tumbling("1m")
  fields = { bids = sum(record.num), busiest = max(record.num) }
}

sink "hottest" {
  input = aggregate.hottest
  topic = "hottest"
}

sink "per_minute" {
  input = aggregate.per_minute
  topic = "per-minute"
}

# Windows [0s,10s): auction 1 has 2 bids, auction 2 has 1; [10s,20s):
# auction 2 has 1; [1m10s,1m20s): auction 3 has 3. Minute 0 sums 2+1+1 = 4
# bids, busiest 2; minute 1 has 3.
test "two levels of windows" {
  given "source.bid" {
    records = [
      { auction = 1, price = 1, ts = "2026-01-01T00:00:01Z" },
      { auction = 1, price = 1, ts = "2026-01-01T00:00:02Z" },
      { auction = 2, price = 1, ts = "2026-01-01T00:00:03Z" },
      { auction = 2, price = 1, ts = "2026-01-01T00:00:13Z" },
      { auction = 3, price = 1, ts = "2026-01-01T00:01:11Z" },
      { auction = 3, price = 1, ts = "2026-01-01T00:01:12Z" },
      { auction = 3, price = 1, ts = "2026-01-01T00:01:19Z" },
    ]
  }
  expect "sink.hottest" {
    records = [
      { ws = "2026-01-01T00:00:00Z", maxn = 2, auctions = 2, window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:00:10Z" },
      { ws = "2026-01-01T00:00:10Z", maxn = 1, auctions = 1, window_start = "2026-01-01T00:00:10Z", window_end = "2026-01-01T00:00:20Z" },
      { ws = "2026-01-01T00:01:10Z", maxn = 3, auctions = 1, window_start = "2026-01-01T00:01:10Z", window_end = "2026-01-01T00:01:20Z" },
    ]
  }
  expect "sink.per_minute" {
    records = [
      { bids = 4, busiest = 2, window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
      { bids = 3, busiest = 3, window_start = "2026-01-01T00:01:00Z", window_end = "2026-01-01T00:02:00Z" },
    ]
  }
}
