# Nexmark q4 (nexmark/nexmark, nexmark-flink queries/q4.sql): the average winning price per category, a continuous aggregate over a continuous aggregate

pipeline "nexmark_q4" {
  description = "Nexmark q4: average winning bid price per category"
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

# Bids while their auction is open (B.dateTime BETWEEN A.dateTime AND
# A.expires). within covers the longest auction at the generator's slowest
# rate here (the tests' 10 events/s: up to 334 s).
join "open_bids" {
  left   = source.auction
  right  = source.bid
  on     = left.id == right.auction && parse_time(right.dateTime) >= parse_time(left.dateTime) && parse_time(right.dateTime) <= parse_time(left.expires)
  within = "6m"
  fields = { id = left.id, category = left.category, price = right.price }
}

# No window: a changelog of each auction's highest bid so far.
aggregate "winning" {
  input  = join.open_bids
  key    = { id = record.id, category = record.category }
  fields = { final = max(record.price) }
}

# Over that changelog: each update retracts the auction's previous maximum.
aggregate "per_category" {
  input  = aggregate.winning
  key    = { category = record.category }
  fields = { final = avg(record.final) }
}

# AVG over BIGINT is a BIGINT in the SQL (truncated; prices are positive).
map "q4" {
  input  = aggregate.per_category
  fields = { id = record.category, final = floor(record.final) }
}

# An upsert file sink: each change a line with its op; the final table is
# the query's answer.
sink "out" {
  input  = map.q4
  file   = "out.jsonl"
  format = "json"
}
