test "valid payments reach the output of their tier" {
  given "source.payments" {
    records = [
      { id = "p1", amount = 10, currency = "EUR", tier = "Gold", memo = "m" },
      { id = "p2", amount = 0, currency = "EUR", tier = "gold", memo = "m" },
      { id = "p3", amount = 7, currency = "USD", tier = "silver", memo = "m" },
      { id = "p4", amount = 3, currency = "", tier = "bronze", memo = "m" },
    ]
  }
  expect "sink.gold" {
    records = [{ id = "p1", amount = 10, currency = "EUR", tier = "gold" }]
  }
  expect "sink.other" {
    records = [{ id = "p3", amount = 7, currency = "USD", tier = "silver" }]
  }
  expect "filter.gold_valid" {
    records = [{ id = "p1", amount = 10, currency = "EUR", tier = "gold" }]
  }
}
