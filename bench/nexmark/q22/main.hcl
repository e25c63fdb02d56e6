# Nexmark q22 (nexmark/nexmark, nexmark-flink queries/q22.sql): bids with the first three directories of their URL

pipeline "nexmark_q22" {
  description = "Nexmark q22: bids with the first three directories of their URL"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

# split_index counts from 0, as SPLIT_INDEX(url, '/', n): "https:", "", the host, then the
# directories.
map "q22" {
  input = source.bid
  fields = {
    auction = record.auction, bidder = record.bidder, price = record.price, channel = record.channel,
    dir1    = split_index(record.url, "/", 3),
    dir2    = split_index(record.url, "/", 4),
    dir3    = split_index(record.url, "/", 5),
  }
}

sink "out" {
  input  = map.q22
  file   = "out.jsonl"
  format = "json"
}
