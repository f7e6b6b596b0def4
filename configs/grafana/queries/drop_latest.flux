// Each drop's latest progress sample in the range: work orders done and the book's median and
// 90th percentile turnaround over all of the drop's completed work orders.
from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "drop" and r.site == "${site}")
  |> filter(fn: (r) => r._field == "work_orders_done" or r._field == "turnaround_median_s" or r._field == "turnaround_p90_s")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStop)
  |> last()
  |> group(columns: ["drop"])
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> group()
  |> keep(columns: ["drop", "_time", "work_orders_done", "turnaround_median_s", "turnaround_p90_s"])
  |> sort(columns: ["drop"])
