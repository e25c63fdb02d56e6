# The deployment test's spec, version 2: sessions of clicks per user, on a
# broker in another process, run by `pipeline worker` processes; adds a copy of
# every click on another branch.
pipeline "clicks" {}

variable "broker" {
  type = string
}

broker "main" {
  brokers = [var.broker]
}

source "clicks" {
  topic      = "clicks"
  schema     = object({ user = string, ts = string })
  event_time = record.ts
}

aggregate "sessions" {
  input  = source.clicks
  key    = { user = record.user }
  window = session("30s")
  fields = { clicks = count() }
}

sink "sessions" {
  input    = aggregate.sessions
  topic    = "click-sessions"
  key      = record.user
  delivery = "exactly_once"
}

sink "copy" {
  input    = source.clicks
  topic    = "clicks-copy"
  delivery = "exactly_once"
}
