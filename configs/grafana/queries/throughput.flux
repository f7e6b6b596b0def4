// Units made per hour by each cell: the cell measurement's units field summed in one-hour
// windows, an hour without units counted as 0.
from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "cell" and r.site == "${site}" and r._field == "units")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStop)
  |> group(columns: ["cell", "_field"])
  |> aggregateWindow(every: 1h, fn: sum, createEmpty: true)
  |> fill(value: 0.0)
  |> keep(columns: ["_time", "_value", "_field", "cell"])
