# Nexmark q8 (nexmark/nexmark, nexmark-flink queries/q8.sql): persons who entered the system and created an auction in the same 10 s

pipeline "nexmark_q8" {
  description = "Nexmark q8: persons who entered the system and created an auction in the same 10 s"
}

source "person" {
  file       = "../data/person.jsonl"
  format     = "json"
  schema     = object({ id = number, name = string, emailAddress = string, creditCard = string, city = string, state = string, dateTime = string, extra = string })
  event_time = record.dateTime
}

source "auction" {
  file       = "../data/auction.jsonl"
  format     = "json"
  schema     = object({ id = number, itemName = string, description = string, initialBid = number, reserve = number, dateTime = string, expires = string, seller = number, category = number, extra = string })
  event_time = record.dateTime
}

aggregate "new_persons" {
  input            = source.person
  key              = { id = record.id, name = record.name }
  window           = tumbling("10s")
  allowed_lateness = "4s"
  fields           = { persons = count() }
}

aggregate "sellers" {
  input            = source.auction
  key              = { seller = record.seller }
  window           = tumbling("10s")
  allowed_lateness = "4s"
  fields           = { auctions = count() }
}

# Both sides are results of the same 10 s windows, so matching results are
# never more than a window apart.
join "q8" {
  left   = aggregate.new_persons
  right  = aggregate.sellers
  type   = "inner"
  on     = left.id == right.seller && left.window_start == right.window_start
  within = "10s"
  fields = { id = left.id, name = left.name, stime = left.window_start }
}

sink "out" {
  input  = join.q8
  file   = "out.jsonl"
  format = "json"
}
