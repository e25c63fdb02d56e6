pipeline "pinned" {}

backend "broker" {}

source "orders" {
  topic  = "orders"
  format = "json"
  schema = object({ id = string, amount = number })
}

filter "big" {
  input   = source.orders
  where   = record.amount > 100
  backend = "broker"
}

dedupe "once" {
  input   = filter.big
  key     = record.id
  within  = "1h"
  backend = "beam"
}

sink "out" {
  input  = dedupe.once
  topic  = "out"
  format = "json"
}
