# Expected records are computed by hand from the semantics in DESIGN.md.
# hopping("5m", "1m") windows start on every whole minute and last 5 minutes,
# so a reading at 00:10:30 is in the windows starting 00:06, 00:07, 00:08,
# 00:09 and 00:10. Every open window fires at the end of the test input.

# The two invalid readings are filtered out, so each of the five windows holds
# the one valid reading; its average (20) is below alert_temp (80).
test "a reading counts in five overlapping hopping windows" {
  given "source.readings" {
    records = [
      { device_id = "d1", site = "plant-a", temperature = 20, humidity = 40, ts = "2026-01-01T00:10:30Z" },
      { device_id = "d1", site = "plant-a", temperature = -999, humidity = 40, ts = "2026-01-01T00:10:40Z" },
      { device_id = "d1", site = "plant-a", temperature = 21, humidity = 140, ts = "2026-01-01T00:10:50Z" },
    ]
  }
  expect "sink.metrics" {
    records = [
      { site = "plant-a", device_id = "d1", avg_temp = 20, max_temp = 20, readings = 1,
      window_start = "2026-01-01T00:06:00Z", window_end = "2026-01-01T00:11:00Z" },
      { site = "plant-a", device_id = "d1", avg_temp = 20, max_temp = 20, readings = 1,
      window_start = "2026-01-01T00:07:00Z", window_end = "2026-01-01T00:12:00Z" },
      { site = "plant-a", device_id = "d1", avg_temp = 20, max_temp = 20, readings = 1,
      window_start = "2026-01-01T00:08:00Z", window_end = "2026-01-01T00:13:00Z" },
      { site = "plant-a", device_id = "d1", avg_temp = 20, max_temp = 20, readings = 1,
      window_start = "2026-01-01T00:09:00Z", window_end = "2026-01-01T00:14:00Z" },
      { site = "plant-a", device_id = "d1", avg_temp = 20, max_temp = 20, readings = 1,
      window_start = "2026-01-01T00:10:00Z", window_end = "2026-01-01T00:15:00Z" },
    ]
  }
  expect "sink.alerts" {
    records = []
  }
}

# 100 at 00:10:30 is in the windows starting 00:06 … 00:10; 40 at 00:12:30 in
# those starting 00:08 … 00:12. Windows holding both average 70: not an alert,
# although their maximum is 100.
test "alerts follow the windowed average, not the peak" {
  given "source.readings" {
    records = [
      { device_id = "d1", site = "plant-a", temperature = 100, humidity = 50, ts = "2026-01-01T00:10:30Z" },
      { device_id = "d1", site = "plant-a", temperature = 40, humidity = 50, ts = "2026-01-01T00:12:30Z" },
    ]
  }
  expect "sink.alerts" {
    records = [
      { site = "plant-a", device_id = "d1", avg_temp = 100, max_temp = 100, readings = 1,
      window_start = "2026-01-01T00:06:00Z", window_end = "2026-01-01T00:11:00Z" },
      { site = "plant-a", device_id = "d1", avg_temp = 100, max_temp = 100, readings = 1,
      window_start = "2026-01-01T00:07:00Z", window_end = "2026-01-01T00:12:00Z" },
    ]
  }
  expect "sink.metrics" {
    records = [
      { site = "plant-a", device_id = "d1", avg_temp = 70, max_temp = 100, readings = 2,
      window_start = "2026-01-01T00:08:00Z", window_end = "2026-01-01T00:13:00Z" },
      { site = "plant-a", device_id = "d1", avg_temp = 70, max_temp = 100, readings = 2,
      window_start = "2026-01-01T00:09:00Z", window_end = "2026-01-01T00:14:00Z" },
      { site = "plant-a", device_id = "d1", avg_temp = 70, max_temp = 100, readings = 2,
      window_start = "2026-01-01T00:10:00Z", window_end = "2026-01-01T00:15:00Z" },
      { site = "plant-a", device_id = "d1", avg_temp = 40, max_temp = 40, readings = 1,
      window_start = "2026-01-01T00:11:00Z", window_end = "2026-01-01T00:16:00Z" },
      { site = "plant-a", device_id = "d1", avg_temp = 40, max_temp = 40, readings = 1,
      window_start = "2026-01-01T00:12:00Z", window_end = "2026-01-01T00:17:00Z" },
    ]
  }
}

# A session window spans [first reading, last reading + 30s); sessions that
# overlap merge. Watermark = greatest event time seen - 30s:
#   00:00:00 → session [00:00:00, 00:00:30)
#   00:00:50 → session [00:00:50, 00:01:20), watermark 00:00:20: nothing fires
#   00:00:25 → [00:00:25, 00:00:55) overlaps both: one session [00:00:00, 00:01:20)
#   00:02:00 → session [00:02:00, 00:02:30), watermark 00:01:30: the merged one fires
#   end of input: [00:02:00, 00:02:30) fires
test "a late-arriving reading merges two sessions into one" {
  given "source.readings" {
    records = [
      { device_id = "d1", site = "plant-a", temperature = 20, humidity = 40, ts = "2026-01-01T00:00:00Z" },
      { device_id = "d1", site = "plant-a", temperature = 30, humidity = 50, ts = "2026-01-01T00:00:50Z" },
      { device_id = "d1", site = "plant-a", temperature = 40, humidity = 60, ts = "2026-01-01T00:00:25Z" },
      { device_id = "d1", site = "plant-a", temperature = 10, humidity = 30, ts = "2026-01-01T00:02:00Z" },
    ]
  }
  expect "sink.activity" {
    records = [
      { device_id = "d1", readings = 3, peak_temp = 40, avg_humidity = 50,
      window_start = "2026-01-01T00:00:00Z", window_end = "2026-01-01T00:01:20Z" },
      { device_id = "d1", readings = 1, peak_temp = 10, avg_humidity = 30,
      window_start = "2026-01-01T00:02:00Z", window_end = "2026-01-01T00:02:30Z" },
    ]
  }
}
