# Nexmark q7 (nexmark/nexmark, nexmark-flink queries/q7.sql): the highest bids per 10 s tumbling window

pipeline "nexmark_q7" {
  description = "Nexmark q7: the bids with the highest price per 10 s window, ties kept"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

# The SQL joins the bids with their window's maximum price (B.price =
# B1.maxprice): a top 1 per window by price, ties kept, passes the winning
# bids through whole. The SQL's join range is 1 ms wider than the window (a
# bid at the window's start − 1 ms with the same price joins it too); the
# top does not emit those (README, Nexmark).
top "highest" {
  input    = source.bid
  order_by = record.price
  limit    = 1
  window   = tumbling("10s")
}

map "q7" {
  input  = top.highest
  fields = { auction = record.auction, price = record.price, bidder = record.bidder, dateTime = record.dateTime, extra = record.extra }
}

sink "out" {
  input  = map.q7
  file   = "out.jsonl"
  format = "json"
}
