# Nexmark q11 (nexmark/nexmark, nexmark-flink queries/q11.sql): bids per bidder session (10 s gap)

pipeline "nexmark_q11" {
  description = "Nexmark q11: bids per bidder session (10 s gap)"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

aggregate "sessions" {
  input            = source.bid
  key              = { bidder = record.bidder }
  window           = session("10s")
  allowed_lateness = "4s"
  fields           = { bid_count = count() }
}

map "q11" {
  input  = aggregate.sessions
  fields = { bidder = record.bidder, bid_count = record.bid_count, starttime = record.window_start, endtime = record.window_end }
}

sink "out" {
  input  = map.q11
  file   = "out.jsonl"
  format = "json"
}
