pipeline "orders" {
  description = "Revenue per customer from large US orders"
  optimize    = "cost"
}

variable "min_amount" {
  type    = number
  default = 100
}

variable "api_token" {
  type      = string
  default   = "tok-not-a-real-secret"
  sensitive = true
}

source "orders" {
  topic      = "orders"
  format     = "json"
  schema     = object({ id = string, amount = number, customer_id = string, country = string, ts = string })
  event_time = record.ts
  stats {
    rate         = 50000
    record_bytes = 120
  }
}

source "customers" {
  topic  = "customers"
  format = "json"
  table  = true
  key    = record.id
  schema = object({ id = string, tier = string })
}

filter "big_us" {
  input = source.orders
  where = record.amount >= var.min_amount && lower(record.country) == "us"
}

map "normalized" {
  input  = filter.big_us
  fields = { id = record.id, amount = record.amount, customer = lower(record.customer_id), ts = record.ts }
}

dedupe "once" {
  input  = map.normalized
  key    = record.id
  within = "1h"
}

join "enriched" {
  left   = dedupe.once
  right  = source.customers
  type   = "left"
  on     = left.customer == right.id
  fields = { id = left.id, amount = left.amount, customer = left.customer, tier = right.tier, ts = left.ts }
}

route "by_tier" {
  input = join.enriched
  output "gold" { when = record.tier == "gold" }
  output "other" { default = true }
}

aggregate "revenue" {
  input            = route.by_tier.gold
  key              = { customer = record.customer }
  window           = tumbling("1m")
  allowed_lateness = "10s"
  fields           = { total = sum(record.amount), orders = count(), largest = max(record.amount) }
}

sink "revenue" {
  input    = aggregate.revenue
  topic    = "revenue-per-customer"
  format   = "json"
  key      = record.customer
  delivery = "exactly_once"
}

sink "others" {
  input  = route.by_tier.other
  topic  = "other-orders"
  format = "json"
}
