# Nexmark q10 (nexmark/nexmark, nexmark-flink queries/q10.sql): every bid with its day and minute (the log-to-files query)

pipeline "nexmark_q10" {
  description = "Nexmark q10: every bid with its day and minute (the log-to-files query)"
}

source "bid" {
  file       = "../data/bid.jsonl"
  format     = "json"
  schema     = object({ auction = number, bidder = number, price = number, channel = string, url = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

# Flink writes files partitioned by dt and hm; this writes one file with the
# partition columns (partitioned file sinks are not in the language yet).
map "q10" {
  input = source.bid
  fields = {
    auction  = record.auction,
    bidder   = record.bidder,
    price    = record.price,
    dateTime = record.dateTime,
    extra    = record.extra,
    dt       = formatdate("YYYY-MM-DD", record.dateTime),
    hm       = formatdate("hh:mm", record.dateTime),
  }
}

sink "out" {
  input  = map.q10
  file   = "out.jsonl"
  format = "json"
}
