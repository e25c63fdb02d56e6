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

# As Flink's filesystem sink PARTITIONED BY (dt, hm): out/dt=2026-01-01/hm=23%3A59/part.jsonl
# (':' escaped as Hive and Flink escape it). The records keep dt and hm, so
# the files' union is the SQL's rows and each file says where it belongs.
sink "out" {
  input        = map.q10
  file         = "out/part.jsonl"
  partition_by = [record.dt, record.hm]
  format       = "json"
}
