# Expected records are computed by hand from the semantics in DESIGN.md.
# Every test keeps its records inside one tumbling hour and (except where a
# test is about the join window) inside 5 minutes, so the result does not
# depend on how the two given streams are interleaved. Payments and their
# approvals are in the same order, so first() and last() mean the same by
# arrival and by event time.

test "settled payments are summed per merchant and hour" {
  given "source.payments" {
    records = [
      { id = "p1", merchant = "m1", customer = "u1", amount = 40, currency = "eur", ts = "2026-01-01T10:00:00Z" },
      { id = "p2", merchant = "m1", customer = "u2", amount = 100, currency = "EUR", ts = "2026-01-01T10:01:00Z" },
      { id = "p3", merchant = "m1", customer = "U1", amount = 10, currency = "eur", ts = "2026-01-01T10:02:00Z" },
      { id = "p4", merchant = "m2", customer = "u3", amount = 50, currency = "EUR", ts = "2026-01-01T10:03:00Z" },
    ]
  }
  given "source.authorizations" {
    records = [
      { payment_id = "p1", auth_code = "A1", status = "approved", ts = "2026-01-01T10:00:10Z" },
      { payment_id = "p2", auth_code = "A2", status = "approved", ts = "2026-01-01T10:01:10Z" },
      { payment_id = "p3", auth_code = "A3", status = "approved", ts = "2026-01-01T10:02:10Z" },
      { payment_id = "p4", auth_code = "A4", status = "approved", ts = "2026-01-01T10:03:10Z" },
    ]
  }
  expect "sink.merchant_hourly" {
    records = [
      {
        merchant      = "m1"
        currency      = "EUR"
        revenue       = 150
        payments      = 3
        customers     = 2
        first_payment = "p1"
        last_payment  = "p3"
        smallest      = 10
        largest       = 100
        average       = 50
        window_start  = "2026-01-01T10:00:00Z"
        window_end    = "2026-01-01T11:00:00Z"
      },
      {
        merchant      = "m2"
        currency      = "EUR"
        revenue       = 50
        payments      = 1
        customers     = 1
        first_payment = "p4"
        last_payment  = "p4"
        smallest      = 50
        largest       = 50
        average       = 50
        window_start  = "2026-01-01T10:00:00Z"
        window_end    = "2026-01-01T11:00:00Z"
      },
    ]
  }
}

# p1 is delivered twice (dedupe keeps one, so it settles once), p2 is declined
# (the filter drops its authorization, so the inner join emits nothing).
test "a retried payment settles once and a declined one not at all" {
  given "source.payments" {
    records = [
      { id = "p1", merchant = "m1", customer = "u1", amount = 30, currency = "EUR", ts = "2026-01-01T10:00:00Z" },
      { id = "p1", merchant = "m1", customer = "u1", amount = 30, currency = "EUR", ts = "2026-01-01T10:00:00Z" },
      { id = "p2", merchant = "m1", customer = "u2", amount = 20, currency = "EUR", ts = "2026-01-01T10:01:00Z" },
      { id = "p3", merchant = "m1", customer = "u2", amount = 60, currency = "EUR", ts = "2026-01-01T10:02:00Z" },
    ]
  }
  given "source.authorizations" {
    records = [
      { payment_id = "p1", auth_code = "A1", status = "approved", ts = "2026-01-01T10:00:20Z" },
      { payment_id = "p2", auth_code = "D2", status = "declined", ts = "2026-01-01T10:01:20Z" },
      { payment_id = "p3", auth_code = "A3", status = "approved", ts = "2026-01-01T10:02:30Z" },
    ]
  }
  expect "sink.settled" {
    records = [
      { id = "p1", merchant = "m1", customer = "u1", amount = 30, currency = "EUR", auth_code = "A1",
      paid_at = "2026-01-01T10:00:00Z", settled_at = "2026-01-01T10:00:20Z" },
      { id = "p3", merchant = "m1", customer = "u2", amount = 60, currency = "EUR", auth_code = "A3",
      paid_at = "2026-01-01T10:02:00Z", settled_at = "2026-01-01T10:02:30Z" },
    ]
  }
  expect "sink.merchant_hourly" {
    records = [
      {
        merchant      = "m1"
        currency      = "EUR"
        revenue       = 90
        payments      = 2
        customers     = 2
        first_payment = "p1"
        last_payment  = "p3"
        smallest      = 30
        largest       = 60
        average       = 45
        window_start  = "2026-01-01T10:00:00Z"
        window_end    = "2026-01-01T11:00:00Z"
      },
    ]
  }
}

# p1's approval comes 5m30s after it: outside within = "5m", no match.
# p2's comes 10s after it and settles.
test "an approval outside the join window does not settle the payment" {
  given "source.payments" {
    records = [
      { id = "p1", merchant = "m1", customer = "u1", amount = 25, currency = "EUR", ts = "2026-01-01T10:00:00Z" },
      { id = "p2", merchant = "m1", customer = "u2", amount = 75, currency = "EUR", ts = "2026-01-01T10:05:00Z" },
    ]
  }
  given "source.authorizations" {
    records = [
      { payment_id = "p2", auth_code = "A2", status = "approved", ts = "2026-01-01T10:05:10Z" },
      { payment_id = "p1", auth_code = "A1", status = "approved", ts = "2026-01-01T10:05:30Z" },
    ]
  }
  expect "sink.settled" {
    records = [
      { id = "p2", merchant = "m1", customer = "u2", amount = 75, currency = "EUR", auth_code = "A2",
      paid_at = "2026-01-01T10:05:00Z", settled_at = "2026-01-01T10:05:10Z" },
    ]
  }
  expect "sink.merchant_hourly" {
    records = [
      {
        merchant      = "m1"
        currency      = "EUR"
        revenue       = 75
        payments      = 1
        customers     = 1
        first_payment = "p2"
        last_payment  = "p2"
        smallest      = 75
        largest       = 75
        average       = 75
        window_start  = "2026-01-01T10:00:00Z"
        window_end    = "2026-01-01T11:00:00Z"
      },
    ]
  }
}
