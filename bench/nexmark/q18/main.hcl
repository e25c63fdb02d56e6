# Nexmark q18 (nexmark/nexmark, nexmark-flink queries/q18.sql): the last bid of each bidder on each auction, keep-last dedupe as a continuous top 1

pipeline "nexmark_q18" {
  description = "Nexmark q18: the last bid per bidder and auction"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

# ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC)
# <= 1: a later bid deletes the earlier one. Bids of one bidder on one
# auction in the same millisecond are both kept (rank semantics).
top "last" {
  input    = source.bid
  key      = [record.bidder, record.auction]
  order_by = record.dateTime
  limit    = 1
}

sink "out" {
  input  = top.last
  file   = "out.jsonl"
  format = "json"
}
