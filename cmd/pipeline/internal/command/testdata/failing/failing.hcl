pipeline "failing" {}

source "orders" {
  topic  = "orders"
  schema = object({ id = string, amount = number })
}

filter "big" {
  input = source.orders
  where = record.amount >= 100
}

sink "big" {
  input = filter.big
  topic = "big-orders"
}

test "keeps big orders" {
  given "source.orders" { records = [{ id = "a", amount = 150 }, { id = "b", amount = 5 }] }
  expect "sink.big" { records = [{ id = "a", amount = 150 }] }
}

test "wrongly expects the small order" {
  given "source.orders" { records = [{ id = "a", amount = 150 }, { id = "b", amount = 5 }] }
  expect "sink.big" { records = [{ id = "b", amount = 5 }] }
}
