# Nexmark q2 (nexmark/nexmark, nexmark-flink queries/q2.sql): bids on every 123rd auction

pipeline "nexmark_q2" {
  description = "Nexmark q2: bids on every 123rd auction"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

filter "every_123rd" {
  input = source.bid
  where = record.auction % 123 == 0
}

map "q2" {
  input  = filter.every_123rd
  fields = { auction = record.auction, price = record.price }
}

sink "out" {
  input  = map.q2
  file   = "out.jsonl"
  format = "json"
}
