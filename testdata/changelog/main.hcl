# Issue 13: continuous (un-windowed) aggregates and tops, whose output is a
# changelog. Expectations are the final tables by key after every change,
# computed by hand from the bids below:
#   auction 1: 100 (t1), 300 (t2), 200 (t4), 300 (t7)   max 300, 4 bids
#   auction 2:  50 (t3),  80 (t5)                        max 80, 2 bids
#   auction 3:  10 (t6)                                  max 10, 1 bid
pipeline "changelog" {}

source "bids" {
  file       = "bids.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, dateTime = string })
  event_time = record.dateTime
}

# Nexmark q4's shape: a max per auction, then an average over that changelog
# (each update retracts the auction's previous max).
aggregate "max_price" {
  input  = source.bids
  key    = { auction = record.auction }
  fields = { max_price = max(record.price), bids = count() }
}

aggregate "avg_of_max" {
  input  = aggregate.max_price
  fields = { avg_max = avg(record.max_price), auctions = count(), total = sum(record.max_price) }
}

# A filter over a changelog: auction 2 enters the table when its max
# reaches 80.
filter "pricey" {
  input = aggregate.max_price
  where = record.max_price >= 80
}

# Nexmark q19's shape: the 2 best bids per auction over all time.
top "best" {
  input    = source.bids
  key      = [record.auction]
  order_by = [record.price, asc(record.dateTime)]
  limit    = 2
}

# Nexmark q18's shape: keep the last bid per bidder and auction.
top "last" {
  input    = source.bids
  key      = [record.bidder, record.auction]
  order_by = record.dateTime
  limit    = 1
}

sink "max_price" {
  input = aggregate.max_price
  file  = "max_price.jsonl"
}

sink "avg_of_max" {
  input = aggregate.avg_of_max
  topic = "avg-of-max"
}

sink "pricey" {
  input = filter.pricey
  topic = "pricey"
}

sink "best" {
  input = top.best
  topic = "best"
}

sink "last" {
  input = top.last
  file  = "last.jsonl"
}

test "final tables" {
  given "source.bids" {
    records = [
      { auction = 1, bidder = 10, price = 100, dateTime = "2026-01-01T00:00:01Z" },
      { auction = 1, bidder = 11, price = 300, dateTime = "2026-01-01T00:00:02Z" },
      { auction = 2, bidder = 10, price = 50, dateTime = "2026-01-01T00:00:03Z" },
      { auction = 1, bidder = 10, price = 200, dateTime = "2026-01-01T00:00:04Z" },
      { auction = 2, bidder = 12, price = 80, dateTime = "2026-01-01T00:00:05Z" },
      { auction = 3, bidder = 11, price = 10, dateTime = "2026-01-01T00:00:06Z" },
      { auction = 1, bidder = 12, price = 300, dateTime = "2026-01-01T00:00:07Z" },
    ]
  }
  expect "sink.max_price" {
    records = [
      { auction = 1, max_price = 300, bids = 4 },
      { auction = 2, max_price = 80, bids = 2 },
      { auction = 3, max_price = 10, bids = 1 },
    ]
  }
  # A tapped changelog stream: its final table by the group key.
  expect "filter.pricey" {
    records = [
      { auction = 1, max_price = 300, bids = 4 },
      { auction = 2, max_price = 80, bids = 2 },
    ]
  }
  expect "sink.avg_of_max" {
    records = [{ avg_max = 130, auctions = 3, total = 390 }]
  }
  expect "sink.pricey" {
    records = [
      { auction = 1, max_price = 300, bids = 4 },
      { auction = 2, max_price = 80, bids = 2 },
    ]
  }
  expect "sink.best" {
    records = [
      { auction = 1, bidder = 11, price = 300, dateTime = "2026-01-01T00:00:02Z" },
      { auction = 1, bidder = 12, price = 300, dateTime = "2026-01-01T00:00:07Z" },
      { auction = 2, bidder = 12, price = 80, dateTime = "2026-01-01T00:00:05Z" },
      { auction = 2, bidder = 10, price = 50, dateTime = "2026-01-01T00:00:03Z" },
      { auction = 3, bidder = 11, price = 10, dateTime = "2026-01-01T00:00:06Z" },
    ]
  }
  expect "sink.last" {
    records = [
      { auction = 1, bidder = 10, price = 200, dateTime = "2026-01-01T00:00:04Z" },
      { auction = 1, bidder = 11, price = 300, dateTime = "2026-01-01T00:00:02Z" },
      { auction = 2, bidder = 10, price = 50, dateTime = "2026-01-01T00:00:03Z" },
      { auction = 2, bidder = 12, price = 80, dateTime = "2026-01-01T00:00:05Z" },
      { auction = 3, bidder = 11, price = 10, dateTime = "2026-01-01T00:00:06Z" },
      { auction = 1, bidder = 12, price = 300, dateTime = "2026-01-01T00:00:07Z" },
    ]
  }
}
