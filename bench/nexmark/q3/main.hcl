# Nexmark q3 (nexmark/nexmark, nexmark-flink queries/q3.sql): who sells in OR, ID or CA in category 10, and which auctions

pipeline "nexmark_q3" {
  description = "Nexmark q3: who sells in OR, ID or CA in category 10, and which auctions"
}

source "auction" {
  file       = "../data/auction.jsonl"
  format     = "json"
  schema     = object({ id = number, itemName = string, description = string, initialBid = number, reserve = number, dateTime = string, expires = string, seller = number, category = number, extra = string })
  event_time = record.dateTime
}

source "person" {
  file   = "../data/person.jsonl"
  format = "json"
  table  = true
  key    = record.id
  schema = object({ id = number, name = string, emailAddress = string, creditCard = string, city = string, state = string, dateTime = string, extra = string })
}

# The SQL's regular join is symmetric; reading the persons as a table gives
# the same final answer over a bounded input, since person ids never repeat.
filter "category_10" {
  input = source.auction
  where = record.category == 10
}

join "seller" {
  left   = filter.category_10
  right  = source.person
  type   = "inner"
  on     = left.seller == right.id
  fields = { name = right.name, city = right.city, state = right.state, id = left.id }
}

filter "q3" {
  input = join.seller
  where = record.state == "OR" || record.state == "ID" || record.state == "CA"
}

sink "out" {
  input  = filter.q3
  file   = "out.jsonl"
  format = "json"
}
