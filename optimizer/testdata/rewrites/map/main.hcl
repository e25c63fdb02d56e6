# A filter written after a map that copies the fields it reads: the
# optimizer runs it before the map, so it cuts records before the map (and
# before the channel to native, where the map is pinned) and runs on the
# broker, which sends a tenth of the bytes to native instead of all of them.

pipeline "pushdown_map" {
  description = "Large US orders, normalized, then filtered"
  optimize    = "cost"
}

backend "broker" {}

variable "min_amount" {
  type    = number
  default = 100
}

source "orders" {
  topic  = "orders"
  format = "json"
  schema = object({ id = string, amount = number, customer_id = string, country = string, note = string, ts = string })
  stats {
    rate         = 200000
    record_bytes = 1000
  }
}

# Pinned to native (say, for a lookup only native has).
map "normalized" {
  input   = source.orders
  backend = "native"
  fields = {
    id       = record.id
    amt      = record.amount
    country  = record["country"]
    customer = lower(record.customer_id)
    ts       = record.ts
  }
}

# Reads amt and country, which the map copies from amount and country.
filter "big_us" {
  input = map.normalized
  where = record.amt >= var.min_amount && lower(record.country) == "us"
  stats {
    selectivity = 0.1
  }
}

# Reads customer, which the map computes: it stays after the map.
filter "known" {
  input = filter.big_us
  where = record.customer != "anonymous"
}

sink "big_us" {
  input    = filter.known
  topic    = "big-us-orders"
  format   = "json"
  key      = record.id
  delivery = "at_least_once"
}
