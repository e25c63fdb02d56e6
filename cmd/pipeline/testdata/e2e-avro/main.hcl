# The Avro interop test's spec (e2e_avro_test.go): framed Avro orders that a
# Python confluent-kafka producer wrote, the big ones doubled into an Avro
# sink that a Python consumer reads back.
pipeline "avro" {}

variable "broker" {
  type = string
}

variable "registry" {
  type = string
}

broker "main" {
  brokers = [var.broker]
}

schema_registry "main" {
  url = var.registry
}

source "orders" {
  topic          = "orders"
  format         = "avro"
  schema_subject = "orders-value"
}

filter "big" {
  input = source.orders
  where = record.amount >= 100
}

map "doubled" {
  input  = filter.big
  fields = { id = record.id, amount = record.amount, double = record.amount * 2, note = record.note }
}

sink "big" {
  input  = map.doubled
  topic  = "big"
  format = "avro"
}
