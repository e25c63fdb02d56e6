# The end-to-end test's spec: a broker in another process, big US orders
# projected to one topic and counted per customer and minute into another.
pipeline "e2e" {}

variable "broker" {
  type = string
}

broker "main" {
  brokers = [var.broker]
}

source "orders" {
  topic      = "orders"
  schema     = object({ id = string, amount = number, customer_id = string, country = string, ts = string })
  event_time = record.ts
}

filter "big_us" {
  input = source.orders
  where = record.amount >= 100 && lower(record.country) == "us"
}

map "projected" {
  input  = filter.big_us
  fields = { id = record.id, amount = record.amount, customer = lower(record.customer_id) }
}

sink "big_us" {
  input    = map.projected
  topic    = "big-us-orders"
  key      = record.id
  delivery = "exactly_once"
}

aggregate "per_minute" {
  input  = source.orders
  key    = { customer = lower(record.customer_id) }
  window = tumbling("1m")
  fields = { orders = count(), total = sum(record.amount) }
}

sink "per_minute" {
  input    = aggregate.per_minute
  topic    = "orders-per-minute"
  delivery = "exactly_once"
}
