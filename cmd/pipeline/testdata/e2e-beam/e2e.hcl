# The end-to-end spec of testdata/e2e with its record work on Beam: one
# beam stage (Prism in the apply process) reads the orders, filters,
# projects and counts per customer and minute; two native stages write the
# results with exactly-once delivery, reading the beam stage's output
# through channel topics.
pipeline "e2e" {}

variable "broker" {
  type = string
}

broker "main" {
  brokers = [var.broker]
}

backend "beam" {}

source "orders" {
  topic      = "orders"
  schema     = object({ id = string, amount = number, customer_id = string, country = string, ts = string })
  event_time = record.ts
  backend    = "beam"
}

filter "big_us" {
  input   = source.orders
  where   = record.amount >= 100 && lower(record.country) == "us"
  backend = "beam"
}

map "projected" {
  input   = filter.big_us
  fields  = { id = record.id, amount = record.amount, customer = lower(record.customer_id) }
  backend = "beam"
}

sink "big_us" {
  input    = map.projected
  topic    = "big-us-orders"
  key      = record.id
  delivery = "exactly_once"
  backend  = "native"
}

aggregate "per_minute" {
  input   = source.orders
  key     = { customer = lower(record.customer_id) }
  window  = tumbling("1m")
  fields  = { orders = count(), total = sum(record.amount) }
  backend = "beam"
}

sink "per_minute" {
  input    = aggregate.per_minute
  topic    = "orders-per-minute"
  delivery = "exactly_once"
  backend  = "native"
}
