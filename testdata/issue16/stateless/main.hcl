# Issue 16.3 and 16.4: infinities are dead-lettered, never written as null;
# RFC 3339 timestamps are parsed as §5.6 allows. Issue 16.5: integers
# beyond 2^53 pass digit for digit (source.ids; bigkeys/ has the keyed
# operators).
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

source "ids" {
  topic  = "ids"
  format = "json"
  schema = object({ id = number, ref = number })
}

map "ids" {
  input = source.ids
  fields = {
    id       = record.id
    s        = tostring(record.id)
    f        = format("%d", record.id)
    t        = "id=${record.id}"
    json     = jsonencode({ id = record.id })
    same     = record.id == record.ref
    above    = record.id > 1234567890123456780
    next     = record.id + 1
    diff     = record.id - record.ref
    tenfold  = record.id * 10
    quotient = record.id / 3
  }
}

sink "ids" {
  input  = map.ids
  topic  = "ids-out"
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

# Every digit survives: a float64 would print 1234567890123456789 as
# 1234567890123456768 (format) or 1234567890123456800 (tostring), make it
# equal to 1234567890123456788 and not above 1234567890123456780.
# Arithmetic is exact within int64; beyond it (MaxInt64 + 1, the
# differences and tenfolds below) the result is the float64 nearest to the
# exact value, as JSON reads a number beyond int64 (README, "Numbers").
# 1234567890123456789 / 3 = 411522630041152263 exactly; 9223372036854775807
# / 3 = 3074457345618258602.33 is not an integer, so it is the float64
# nearest to it: doubles there are 512 apart, 6004799503160661 * 512 =
# 3074457345618258432.
test "64-bit integers pass digit for digit" {
  given "source.ids" {
    records = [
      { id = 1234567890123456789, ref = 1234567890123456788 },
      { id = 9223372036854775807, ref = -9223372036854775808 },
      { id = -9007199254740993, ref = -9007199254740993 },
    ]
  }
  expect "sink.ids" {
    records = [
      { id = 1234567890123456789, s = "1234567890123456789", f = "1234567890123456789",
        t = "id=1234567890123456789", json = "{\"id\":1234567890123456789}", same = false, above = true,
        next = 1234567890123456790, diff = 1, tenfold = 12345678901234567890, quotient = 411522630041152263 },
      { id = 9223372036854775807, s = "9223372036854775807", f = "9223372036854775807",
        t = "id=9223372036854775807", json = "{\"id\":9223372036854775807}", same = false, above = true,
        next = 9223372036854775808, diff = 18446744073709551615, tenfold = 92233720368547758070,
        quotient = 3074457345618258432 },
      { id = -9007199254740993, s = "-9007199254740993", f = "-9007199254740993",
        t = "id=-9007199254740993", json = "{\"id\":-9007199254740993}", same = true, above = false,
        next = -9007199254740992, diff = 0, tenfold = -90071992547409930, quotient = -3002399751580331 },
    ]
  }
}
