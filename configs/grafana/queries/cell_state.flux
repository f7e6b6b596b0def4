// Each cell's machine state. The collector writes a state only when it changes, so the state
// a cell was in when the range starts is looked up before it and shown from the range's start.
before = from(bucket: "${bucket}")
  |> range(start: 1970-01-01T00:00:00Z, stop: v.timeRangeStart)
  |> filter(fn: (r) => r._measurement == "cell" and r.site == "${site}" and r._field == "machine_state")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStart)
  |> last()
  |> map(fn: (r) => ({r with _time: v.timeRangeStart}))
during = from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "cell" and r.site == "${site}" and r._field == "machine_state")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStop)
union(tables: [before, during])
  // Flux 0.65's map reorders columns, and group refuses to merge tables whose columns differ
  // in order: a new record gives both sides the same columns in the same order.
  |> map(fn: (r) => ({_time: r._time, _value: r._value, _field: r._field, cell: r.cell}))
  |> group(columns: ["cell", "_field"])
  |> sort(columns: ["_time"])
