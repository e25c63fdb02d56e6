# Nexmark q19 (nexmark/nexmark, nexmark-flink queries/q19.sql): the 10 highest bids of each auction, a continuous top 10

pipeline "nexmark_q19" {
  description = "Nexmark q19: the top 10 bids per auction"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

# ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) <= 10, over
# all time. Written without the SQL's rank_number column: a row's rank
# changes whenever a better bid arrives, and rows here are keyed by
# themselves. Bids tied with the 10th are kept (rank semantics).
top "best" {
  input    = source.bid
  key      = [record.auction]
  order_by = record.price
  limit    = 10
}

sink "out" {
  input  = top.best
  file   = "out.jsonl"
  format = "json"
}
