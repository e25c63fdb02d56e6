# URL parsing as Nexmark q21 and q22 do it: regex_extract and split_index are
# stateless, so the whole pipeline runs in the broker's transform module.

pipeline "extract" {
  description = "Channel and directories of bid URLs"
}

backend "broker" {}

source "bids" {
  topic  = "bids"
  format = "json"
  schema = object({ auction = number, url = string })
}

map "parsed" {
  input = source.bids
  fields = {
    auction = record.auction
    channel = regex_extract(record.url, "(&|^)channel_id=([^&]*)", 2)
    dir1    = split_index(record.url, "/", 3)
    dir2    = split_index(record.url, "/", 4)
    dir3    = split_index(record.url, "/", 5)
  }
}

sink "out" {
  input    = map.parsed
  topic    = "parsed-bids"
  format   = "json"
  delivery = "at_least_once"
}

# Expected records are computed by hand: split at "/", field 0 is "https:",
# field 1 the empty string before "//", field 2 the host.
test "channel and directories" {
  given "source.bids" {
    records = [
      { auction = 1, url = "https://www.nexmark.com/abc/def/ghi/item.htm?query=1&channel_id=1234" },
      { auction = 2, url = "https://www.nexmark.com/x?channel_id=9&y=2" },
      { auction = 3, url = "https://short/a" },
      { auction = 4, url = null },
    ]
  }
  expect "sink.out" {
    records = [
      { auction = 1, channel = "1234", dir1 = "abc", dir2 = "def", dir3 = "ghi" },
      { auction = 2, channel = null, dir1 = "x?channel_id=9&y=2", dir2 = null, dir3 = null },
      { auction = 3, channel = null, dir1 = "a", dir2 = null, dir3 = null },
      { auction = 4, channel = null, dir1 = null, dir2 = null, dir3 = null },
    ]
  }
}
