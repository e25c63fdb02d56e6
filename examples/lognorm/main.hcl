# Stateless log normalization: every operator works on one record at a time,
# so with the broker backend enabled the whole pipeline can run inside the
# broker as one WebAssembly transform, with no intermediate topics.

pipeline "lognorm" {
  description = "Normalize application logs and split them by severity"
  optimize    = "cost"
}

# No admin_url: the local WebAssembly host (no Redpanda needed).
backend "broker" {}

locals {
  # Levels dropped at the edge.
  noisy_levels = ["debug", "trace"]
}

# Spellings seen in the wild → the canonical level. Anything else keeps its
# upper-cased spelling and takes the default route. A map(string), so the
# lookup below has a static string type.
variable "level_aliases" {
  type = map(string)
  default = {
    fatal    = "ERROR"
    critical = "ERROR"
    error    = "ERROR"
    err      = "ERROR"
    warning  = "WARN"
    warn     = "WARN"
    info     = "INFO"
    notice   = "INFO"
  }
}

# No event_time: nothing here is windowed, and ts is kept as data, so a record
# with a malformed ts still gets through.
source "raw" {
  topic  = "raw-logs"
  format = "json"
  schema = object({ level = string, msg = string, service = string, ts = string, host = string })
  stats {
    rate         = 200000
    record_bytes = 250
  }
}

# A record without a level is an info record.
filter "no_debug" {
  input = source.raw
  where = !contains(local.noisy_levels, lower(trimspace(coalesce(record.level, "info"))))
  stats {
    selectivity = 0.7
  }
}

map "normalized" {
  input = filter.no_debug
  fields = {
    ts = record.ts
    level = lookup(
      var.level_aliases,
      lower(trimspace(coalesce(record.level, "info"))),
      upper(trimspace(coalesce(record.level, "info")))
    )
    service = lower(trimspace(coalesce(record.service, "unknown")))
    host    = lower(trimspace(coalesce(record.host, "unknown")))
    msg     = trimspace(coalesce(record.msg, ""))
  }
}

route "by_level" {
  input = map.normalized
  output "errors" {
    when = record.level == "ERROR"
  }
  output "warnings" {
    when = record.level == "WARN"
  }
  output "info" {
    when = record.level == "INFO"
  }
  output "default" {
    default = true
  }
}

# The broker delivers at least once; an exactly_once sink would force the
# pipeline onto native.
sink "errors" {
  input    = route.by_level.errors
  topic    = "logs-errors"
  format   = "json"
  key      = record.service
  delivery = "at_least_once"
}

sink "warnings" {
  input    = route.by_level.warnings
  topic    = "logs-warnings"
  format   = "json"
  key      = record.service
  delivery = "at_least_once"
}

sink "info" {
  input    = route.by_level.info
  topic    = "logs-info"
  format   = "json"
  key      = record.service
  delivery = "at_least_once"
}

sink "unclassified" {
  input    = route.by_level.default
  topic    = "logs-unclassified"
  format   = "json"
  key      = record.service
  delivery = "at_least_once"
}
