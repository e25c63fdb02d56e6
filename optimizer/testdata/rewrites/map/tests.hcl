test "big US orders from known customers pass, normalized" {
  given "source.orders" {
    records = [
      { id = "o1", amount = 150, customer_id = "C1", country = "US", note = "n", ts = "2026-01-01T00:00:01Z" },
      { id = "o2", amount = 50, customer_id = "C2", country = "us", note = "n", ts = "2026-01-01T00:00:02Z" },
      { id = "o3", amount = 500, customer_id = "C3", country = "DE", note = "n", ts = "2026-01-01T00:00:03Z" },
      { id = "o4", amount = 100, customer_id = "ANONYMOUS", country = "us", note = "n", ts = "2026-01-01T00:00:04Z" },
    ]
  }
  expect "sink.big_us" {
    records = [{ id = "o1", amt = 150, country = "US", customer = "c1", ts = "2026-01-01T00:00:01Z" }]
  }
  expect "filter.big_us" {
    records = [
      { id = "o1", amt = 150, country = "US", customer = "c1", ts = "2026-01-01T00:00:01Z" },
      { id = "o4", amt = 100, country = "us", customer = "anonymous", ts = "2026-01-01T00:00:04Z" },
    ]
  }
}

# o6 has no customer_id: lower(null) fails in the map. Written order: the map
# sees it first and dead-letters it. Rewritten: the filter drops it first
# (amount 10), so nothing evaluates the map on it.
test "a record the filter drops is not dead-lettered by the map" {
  given "source.orders" {
    records = [
      { id = "o5", amount = 900, customer_id = "C5", country = "US", note = "n", ts = "2026-01-01T00:00:05Z" },
      { id = "o6", amount = 10, customer_id = null, country = "US", note = "n", ts = "2026-01-01T00:00:06Z" },
    ]
  }
  expect "sink.big_us" {
    records = [{ id = "o5", amt = 900, country = "US", customer = "c5", ts = "2026-01-01T00:00:05Z" }]
  }
}
