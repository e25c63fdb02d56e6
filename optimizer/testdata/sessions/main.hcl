# Issue 15's placement: a topic source with event time, a stateless filter
# and map, then a session window, with broker, native and beam enabled. The
# stateless prefix belongs on the broker (it cuts bytes before they leave
# it, and the channel it writes is the aggregate's repartition topic), the
# window on native.

pipeline "sessions" {}

broker "main" {
  brokers = ["localhost:9092"]
}

backend "broker" {}

backend "beam" {}

source "clicks" {
  topic      = "clicks"
  format     = "json"
  schema     = object({ user = string, ts = string, bytes = number, url = string, agent = string, ip = string })
  event_time = record.ts
}

filter "big" {
  input = source.clicks
  where = record.bytes > 1000
}

map "norm" {
  input  = filter.big
  fields = { user = lower(record.user), ts = record.ts, bytes = record.bytes }
}

aggregate "per_user" {
  input  = map.norm
  key    = { user = record.user }
  window = session("5m")
  fields = { n = count(), total = sum(record.bytes) }
}

sink "out" {
  input  = aggregate.per_user
  topic  = "per-user"
  format = "json"
}
