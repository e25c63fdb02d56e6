# Nexmark q5 (nexmark/nexmark, nexmark-flink queries/q5.sql): hot items, the auctions with the most bids per 10 s window sliding by 2 s

pipeline "nexmark_q5" {
  description = "Nexmark q5: the auctions with the most bids per hopping window"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

aggregate "bids_per_auction" {
  input            = source.bid
  key              = { auction = record.auction }
  window           = hopping("10s", "2s")
  allowed_lateness = "4s"
  fields           = { num = count() }
}

# The SQL joins each window's counts with their maximum (num >= maxn): a top
# 1 per window with ties kept.
top "hottest" {
  input    = aggregate.bids_per_auction
  order_by = record.num
  limit    = 1
}

map "q5" {
  input  = top.hottest
  fields = { auction = record.auction, num = record.num }
}

sink "out" {
  input  = map.q5
  file   = "out.jsonl"
  format = "json"
}
