# Nexmark q14 (nexmark/nexmark, nexmark-flink queries/q14.sql): bid time types and a character count over bids in a price band

pipeline "nexmark_q14" {
  description = "Nexmark q14: bid time types and a character count over bids in a price band"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

filter "price_band" {
  input = source.bid
  where = 0.908 * record.price > 1000000 && 0.908 * record.price < 50000000
}

# c_counts counts the letter c in extra (the SQL's count_char UDF): splitting
# on "c" gives one more piece than there are c's.
map "q14" {
  input = filter.price_band
  fields = {
    auction = record.auction,
    bidder  = record.bidder,
    price   = 0.908 * record.price,
    bidTimeType = (
      tonumber(formatdate("h", record.dateTime)) >= 8 && tonumber(formatdate("h", record.dateTime)) <= 18 ? "dayTime" :
      tonumber(formatdate("h", record.dateTime)) <= 6 || tonumber(formatdate("h", record.dateTime)) >= 20 ? "nightTime" :
      "otherTime"
    ),
    dateTime = record.dateTime,
    extra    = record.extra,
    c_counts = length(split("c", record.extra)) - 1,
  }
}

sink "out" {
  input  = map.q14
  file   = "out.jsonl"
  format = "json"
}
