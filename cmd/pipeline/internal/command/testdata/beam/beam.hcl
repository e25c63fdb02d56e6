# A spec with a beam stage between two native stages, run entirely on this
# machine: the native stage reads a file into a channel topic, Prism (in
# the apply process) totals it per country, and a native stage writes the
# totals to a topic.
pipeline "beamlocal" {}

backend "beam" {}

source "orders" {
  file   = "data/orders.jsonl"
  schema = object({ id = string, amount = number, country = string })
}

filter "known" {
  input   = source.orders
  where   = record.country != ""
  backend = "native"
}

aggregate "per_country" {
  input   = filter.known
  key     = { country = record.country }
  window  = tumbling("1h")
  fields  = { orders = count(), total = sum(record.amount) }
  backend = "beam"
}

sink "per_country" {
  input    = aggregate.per_country
  topic    = "per-country"
  key      = record.country
  delivery = "exactly_once"
  backend  = "native"
}
