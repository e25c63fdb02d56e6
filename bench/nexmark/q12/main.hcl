# Nexmark q12 (nexmark/nexmark, nexmark-flink queries/q12.sql): bids per bidder in 10 s processing-time windows

pipeline "nexmark_q12" {
  description = "Nexmark q12: bids per bidder in 10 s processing-time windows"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

# The SQL's windows are over PROCTIME(): when a bid reaches the job, not
# its dateTime. A run's answer depends on arrival; the test block's clock
# has each bid arrive at its dateTime (README, "Processing-time windows").
aggregate "bids_per_bidder" {
  input       = source.bid
  key         = { bidder = record.bidder }
  window      = tumbling("10s")
  window_time = "processing"
  fields      = { bid_count = count() }
}

map "q12" {
  input  = aggregate.bids_per_bidder
  fields = { bidder = record.bidder, bid_count = record.bid_count, starttime = record.window_start, endtime = record.window_end }
}

sink "out" {
  input  = map.q12
  file   = "out.jsonl"
  format = "json"
}
