# Issue 13: top-N per key and window, ties kept. "hottest" is Nexmark q5's
# shape (the auctions with the most bids per window, over a windowed
# result); "best_bids" and "best_bid" rank raw bids in their own window.
pipeline "top" {}

source "bids" {
  file       = "bids.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, dateTime = string })
  event_time = record.dateTime
}

aggregate "per_auction" {
  input  = source.bids
  key    = { auction = record.auction }
  window = tumbling("1m")
  fields = { num = count() }
}

top "hottest" {
  input    = aggregate.per_auction
  order_by = record.num
  limit    = 1
}

top "best_bids" {
  input    = source.bids
  key      = [record.auction]
  order_by = record.price
  limit    = 3
  window   = tumbling("1m")
}

top "best_bid" {
  input    = source.bids
  key      = [record.auction]
  order_by = [desc(record.price), asc(record.bidder)]
  limit    = 1
  window   = tumbling("1m")
}

sink "hottest" {
  input = top.hottest
  file  = "hottest.jsonl"
}

sink "best_bids" {
  input = top.best_bids
  file  = "best_bids.jsonl"
}

sink "best_bid" {
  input = top.best_bid
  file  = "best_bid.jsonl"
}

# Expected by hand.
# per_auction: [00:00, 00:01) auction 1 has 5 bids, 2 and 3 one each;
# [00:01, 00:02) auctions 1 and 3 have 2 each: a tie, both are emitted.
# best_bids, limit 3 by price: auction 1's first minute has 300, 300, 200,
# 200, 100; the third place is tied at 200, so four bids are kept and only
# the 100 is dropped; every other group has at most 3 bids.
# best_bid: price first, then the lower bidder: 300 is tied between bidders
# 4 and 3, bidder 3 wins.
test "top per window with ties" {
  given "source.bids" {
    records = [
      { auction = 1, bidder = 5, price = 100, dateTime = "2026-01-01T00:00:05Z" },
      { auction = 1, bidder = 4, price = 300, dateTime = "2026-01-01T00:00:10Z" },
      { auction = 2, bidder = 1, price = 50, dateTime = "2026-01-01T00:00:15Z" },
      { auction = 1, bidder = 3, price = 300, dateTime = "2026-01-01T00:00:20Z" },
      { auction = 1, bidder = 2, price = 200, dateTime = "2026-01-01T00:00:25Z" },
      { auction = 1, bidder = 6, price = 200, dateTime = "2026-01-01T00:00:30Z" },
      { auction = 3, bidder = 7, price = 70, dateTime = "2026-01-01T00:00:35Z" },
      { auction = 1, bidder = 9, price = 10, dateTime = "2026-01-01T00:01:30Z" },
      { auction = 3, bidder = 8, price = 20, dateTime = "2026-01-01T00:01:35Z" },
      { auction = 3, bidder = 8, price = 25, dateTime = "2026-01-01T00:01:40Z" },
      { auction = 1, bidder = 9, price = 11, dateTime = "2026-01-01T00:01:45Z" },
    ]
  }
  expect "sink.hottest" {
    records = [
      { auction = 1, num = 5, window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
      { auction = 1, num = 2, window_start = "2026-01-01T00:01:00Z", window_end = "2026-01-01T00:02:00Z" },
      { auction = 3, num = 2, window_start = "2026-01-01T00:01:00Z", window_end = "2026-01-01T00:02:00Z" },
    ]
  }
  expect "sink.best_bids" {
    records = [
      { auction = 1, bidder = 4, price = 300, dateTime = "2026-01-01T00:00:10Z" },
      { auction = 1, bidder = 3, price = 300, dateTime = "2026-01-01T00:00:20Z" },
      { auction = 1, bidder = 2, price = 200, dateTime = "2026-01-01T00:00:25Z" },
      { auction = 1, bidder = 6, price = 200, dateTime = "2026-01-01T00:00:30Z" },
      { auction = 2, bidder = 1, price = 50, dateTime = "2026-01-01T00:00:15Z" },
      { auction = 3, bidder = 7, price = 70, dateTime = "2026-01-01T00:00:35Z" },
      { auction = 1, bidder = 9, price = 10, dateTime = "2026-01-01T00:01:30Z" },
      { auction = 1, bidder = 9, price = 11, dateTime = "2026-01-01T00:01:45Z" },
      { auction = 3, bidder = 8, price = 20, dateTime = "2026-01-01T00:01:35Z" },
      { auction = 3, bidder = 8, price = 25, dateTime = "2026-01-01T00:01:40Z" },
    ]
  }
  expect "sink.best_bid" {
    records = [
      { auction = 1, bidder = 3, price = 300, dateTime = "2026-01-01T00:00:20Z" },
      { auction = 2, bidder = 1, price = 50, dateTime = "2026-01-01T00:00:15Z" },
      { auction = 3, bidder = 7, price = 70, dateTime = "2026-01-01T00:00:35Z" },
      { auction = 1, bidder = 9, price = 11, dateTime = "2026-01-01T00:01:45Z" },
      { auction = 3, bidder = 8, price = 25, dateTime = "2026-01-01T00:01:40Z" },
    ]
  }
}
