# Issue 16.2: a stream–table join on a field that is not the table's key
# finds only current rows. c4 moves from dana@example.org to
# dana@newmail.org; c6 and c7 share an address, and c6 moving away must not
# take c7's row from it.
pipeline "tablejoin" {}

source "customers" {
  file   = "customers.jsonl"
  format = "json"
  table  = true
  key    = record.id
  schema = object({ id = string, email = string, tier = string })
}

source "signups" {
  file   = "signups.jsonl"
  format = "json"
  schema = object({ id = string, email = string })
}

join "matched" {
  left   = source.signups
  right  = source.customers
  type   = "left"
  on     = lower(trimspace(left.email)) == right.email
  fields = { id = left.id, customer = right.id, tier = right.tier }
}

sink "out" {
  input  = join.matched
  file   = "out.jsonl"
  format = "json"
}

# Expected by hand from the table's meaning (the latest row per key): the
# old address of c4 matches nobody; c7 keeps the shared address.
test "a join on a non-key field sees only current rows" {
  given "source.customers" {
    records = [
      { id = "c4", email = "dana@example.org", tier = "bronze" },
      { id = "c6", email = "shared@example.org", tier = "a" },
      { id = "c7", email = "shared@example.org", tier = "b" },
      { id = "c4", email = "dana@newmail.org", tier = "gold" },
      { id = "c6", email = "c6@example.org", tier = "a" },
    ]
  }
  given "source.signups" {
    records = [
      { id = "s1", email = " Dana@Example.org " },
      { id = "s2", email = "dana@newmail.org" },
      { id = "s4", email = "shared@example.org" },
      { id = "s5", email = "c6@example.org" },
    ]
  }
  expect "sink.out" {
    records = [
      { id = "s1", customer = null, tier = null },
      { id = "s2", customer = "c4", tier = "gold" },
      { id = "s4", customer = "c7", tier = "b" },
      { id = "s5", customer = "c6", tier = "a" },
    ]
  }
}
