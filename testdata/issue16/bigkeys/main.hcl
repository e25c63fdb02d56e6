# Issue 16.5: 64-bit integer keys. As float64s, 9007199254740993 and
# 9007199254740992 (dedupe keys) are one value, and so are the user IDs
# 1234567890123456789 and 1234567890123456788 (join and aggregate keys):
# each must stay distinct, and equal IDs from different records must meet.
pipeline "bigkeys" {}

source "events" {
  topic      = "events"
  format     = "json"
  schema     = object({ id = number, user = number, amount = number, ts = string })
  event_time = record.ts
}

source "users" {
  topic  = "users"
  format = "json"
  table  = true
  key    = record.id
  schema = object({ id = number, name = string })
}

dedupe "once" {
  input  = source.events
  key    = record.id
  within = "1h"
}

join "named" {
  left   = dedupe.once
  right  = source.users
  type   = "left"
  on     = left.user == right.id
  fields = { id = left.id, user = left.user, amount = left.amount, name = right.name, ts = left.ts }
}

sink "named" {
  input  = join.named
  topic  = "named"
  format = "json"
}

aggregate "per_user" {
  input  = join.named
  key    = { user = record.user }
  window = tumbling("1m")
  fields = { events = count(), total = sum(record.amount), largest = max(record.amount), ids = count_distinct(record.id) }
}

sink "per_user" {
  input  = aggregate.per_user
  topic  = "per-user"
  format = "json"
}

# e3 repeats e1's id and is dropped; e2's id differs from it in the last
# bit. e1 and e4 belong to ada (…789), e2 to bob (…788). Totals by hand:
# 1000000000000000001 + 2000000000000000002 = 3000000000000000003.
test "64-bit keys stay distinct and meet" {
  given "source.users" {
    records = [
      { id = 1234567890123456789, name = "ada" },
      { id = 1234567890123456788, name = "bob" },
    ]
  }
  given "source.events" {
    records = [
      { id = 9007199254740993, user = 1234567890123456789, amount = 1000000000000000001, ts = "2026-01-01T00:00:01Z" },
      { id = 9007199254740992, user = 1234567890123456788, amount = 3, ts = "2026-01-01T00:00:02Z" },
      { id = 9007199254740993, user = 1234567890123456788, amount = 5, ts = "2026-01-01T00:00:03Z" },
      { id = 9007199254740995, user = 1234567890123456789, amount = 2000000000000000002, ts = "2026-01-01T00:00:04Z" },
    ]
  }
  expect "sink.named" {
    records = [
      { id = 9007199254740993, user = 1234567890123456789, amount = 1000000000000000001, name = "ada", ts = "2026-01-01T00:00:01Z" },
      { id = 9007199254740992, user = 1234567890123456788, amount = 3, name = "bob", ts = "2026-01-01T00:00:02Z" },
      { id = 9007199254740995, user = 1234567890123456789, amount = 2000000000000000002, name = "ada", ts = "2026-01-01T00:00:04Z" },
    ]
  }
  expect "sink.per_user" {
    records = [
      { user = 1234567890123456789, events = 2, total = 3000000000000000003, largest = 2000000000000000002, ids = 2,
        window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
      { user = 1234567890123456788, events = 1, total = 3, largest = 3, ids = 1,
        window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" },
    ]
  }
}
