# Expected records are computed by hand from the semantics in DESIGN.md:
# tumbling("1m") windows start on whole minutes; watermark = greatest event
# time seen - allowed_lateness (10s); every open window fires at the end of
# the test input.

test "only gold customers are summed" {
  given "source.orders" {
    records = [{ id = "o1", amount = 150, customer_id = "C1", country = "US", ts = "2026-01-01T00:00:05Z" }]
  }
  given "source.customers" {
    records = [{ id = "c1", tier = "gold" }]
  }
  expect "sink.revenue" {
    records = [{ customer = "c1", total = 150, orders = 1, largest = 150,
    window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" }]
  }
}

# o1 is redelivered (dropped by dedupe), o2 is below min_amount, o3 is not
# from the US; o4 is exactly min_amount (kept) with lower-case ids; o5 is a
# silver customer and leaves through route.by_tier.other.
test "small, foreign and duplicate orders never reach the revenue" {
  given "source.orders" {
    records = [
      { id = "o1", amount = 150, customer_id = "C1", country = "US", ts = "2026-01-01T00:00:05Z" },
      { id = "o1", amount = 150, customer_id = "C1", country = "US", ts = "2026-01-01T00:00:05Z" },
      { id = "o2", amount = 99, customer_id = "C1", country = "US", ts = "2026-01-01T00:00:10Z" },
      { id = "o3", amount = 500, customer_id = "C1", country = "DE", ts = "2026-01-01T00:00:15Z" },
      { id = "o4", amount = 100, customer_id = "c1", country = "us", ts = "2026-01-01T00:00:20Z" },
      { id = "o5", amount = 120, customer_id = "C2", country = "Us", ts = "2026-01-01T00:00:25Z" },
    ]
  }
  given "source.customers" {
    records = [
      { id = "c1", tier = "gold" },
      { id = "c2", tier = "silver" },
    ]
  }
  expect "sink.revenue" {
    records = [
      { customer = "c1", total = 250, orders = 2, largest = 150,
      window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
    ]
  }
  expect "sink.other" {
    records = [
      { id = "o5", amount = 120, customer = "c2", tier = "silver", ts = "2026-01-01T00:00:25Z" },
    ]
  }
}

# Left join: c7 is not in the customers table, so its order keeps tier = null,
# fails the gold test and takes the default output.
test "an order from an unknown customer keeps a null tier" {
  given "source.orders" {
    records = [
      { id = "o1", amount = 250, customer_id = "C7", country = "US", ts = "2026-01-01T00:00:05Z" },
      { id = "o2", amount = 100, customer_id = "C1", country = "US", ts = "2026-01-01T00:00:06Z" },
    ]
  }
  given "source.customers" {
    records = [{ id = "c1", tier = "gold" }]
  }
  expect "sink.other" {
    records = [
      { id = "o1", amount = 250, customer = "c7", tier = null, ts = "2026-01-01T00:00:05Z" },
    ]
  }
  expect "sink.revenue" {
    records = [
      { customer = "c1", total = 100, orders = 1, largest = 100,
      window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
    ]
  }
}

# Watermark after each record (greatest event time - 10s):
#   o1 00:00:05 → 23:59:55   window [00:00, 00:01) open
#   o2 00:01:05 → 00:00:55   window [00:00, 00:01) still open
#   o3 00:00:58 → 00:00:55   out of order but within lateness: counted in [00:00, 00:01)
#   o4 00:01:20 → 00:01:10   passes 00:01:00: [00:00, 00:01) fires with o1 + o3
#   o5 00:00:40 → 00:01:10   its window has fired: late, to the dead-letter topic
#   end of input             [00:01, 00:02) fires with o2 + o4
test "a late order is excluded from a window that has fired" {
  given "source.orders" {
    records = [
      { id = "o1", amount = 100, customer_id = "C1", country = "US", ts = "2026-01-01T00:00:05Z" },
      { id = "o2", amount = 200, customer_id = "C1", country = "US", ts = "2026-01-01T00:01:05Z" },
      { id = "o3", amount = 300, customer_id = "C1", country = "US", ts = "2026-01-01T00:00:58Z" },
      { id = "o4", amount = 400, customer_id = "C1", country = "US", ts = "2026-01-01T00:01:20Z" },
      { id = "o5", amount = 500, customer_id = "C1", country = "US", ts = "2026-01-01T00:00:40Z" },
    ]
  }
  given "source.customers" {
    records = [{ id = "c1", tier = "gold" }]
  }
  expect "sink.revenue" {
    records = [
      { customer = "c1", total = 400, orders = 2, largest = 300,
      window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
      { customer = "c1", total = 600, orders = 2, largest = 400,
      window_start = "2026-01-01T00:01:00Z", window_end = "2026-01-01T00:02:00Z" },
    ]
  }
}
