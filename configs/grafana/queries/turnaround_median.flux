// The median turnaround, in seconds, of each drop's work orders completed in each hour.
// exact_selector is the nearest-rank percentile, as the book computes a drop's turnaround.
from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "workorder" and r.site == "${site}" and r._field == "turnaround_s")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStop)
  |> group(columns: ["drop"])
  |> aggregateWindow(every: 1h, fn: (column, tables=<-) => tables |> quantile(q: 0.5, method: "exact_selector", column: column), createEmpty: false)
  |> set(key: "_field", value: "median")
  |> keep(columns: ["_time", "_value", "_field", "drop"])
