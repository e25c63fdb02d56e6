# Issue 13: conditional aggregates, as Nexmark q15 counts bids and bidders
# per price rank (count(*) filter (where ...), count(distinct bidder) filter
# (where ...)).
pipeline "aggif" {}

source "bids" {
  file       = "bids.jsonl"
  format     = "json"
  schema     = object({ bidder = number, price = number, dateTime = string })
  event_time = record.dateTime
}

aggregate "ranks" {
  input  = source.bids
  window = tumbling("1m")
  fields = {
    total_bids    = count()
    rank1_bids    = count_if(record.price < 10000)
    rank2_bids    = count_if(record.price >= 10000 && record.price < 1000000)
    total_bidders = count_distinct(record.bidder)
    rank1_bidders = count_distinct_if(record.bidder, record.price < 10000)
    cheap_total   = sum_if(record.price, record.price < 10000)
    cheap_max     = max_if(record.price, record.price < 10000)
  }
}

sink "out" {
  input  = aggregate.ranks
  file   = "out.jsonl"
  format = "json"
}

# Expected by hand. [00:00, 00:01): prices 500 and 9999 are rank 1 (bidder 1
# twice), 20000 and 10000 rank 2, 1500000 neither; bidders {1, 2, 3}.
# [00:01, 00:02): one rank-1 bid.
test "bids and bidders per price rank" {
  given "source.bids" {
    records = [
      { bidder = 1, price = 500, dateTime = "2026-01-01T00:00:10Z" },
      { bidder = 2, price = 20000, dateTime = "2026-01-01T00:00:20Z" },
      { bidder = 1, price = 9999, dateTime = "2026-01-01T00:00:30Z" },
      { bidder = 3, price = 10000, dateTime = "2026-01-01T00:00:40Z" },
      { bidder = 2, price = 1500000, dateTime = "2026-01-01T00:00:50Z" },
      { bidder = 4, price = 10, dateTime = "2026-01-01T00:01:05Z" },
    ]
  }
  expect "sink.out" {
    records = [
      { total_bids = 5, rank1_bids = 2, rank2_bids = 2, total_bidders = 3, rank1_bidders = 1, cheap_total = 10499, cheap_max = 9999,
      window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
      { total_bids = 1, rank1_bids = 1, rank2_bids = 0, total_bidders = 1, rank1_bidders = 1, cheap_total = 10, cheap_max = 10,
      window_start = "2026-01-01T00:01:00Z", window_end = "2026-01-01T00:02:00Z" },
    ]
  }
}

# A window where no bid meets the condition: counts are 0, sum and max null.
test "no bid meets the condition" {
  given "source.bids" {
    records = [
      { bidder = 7, price = 50000, dateTime = "2026-01-01T00:00:10Z" },
    ]
  }
  expect "sink.out" {
    records = [
      { total_bids = 1, rank1_bids = 0, rank2_bids = 1, total_bidders = 1, rank1_bidders = 0, cheap_total = null, cheap_max = null,
      window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
    ]
  }
}
