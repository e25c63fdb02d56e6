# Revenue per gold customer from large US orders: the pipeline of DESIGN.md,
# runnable on one machine. There is no broker block, so `apply` starts an
# embedded broker, and no backend block, so every operator runs on native.

pipeline "orders" {
  description = "Revenue per customer from large US orders"
  optimize    = "cost"
}

variable "min_amount" {
  type    = number
  default = 100
}

source "orders" {
  file       = "data/orders.jsonl" # relative to this directory; bounded
  format     = "json"
  schema     = object({ id = string, amount = number, customer_id = string, country = string, ts = string })
  event_time = record.ts
  stats {
    rate         = 50000
    record_bytes = 120
  }
}

source "customers" {
  file   = "data/customers.jsonl"
  format = "json"
  table  = true # latest value per key
  key    = record.id
  schema = object({ id = string, tier = string })
}

filter "big_us" {
  input = source.orders
  where = record.amount >= var.min_amount && lower(record.country) == "us"
  stats {
    selectivity = 0.2
  }
}

map "normalized" {
  input  = filter.big_us
  fields = { id = record.id, amount = record.amount, customer = lower(record.customer_id), ts = record.ts }
}

# Orders are redelivered by the upstream shop: keep the first copy of each id.
dedupe "once" {
  input  = map.normalized
  key    = record.id
  within = "1h"
}

# Stream–table join: an order from a customer missing from the table keeps a
# null tier and goes to the "other" output.
join "enriched" {
  left   = dedupe.once
  right  = source.customers
  type   = "left"
  on     = left.customer == right.id
  fields = { id = left.id, amount = left.amount, customer = left.customer, tier = right.tier, ts = left.ts }
}

route "by_tier" {
  input = join.enriched
  output "gold" {
    when = record.tier == "gold"
  }
  output "other" {
    default = true
  }
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

sink "other" {
  input    = route.by_tier.other
  topic    = "orders-other-tiers"
  format   = "json"
  key      = record.customer
  delivery = "at_least_once"
}
