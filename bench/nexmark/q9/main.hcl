# Nexmark q9 (nexmark/nexmark, nexmark-flink queries/q9.sql): the winning bid of each auction, a continuous top 1 per auction

pipeline "nexmark_q9" {
  description = "Nexmark q9: the winning bid of each auction"
}

source "auction" {
  file       = "../data/auction.jsonl"
  format     = "json"
  schema     = object({ id = number, itemName = string, description = string, initialBid = number, reserve = number, dateTime = string, expires = string, seller = number, category = number, extra = string })
  event_time = record.dateTime
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

# Bids while their auction is open; within as in q4.
join "open_bids" {
  left   = source.auction
  right  = source.bid
  on     = left.id == right.auction && parse_time(right.dateTime) >= parse_time(left.dateTime) && parse_time(right.dateTime) <= parse_time(left.expires)
  within = "6m"
  fields = {
    id = left.id, itemName = left.itemName, description = left.description, initialBid = left.initialBid,
    reserve = left.reserve, dateTime = left.dateTime, expires = left.expires, seller = left.seller,
    category = left.category, extra = left.extra,
    auction = right.auction, bidder = right.bidder, price = right.price, bid_dateTime = right.dateTime, bid_extra = right.extra
  }
}

# ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC)
# <= 1, without a window: a changelog (a better bid deletes the previous
# winner). Bids tied on price and time are both kept (rank semantics).
top "winning" {
  input    = join.open_bids
  key      = [record.id]
  order_by = [record.price, asc(record.bid_dateTime)]
  limit    = 1
}

sink "out" {
  input  = top.winning
  file   = "out.jsonl"
  format = "json"
}
