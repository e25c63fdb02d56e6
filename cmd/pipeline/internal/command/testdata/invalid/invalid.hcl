pipeline "invalid" {}

source "orders" {
  topic  = "orders"
  format = "json"
  schema = object({ id = string, amount = number })
}

filter "big" {
  input = source.orders
  where = record.amount > 100
	wher  = true
}

sink "out" {
  input  = filter.big
  topic  = "out"
  format = "json"
}
