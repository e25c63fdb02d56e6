# Nexmark q0 (nexmark/nexmark, nexmark-flink queries/q0.sql): pass-through of every bid

pipeline "nexmark_q0" {
  description = "Nexmark q0: pass-through of every bid"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

map "q0" {
  input  = source.bid
  fields = { auction = record.auction, bidder = record.bidder, price = record.price, dateTime = record.dateTime, extra = record.extra }
}

sink "out" {
  input  = map.q0
  file   = "out.jsonl"
  format = "json"
}
