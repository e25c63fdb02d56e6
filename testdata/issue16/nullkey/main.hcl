# Issue 17.5, kept with issue 16's reproductions so that every backend
# runs it: a record whose key is null goes to the dead-letter topic with
# reason null_key in every keyed operator (dedupe, aggregate, join), rather
# than being dropped or grouped with every other null.
pipeline "nullkey" {}

source "events" {
  file       = "events.jsonl"
  format     = "json"
  schema     = object({ id = string, user = string, n = number, ts = string })
  event_time = record.ts
}

source "users" {
  file   = "users.jsonl"
  format = "json"
  table  = true
  key    = record.id
  schema = object({ id = string, name = string })
}

dedupe "first" {
  input  = source.events
  key    = record.user
  within = "1h"
}

aggregate "per_user" {
  input  = source.events
  key    = { user = record.user }
  window = tumbling("1m")
  fields = { n = sum(record.n) }
}

join "named" {
  left   = source.events
  right  = source.users
  type   = "left"
  on     = left.user == right.id
  fields = { id = left.id, name = right.name }
}

sink "firsts" {
  input  = dedupe.first
  file   = "firsts.jsonl"
  format = "json"
}

sink "totals" {
  input  = aggregate.per_user
  file   = "totals.jsonl"
  format = "json"
}

sink "named" {
  input  = join.named
  file   = "named.jsonl"
  format = "json"
}

# Expected by hand: e2 and e4 have no user, so each keyed operator
# dead-letters both; u1's records are deduplicated, summed and joined.
test "null keys are dead-lettered by every keyed operator" {
  given "source.users" {
    records = [{ id = "u1", name = "Ann" }]
  }
  given "source.events" {
    records = [
      { id = "e1", user = "u1", n = 1, ts = "2026-01-01T00:00:10Z" },
      { id = "e2", user = null, n = 2, ts = "2026-01-01T00:00:20Z" },
      { id = "e3", user = "u1", n = 4, ts = "2026-01-01T00:00:30Z" },
      { id = "e4", user = null, n = 8, ts = "2026-01-01T00:00:40Z" },
    ]
  }
  expect "sink.firsts" {
    records = [{ id = "e1", user = "u1", n = 1, ts = "2026-01-01T00:00:10Z" }]
  }
  expect "sink.totals" {
    records = [{ user = "u1", n = 5, window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:00Z" }]
  }
  expect "sink.named" {
    records = [{ id = "e1", name = "Ann" }, { id = "e3", name = "Ann" }]
  }
}
