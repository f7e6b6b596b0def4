// The six big losses of each cell so far today, in minutes, from its latest oee sample in the
// range: breakdowns, set-up and adjustments, small stops, reduced speed, start-up and production
// rejects.
from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "oee" and r.site == "${site}")
  |> filter(fn: (r) => r._field == "today_breakdowns_min" or r._field == "today_setup_adjustments_min" or r._field == "today_small_stops_min" or r._field == "today_reduced_speed_min" or r._field == "today_startup_rejects_min" or r._field == "today_production_rejects_min")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStop)
  |> last()
  |> group()
  |> pivot(rowKey: ["cell"], columnKey: ["_field"], valueColumn: "_value")
  |> keep(columns: ["cell", "today_breakdowns_min", "today_setup_adjustments_min", "today_small_stops_min", "today_reduced_speed_min", "today_startup_rejects_min", "today_production_rejects_min"])
