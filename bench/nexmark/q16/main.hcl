# Nexmark q16 (nexmark/nexmark, nexmark-flink queries/q16.sql): distinct bidders and auctions per channel, day and price rank

pipeline "nexmark_q16" {
  description = "Nexmark q16: distinct bidders and auctions per channel, day and price rank"
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
  key              = { channel = record.channel, day = formatdate("YYYY-MM-DD", record.dateTime) }
  window           = tumbling("24h")
  allowed_lateness = "4s"
  fields = {
    minute         = max(formatdate("hh:mm", record.dateTime)),
    total_bids     = count(),
    rank1_bids     = count_if(record.price < 10000),
    rank2_bids     = count_if(record.price >= 10000 && record.price < 1000000),
    rank3_bids     = count_if(record.price >= 1000000),
    total_bidders  = count_distinct(record.bidder),
    rank1_bidders  = count_distinct_if(record.bidder, record.price < 10000),
    rank2_bidders  = count_distinct_if(record.bidder, record.price >= 10000 && record.price < 1000000),
    rank3_bidders  = count_distinct_if(record.bidder, record.price >= 1000000),
    total_auctions = count_distinct(record.auction),
    rank1_auctions = count_distinct_if(record.auction, record.price < 10000),
    rank2_auctions = count_distinct_if(record.auction, record.price >= 10000 && record.price < 1000000),
    rank3_auctions = count_distinct_if(record.auction, record.price >= 1000000),
  }
}

map "q16" {
  input = aggregate.daily
  fields = {
    channel        = record.channel, day = record.day, minute = record.minute,
    total_bids     = record.total_bids, rank1_bids = record.rank1_bids, rank2_bids = record.rank2_bids, rank3_bids = record.rank3_bids,
    total_bidders  = record.total_bidders, rank1_bidders = record.rank1_bidders, rank2_bidders = record.rank2_bidders, rank3_bidders = record.rank3_bidders,
    total_auctions = record.total_auctions, rank1_auctions = record.rank1_auctions, rank2_auctions = record.rank2_auctions, rank3_auctions = record.rank3_auctions,
  }
}

sink "out" {
  input  = map.q16
  file   = "out.jsonl"
  format = "json"
}
