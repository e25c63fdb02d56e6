pipeline "orders" {
  description = "Revenue per customer from large US orders"
  optimize    = "cost"              # cost | latency | throughput
}

variable "min_amount" {
  type    = number
  default = 100
}

broker "main" {                     # a Kafka-protocol cluster; no broker block = embedded broker
  brokers = ["localhost:9092"]
  sasl {
    mechanism = "SCRAM-SHA-512"
    username  = "svc"
    password  = env("KAFKA_PASSWORD")
  }
  tls  { enabled = true }
}

backend "broker" { admin_url = "http://localhost:9644" }   # Redpanda Admin API
backend "native" { instances = 2 }
backend "beam"   { runner = "prism" }                     # or runner = "flink", endpoint = "host:8099"

source "orders" {
  topic      = "orders"
  format     = "json"
  schema     = object({ id = string, amount = number, customer_id = string, country = string, ts = string })
  event_time = record.ts             # RFC 3339 string or epoch milliseconds
  stats {                            # optimizer hints: records/s, bytes/record
    rate         = 50000
    record_bytes = 120
  }
}

source "customers" {
  topic  = "customers"
  format = "json"
  table  = true                      # compacted topic read as latest value per key
  key    = record.id
  schema = object({ id = string, tier = string })
}

filter "big_us" {
  input = source.orders
  where = record.amount >= var.min_amount && lower(record.country) == "us"
  stats { selectivity = 0.2 }
}

map "normalized" {
  input  = filter.big_us
  fields = { id = record.id, amount = record.amount, customer = lower(record.customer_id), ts = record.ts }
}

route "by_tier" {                    # outputs are route.by_tier.<name>
  input = join.enriched
  output "gold"  { when = record.tier == "gold" }
  output "other" { default = true }
}

join "enriched" {
  left   = dedupe.once
  right  = source.customers          # table on the right: stream–table join
  type   = "left"                    # inner | left
  on     = left.customer == right.id
  fields = { id = left.id, amount = left.amount, customer = left.customer, tier = right.tier, ts = left.ts }
  # within = "5m"                    # stream–stream join window
}

dedupe "once" {
  input  = map.normalized
  key    = record.id
  within = "1h"
}

aggregate "revenue" {
  input  = route.by_tier.gold
  key    = { customer = record.customer }
  window = tumbling("1m")            # hopping("5m", "1m"), session("30s")
  allowed_lateness = "10s"
  fields = { total = sum(record.amount), orders = count(), largest = max(record.amount) }
}

sink "revenue" {
  input    = aggregate.revenue
  topic    = "revenue-per-customer"
  format   = "json"
  key      = record.customer
  delivery = "exactly_once"          # at_least_once | exactly_once
}

test "only gold customers are summed" {
  given "source.orders"    { records = [{ id = "o1", amount = 150, customer_id = "C1", country = "US", ts = "2026-01-01T00:00:05Z" }] }
  given "source.customers" { records = [{ id = "c1", tier = "gold" }] }
  expect "sink.revenue" {
    records = [{ customer = "c1", total = 150, orders = 1, largest = 150,
                 window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" }]
  }
}
