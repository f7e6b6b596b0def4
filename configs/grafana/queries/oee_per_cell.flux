// Each cell's OEE so far today, as the collector samples it (the oee measurement's today_oee
// field, a fraction), the last sample of each hour.
from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "oee" and r.site == "${site}" and r._field == "today_oee")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStop)
  |> group(columns: ["cell", "_field"])
  |> aggregateWindow(every: 1h, fn: last, createEmpty: false)
  |> keep(columns: ["_time", "_value", "_field", "cell"])
