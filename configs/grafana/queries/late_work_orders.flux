// Work orders of each drop completed in the range, and how many of them were late.
from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "workorder" and r.site == "${site}" and r._field == "late")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStop)
  |> group(columns: ["drop"])
  |> reduce(identity: {late: 0, work_orders: 0}, fn: (r, accumulator) => ({late: accumulator.late + (if r._value then 1 else 0), work_orders: accumulator.work_orders + 1}))
  |> group()
  |> keep(columns: ["drop", "late", "work_orders"])
  |> sort(columns: ["drop"])
