# Nexmark q21 (nexmark/nexmark, nexmark-flink queries/q21.sql): bids with a channel id from the channel name or the URL

pipeline "nexmark_q21" {
  description = "Nexmark q21: bids with a channel id from the channel name or the URL"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

locals {
  # REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2), null when it does not match.
  channel_id_pattern = "(&|^)channel_id=([^&]*)"
}

map "with_channel_id" {
  input = source.bid
  fields = {
    auction        = record.auction, bidder = record.bidder, price = record.price, channel = record.channel,
    lower_channel  = lower(record.channel),
    url_channel_id = regex_extract(record.url, local.channel_id_pattern, 2),
  }
}

filter "known_channel" {
  input = map.with_channel_id
  where = record.url_channel_id != null || contains(["apple", "google", "facebook", "baidu"], record.lower_channel)
}

map "q21" {
  input = filter.known_channel
  fields = {
    auction = record.auction, bidder = record.bidder, price = record.price, channel = record.channel,
    channel_id = (
      record.lower_channel == "apple" ? "0" :
      record.lower_channel == "google" ? "1" :
      record.lower_channel == "facebook" ? "2" :
      record.lower_channel == "baidu" ? "3" :
      record.url_channel_id
    ),
  }
}

sink "out" {
  input  = map.q21
  file   = "out.jsonl"
  format = "json"
}
