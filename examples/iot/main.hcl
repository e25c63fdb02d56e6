# Sensor readings → per-device temperature statistics over hopping windows,
# routed to alerts or metrics, plus activity bursts as session windows.

pipeline "iot" {
  description       = "Device temperature alerts and activity bursts"
  optimize          = "latency"
  dead_letter_topic = "iot-readings.dlq"
}

variable "alert_temp" {
  description = "A device alerts when its average temperature (°C) over a 5-minute window is above this."
  type        = number
  default     = 80
  validation {
    condition     = var.alert_temp > -40 && var.alert_temp < 125
    error_message = "alert_temp must be inside the sensors' range, -40 to 125 °C."
  }
}

source "readings" {
  file       = "data/readings.jsonl"
  format     = "json"
  schema     = object({ device_id = string, site = string, temperature = number, humidity = number, ts = string })
  event_time = record.ts
  stats {
    rate         = 2000
    record_bytes = 100
  }
}

# Sensors report -999 when the probe fails, humidity is a percentage, and an
# unprovisioned device sends an empty id.
filter "valid" {
  input = source.readings
  where = (
    record.device_id != "" &&
    record.temperature >= -40 && record.temperature <= 125 &&
    record.humidity >= 0 && record.humidity <= 100
  )
  stats {
    selectivity = 0.9
  }
}

# Every reading lands in five windows: 5 minutes long, one starting each minute.
aggregate "temperature" {
  input            = filter.valid
  key              = { site = record.site, device_id = record.device_id }
  window           = hopping("5m", "1m")
  allowed_lateness = "30s"
  fields           = { avg_temp = avg(record.temperature), max_temp = max(record.temperature), readings = count() }
}

route "alerting" {
  input = aggregate.temperature
  output "alert" {
    when = record.avg_temp > var.alert_temp
  }
  output "normal" {
    default = true
  }
}

sink "alerts" {
  input    = route.alerting.alert
  topic    = "iot-alerts"
  format   = "json"
  key      = record.device_id
  delivery = "at_least_once"
}

sink "metrics" {
  input    = route.alerting.normal
  topic    = "iot-metrics"
  format   = "json"
  key      = record.device_id
  delivery = "at_least_once"
}

# A burst is a run of readings from one device with gaps shorter than 30s.
aggregate "bursts" {
  input            = filter.valid
  key              = { device_id = record.device_id }
  window           = session("30s")
  allowed_lateness = "30s"
  fields           = { readings = count(), peak_temp = max(record.temperature), avg_humidity = avg(record.humidity) }
}

sink "activity" {
  input    = aggregate.bursts
  topic    = "iot-activity"
  format   = "json"
  key      = record.device_id
  delivery = "at_least_once"
}
