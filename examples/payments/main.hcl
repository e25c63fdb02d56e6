# Payments matched with their authorizations, settled exactly once, and summed
# per merchant and hour. Kafka to Kafka: produce data/*.jsonl into the two
# topics to run it (see README.md).

pipeline "payments" {
  description = "Hourly settled revenue per merchant"
  optimize    = "cost"
}

backend "native" {
  instances = 2
}

source "payments" {
  topic      = "payments"
  format     = "json"
  schema     = object({ id = string, merchant = string, customer = string, amount = number, currency = string, ts = string })
  event_time = record.ts
  stats {
    rate         = 5000
    record_bytes = 140
  }
}

source "authorizations" {
  topic      = "payment-authorizations"
  format     = "json"
  schema     = object({ payment_id = string, auth_code = string, status = string, ts = string })
  event_time = record.ts
  stats {
    rate         = 5000
    record_bytes = 90
  }
}

# Payment clients retry on timeouts: a payment id seen in the last 10 minutes
# is a redelivery.
dedupe "payments_once" {
  input  = source.payments
  key    = record.id
  within = "10m"
}

filter "approved" {
  input = source.authorizations
  where = record.status == "approved"
  stats {
    selectivity = 0.9
  }
}

# Stream–stream join: a payment settles when an approval for it arrives
# within 5 minutes of event time (either side may come first).
join "authorized" {
  left   = dedupe.payments_once
  right  = filter.approved
  type   = "inner"
  on     = left.id == right.payment_id
  within = "5m"
  fields = {
    id            = left.id
    merchant      = left.merchant
    customer      = left.customer
    amount        = left.amount
    currency      = left.currency
    auth_code     = right.auth_code
    paid_at       = left.ts
    authorized_at = right.ts
  }
}

map "settled" {
  input = join.authorized
  fields = {
    id         = record.id
    merchant   = record.merchant
    customer   = lower(record.customer)
    amount     = record.amount
    currency   = upper(record.currency)
    auth_code  = record.auth_code
    paid_at    = record.paid_at
    settled_at = record.authorized_at
  }
}

sink "settled" {
  input    = map.settled
  topic    = "payments-settled"
  format   = "json"
  key      = record.id
  delivery = "exactly_once"
}

aggregate "merchant_hourly" {
  input            = map.settled
  key              = { merchant = record.merchant, currency = record.currency }
  window           = tumbling("1h")
  allowed_lateness = "5m"
  fields = {
    revenue       = sum(record.amount)
    payments      = count()
    customers     = count_distinct(record.customer)
    first_payment = first(record.id)
    last_payment  = last(record.id)
    smallest      = min(record.amount)
    largest       = max(record.amount)
    average       = avg(record.amount)
  }
}

sink "merchant_hourly" {
  input    = aggregate.merchant_hourly
  topic    = "merchant-revenue-hourly"
  format   = "json"
  key      = record.merchant
  delivery = "exactly_once"
}
