# Every output of a route feeds a filter with the same predicate, and the
# route has a default output: the optimizer tests the predicate once, before
# the route, and then before the map that copies the fields it reads.

pipeline "pushdown_route" {
  description = "Valid payments split by tier"
  optimize    = "cost"
}

backend "broker" {}

source "payments" {
  topic  = "payments"
  format = "json"
  schema = object({ id = string, amount = number, currency = string, tier = string, memo = string })
  stats {
    rate         = 20000
    record_bytes = 150
  }
}

map "tagged" {
  input = source.payments
  fields = {
    id       = record.id
    amount   = record.amount
    currency = record.currency
    tier     = lower(record.tier)
  }
}

route "by_tier" {
  input = map.tagged
  output "gold" {
    when = record.tier == "gold"
  }
  output "other" {
    default = true
  }
}

filter "gold_valid" {
  input = route.by_tier.gold
  where = record.amount > 0 && record.currency != ""
  stats {
    selectivity = 0.5
  }
}

filter "other_valid" {
  input = route.by_tier.other
  where = record.amount > 0 && record.currency != ""
  stats {
    selectivity = 0.5
  }
}

sink "gold" {
  input    = filter.gold_valid
  topic    = "gold-payments"
  format   = "json"
  delivery = "at_least_once"
}

sink "other" {
  input    = filter.other_valid
  topic    = "other-payments"
  format   = "json"
  delivery = "at_least_once"
}
