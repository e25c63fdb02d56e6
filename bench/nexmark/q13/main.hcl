# Nexmark q13 (nexmark/nexmark, nexmark-flink queries/q13.sql): bids joined with a bounded side input

pipeline "nexmark_q13" {
  description = "Nexmark q13: bids joined with a bounded side input"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

source "side_input" {
  file   = "../data/side_input.jsonl"
  format = "json"
  table  = true
  key    = record.key
  schema = object({ key = number, value = string })
}

join "q13" {
  left   = source.bid
  right  = source.side_input
  type   = "inner"
  on     = left.auction % 10000 == right.key
  fields = { auction = left.auction, bidder = left.bidder, price = left.price, dateTime = left.dateTime, value = right.value }
}

sink "out" {
  input  = join.q13
  file   = "out.jsonl"
  format = "json"
}
