# Nexmark q1 (nexmark/nexmark, nexmark-flink queries/q1.sql): bid prices converted from dollars to euros

pipeline "nexmark_q1" {
  description = "Nexmark q1: bid prices converted from dollars to euros"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

map "q1" {
  input  = source.bid
  fields = { auction = record.auction, bidder = record.bidder, price = 0.908 * record.price, dateTime = record.dateTime, extra = record.extra }
}

sink "out" {
  input  = map.q1
  file   = "out.jsonl"
  format = "json"
}
