# A spec that apply runs entirely on this machine: file in, topic and file out.
pipeline "local" {}

variable "min_amount" {
  type    = number
  default = 100
}

source "orders" {
  file   = "data/orders.jsonl"
  schema = object({ id = string, amount = number, country = string })
}

filter "big" {
  input = source.orders
  where = record.amount >= var.min_amount
}

sink "big" {
  input    = filter.big
  topic    = "big-orders"
  delivery = "exactly_once"
}

sink "all" {
  input = source.orders
  file  = "out/all.jsonl"
}
