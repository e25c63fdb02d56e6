# Nexmark q20 (nexmark/nexmark, nexmark-flink queries/q20.sql): bids with their auction, for auctions in category 10

pipeline "nexmark_q20" {
  description = "Nexmark q20: bids with their auction, for auctions in category 10"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

source "auction" {
  file   = "../data/auction.jsonl"
  format = "json"
  table  = true
  key    = record.id
  schema = object({ id = number, itemName = string, description = string, initialBid = number, reserve = number, dateTime = string, expires = string, seller = number, category = number, extra = string })
}

# The SQL's regular join is symmetric; reading the auctions as a table gives
# the same final answer over a bounded input, since auction ids never repeat.
join "with_auction" {
  left  = source.bid
  right = source.auction
  type  = "inner"
  on    = left.auction == right.id
  fields = {
    auction          = left.auction, bidder = left.bidder, price = left.price, channel = left.channel, url = left.url,
    bid_dateTime     = left.dateTime, bid_extra = left.extra,
    itemName         = right.itemName, description = right.description, initialBid = right.initialBid, reserve = right.reserve,
    auction_dateTime = right.dateTime, expires = right.expires, seller = right.seller, category = right.category,
    auction_extra    = right.extra,
  }
}

filter "q20" {
  input = join.with_auction
  where = record.category == 10
}

sink "out" {
  input  = filter.q20
  file   = "out.jsonl"
  format = "json"
}
