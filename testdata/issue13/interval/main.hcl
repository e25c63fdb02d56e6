# Issue 13: an interval join, as Nexmark q4/q9 join bids to their auction
# while it is open: the equality keys the join, the bounds between the two
# sides' times filter the pairs, and within bounds the state.
pipeline "interval" {}

source "auctions" {
  file       = "auctions.jsonl"
  format     = "json"
  schema     = object({ id = number, dateTime = string, expires = string })
  event_time = record.dateTime
}

source "bids" {
  file       = "bids.jsonl"
  format     = "json"
  schema     = object({ auction = number, price = number, dateTime = string })
  event_time = record.dateTime
}

join "open_bids" {
  left   = source.auctions
  right  = source.bids
  on     = left.id == right.auction && parse_time(right.dateTime) >= parse_time(left.dateTime) && parse_time(right.dateTime) <= parse_time(left.expires)
  within = "10m"
  fields = { auction = left.id, price = right.price, bid_time = right.dateTime }
}

join "with_unmatched" {
  left   = source.auctions
  right  = source.bids
  type   = "left"
  on     = left.id == right.auction && parse_time(right.dateTime) >= parse_time(left.dateTime) && parse_time(right.dateTime) <= parse_time(left.expires)
  within = "10m"
  fields = { auction = left.id, price = right == null ? null : right.price }
}

sink "open_bids" {
  input = join.open_bids
  file  = "open_bids.jsonl"
}

sink "with_unmatched" {
  input = join.with_unmatched
  file  = "with_unmatched.jsonl"
}

# Expected by hand. Auction 1 is open [00:00:00, 00:01:00]: bids at 00:00:10
# and 00:00:59 match, the one at 00:01:30 is after it closed. Auction 2 is
# open [00:00:30, 00:00:50]: the bid at 00:00:20 came before it opened, the
# one at 00:00:45 matches. Auction 3's only bid came before it opened: no
# pair, so the left join emits it with a null price.
test "bids while the auction is open" {
  given "source.auctions" {
    records = [
      { id = 1, dateTime = "2026-01-01T00:00:00Z", expires = "2026-01-01T00:01:00Z" },
      { id = 2, dateTime = "2026-01-01T00:00:30Z", expires = "2026-01-01T00:00:50Z" },
      { id = 3, dateTime = "2026-01-01T00:00:50Z", expires = "2026-01-01T00:01:10Z" },
    ]
  }
  given "source.bids" {
    records = [
      { auction = 1, price = 10, dateTime = "2026-01-01T00:00:10Z" },
      { auction = 2, price = 30, dateTime = "2026-01-01T00:00:20Z" },
      { auction = 3, price = 50, dateTime = "2026-01-01T00:00:40Z" },
      { auction = 2, price = 40, dateTime = "2026-01-01T00:00:45Z" },
      { auction = 1, price = 60, dateTime = "2026-01-01T00:00:59Z" },
      { auction = 1, price = 20, dateTime = "2026-01-01T00:01:30Z" },
    ]
  }
  expect "sink.open_bids" {
    records = [
      { auction = 1, price = 10, bid_time = "2026-01-01T00:00:10Z" },
      { auction = 2, price = 40, bid_time = "2026-01-01T00:00:45Z" },
      { auction = 1, price = 60, bid_time = "2026-01-01T00:00:59Z" },
    ]
  }
  expect "sink.with_unmatched" {
    records = [
      { auction = 1, price = 10 },
      { auction = 2, price = 40 },
      { auction = 1, price = 60 },
      { auction = 3, price = null },
    ]
  }
}
