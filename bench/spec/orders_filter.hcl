# The peer-benchmark job (../shared/bench/benthos/orders.yaml) as a pipeline:
# keep large US orders and project them, file to file.
pipeline "bench_orders" {
  description = "Benthos peer benchmark: filter + project, file to file"
}

variable "input" {
  type = string
}

variable "output" {
  type = string
}

source "orders" {
  file   = var.input
  format = "json"
  schema = object({ id = string, amount = number, customer_id = string, country = string, ts = string })
}

filter "big_us" {
  input = source.orders
  where = record.amount >= 100 && lower(record.country) == "us"
}

map "projected" {
  input  = filter.big_us
  fields = { id = record.id, amount = record.amount, customer = lower(record.customer_id) }
}

sink "out" {
  input  = map.projected
  file   = var.output
  format = "json"
}
