// The studio's latest repair measures in the range, over the 7 days before each sample: repair
// and reuse rates, the turnaround of the repairs that got ready, estimates approved of those
// decided, the revenue approved, and the repairs open waiting for a decision or for work.
from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "repairs" and r.site == "${site}")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStop)
  |> last()
  |> group()
  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
  |> keep(columns: ["_time", "repair_rate", "reuse_rate", "turnaround_median_s", "turnaround_p90_s", "approved", "decided", "revenue", "open_received", "open_estimated", "open_approved", "open_ready"])
