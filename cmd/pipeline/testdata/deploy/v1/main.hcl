# The deployment test's spec, version 1: sessions of clicks per user, on a
# broker in another process, run by `pipeline worker` processes.
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
