# Nexmark q17 (nexmark/nexmark, nexmark-flink queries/q17.sql): bids and prices per auction and day

pipeline "nexmark_q17" {
  description = "Nexmark q17: bids and prices per auction and day"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

# The SQL groups by the day without a window and updates its rows as bids
# arrive; over a bounded input its final rows are these one-day tumbling
# windows (UTC days). The SQL's FILTER (WHERE cond) clauses are the _if
# aggregates.
aggregate "daily" {
  input            = source.bid
  key              = { auction = record.auction, day = formatdate("YYYY-MM-DD", record.dateTime) }
  window           = tumbling("24h")
  allowed_lateness = "4s"
  fields = {
    total_bids = count(),
    rank1_bids = count_if(record.price < 10000),
    rank2_bids = count_if(record.price >= 10000 && record.price < 1000000),
    rank3_bids = count_if(record.price >= 1000000),
    min_price  = min(record.price),
    max_price  = max(record.price),
    avg_price  = avg(record.price),
    sum_price  = sum(record.price),
  }
}

# avg_price is BIGINT in the SQL: the average truncated (prices are positive).
map "q17" {
  input = aggregate.daily
  fields = {
    auction    = record.auction, day = record.day,
    total_bids = record.total_bids, rank1_bids = record.rank1_bids, rank2_bids = record.rank2_bids, rank3_bids = record.rank3_bids,
    min_price  = record.min_price, max_price = record.max_price, avg_price = floor(record.avg_price), sum_price = record.sum_price,
  }
}

sink "out" {
  input  = map.q17
  file   = "out.jsonl"
  format = "json"
}
