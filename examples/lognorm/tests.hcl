# Expected records are computed by hand. The map emits ts, level, service,
# host and msg; each route output feeds the sink of the same severity.

test "debug is dropped and the rest is routed by level" {
  given "source.raw" {
    records = [
      { level = "ERROR", msg = "disk full", service = "api", ts = "2026-01-01T00:00:01Z", host = "web-1" },
      { level = "warn", msg = "  slow query\n", service = "db", ts = "2026-01-01T00:00:02Z", host = "db-1" },
      { level = "info", msg = "request served", service = "api", ts = "2026-01-01T00:00:03Z", host = "web-1" },
      { level = "debug", msg = "cache lookup", service = "api", ts = "2026-01-01T00:00:04Z", host = "web-1" },
      { level = "audit", msg = "role granted", service = "iam", ts = "2026-01-01T00:00:05Z", host = "web-2" },
    ]
  }
  expect "sink.errors" {
    records = [{ ts = "2026-01-01T00:00:01Z", level = "ERROR", service = "api", host = "web-1", msg = "disk full" }]
  }
  expect "sink.warnings" {
    records = [{ ts = "2026-01-01T00:00:02Z", level = "WARN", service = "db", host = "db-1", msg = "slow query" }]
  }
  expect "sink.info" {
    records = [{ ts = "2026-01-01T00:00:03Z", level = "INFO", service = "api", host = "web-1", msg = "request served" }]
  }
  expect "sink.unclassified" {
    records = [{ ts = "2026-01-01T00:00:05Z", level = "AUDIT", service = "iam", host = "web-2", msg = "role granted" }]
  }
}

# Levels are matched after trimming and lower-casing (" Fatal " is an error,
# "TRACE" is noise), a null level counts as info, and null service or host
# become "unknown".
test "missing fields and odd spellings are normalized" {
  given "source.raw" {
    records = [
      { level = " Fatal ", msg = "out of memory", service = null, ts = "2026-01-01T00:00:10Z", host = "WEB-2" },
      { level = null, msg = "started", service = " Billing ", ts = "2026-01-01T00:00:11Z", host = null },
      { level = "TRACE", msg = "parsed headers", service = "api", ts = "2026-01-01T00:00:12Z", host = "web-1" },
      { level = "Warning", msg = "retrying upstream", service = "API ", ts = "2026-01-01T00:00:13Z", host = "db-1 " },
    ]
  }
  expect "sink.errors" {
    records = [{ ts = "2026-01-01T00:00:10Z", level = "ERROR", service = "unknown", host = "web-2", msg = "out of memory" }]
  }
  expect "sink.info" {
    records = [{ ts = "2026-01-01T00:00:11Z", level = "INFO", service = "billing", host = "unknown", msg = "started" }]
  }
  expect "sink.warnings" {
    records = [{ ts = "2026-01-01T00:00:13Z", level = "WARN", service = "api", host = "db-1", msg = "retrying upstream" }]
  }
  expect "sink.unclassified" {
    records = []
  }
}
