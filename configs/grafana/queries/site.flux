// The sites that wrote cell telemetry in the range, for the dashboard's site variable.
// InfluxDB 1.8 answers keep |> group |> distinct of a tag from its index; it then returns no
// value at all when the filter also names a field, so the filter names only the measurement.
// Nor does a time filter follow range for 1.8's inclusive stop (influxdata/influxdb#19966): a
// site seen just then is still a site to choose.
from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "cell")
  |> keep(columns: ["site"])
  |> group()
  |> distinct(column: "site")
  |> sort()
