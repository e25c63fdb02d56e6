# Issue 16.3 and 16.4: infinities are dead-lettered, never written as null;
# RFC 3339 timestamps are parsed as §5.6 allows.
pipeline "stateless" {}

source "items" {
  topic  = "items"
  format = "json"
  schema = object({ id = string, x = number, length_cm = number, big = string, ts = string })
}

map "ratio" {
  input  = source.items
  fields = { id = record.id, per_cm = ceil(record.x) / record.length_cm }
}

sink "ratio" {
  input  = map.ratio
  topic  = "ratio"
  format = "json"
}

map "parsed" {
  input  = source.items
  fields = { id = record.id, n = tonumber(record.big), at = parse_time(record.ts) }
}

sink "parsed" {
  input  = map.parsed
  topic  = "parsed"
  format = "json"
}

# 2.5 / 0 and -2.5 / 0 are ±Inf: dead-lettered by map.ratio (reason eval);
# 0 / 0 is NaN, dead-lettered too. Only i1 reaches the sink.
test "infinity is dead-lettered" {
  given "source.items" {
    records = [
      { id = "i1", x = 2.5, length_cm = 2, big = "1", ts = "2026-03-02T08:00:13Z" },
      { id = "i2", x = 2.5, length_cm = 0, big = "1", ts = "2026-03-02T08:00:13Z" },
      { id = "i3", x = -2.5, length_cm = 0, big = "1", ts = "2026-03-02T08:00:13Z" },
      { id = "i4", x = 0, length_cm = 0, big = "1", ts = "2026-03-02T08:00:13Z" },
    ]
  }
  expect "sink.ratio" {
    records = [{ id = "i1", per_cm = 1.5 }]
  }
}

# tonumber("1e400") is +Inf: map.parsed dead-letters i2 (reason eval).
test "tonumber overflow is dead-lettered" {
  given "source.items" {
    records = [
      { id = "i1", x = 1, length_cm = 1, big = "1e300", ts = "2026-03-02T08:00:13Z" },
      { id = "i2", x = 1, length_cm = 1, big = "1e400", ts = "2026-03-02T08:00:13Z" },
    ]
  }
  expect "sink.parsed" {
    records = [{ id = "i1", n = 1e300, at = 1772438413000 }]
  }
}

# 2026-03-02T08:00:13Z is 1772438413000 ms (20514 days * 86400000 + 8 h
# 13 s); the leap second 2016-12-31T23:59:60Z is read as the last
# millisecond of that day: 1483228800000 - 1. A misplaced :60 is
# dead-lettered (reason eval).
test "RFC 3339 timestamps" {
  given "source.items" {
    records = [
      { id = "lower", x = 1, length_cm = 1, big = "1", ts = "2026-03-02t08:00:13z" },
      { id = "offset", x = 1, length_cm = 1, big = "1", ts = "2026-03-02T10:00:13+02:00" },
      { id = "fraction", x = 1, length_cm = 1, big = "1", ts = "2026-03-02T08:00:13.123456789123Z" },
      { id = "leap", x = 1, length_cm = 1, big = "1", ts = "2016-12-31T23:59:60Z" },
      { id = "bad_leap", x = 1, length_cm = 1, big = "1", ts = "2016-12-31T12:00:60Z" },
    ]
  }
  expect "sink.parsed" {
    records = [
      { id = "lower", n = 1, at = 1772438413000 },
      { id = "offset", n = 1, at = 1772438413000 },
      { id = "fraction", n = 1, at = 1772438413123 },
      { id = "leap", n = 1, at = 1483228799999 },
    ]
  }
}
