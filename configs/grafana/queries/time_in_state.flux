// Seconds each cell spent in each state over the range: its time_<state>_s fields summed, one
// row per cell with a column per state, 0 for a state the cell was not in.
from(bucket: "${bucket}")
  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)
  |> filter(fn: (r) => r._measurement == "cell" and r.site == "${site}")
  |> filter(fn: (r) => r._field == "time_running_s" or r._field == "time_idle_s" or r._field == "time_paused_s" or r._field == "time_setup_s" or r._field == "time_fault_s")
  // InfluxDB 1.8 also returns points at the range's stop (influxdata/influxdb#19966).
  |> filter(fn: (r) => r._time < v.timeRangeStop)
  |> group(columns: ["cell"])
  |> reduce(
    identity: {running: 0.0, idle: 0.0, paused: 0.0, setup: 0.0, fault: 0.0},
    fn: (r, accumulator) => ({
      running: accumulator.running + (if r._field == "time_running_s" then r._value else 0.0),
      idle: accumulator.idle + (if r._field == "time_idle_s" then r._value else 0.0),
      paused: accumulator.paused + (if r._field == "time_paused_s" then r._value else 0.0),
      setup: accumulator.setup + (if r._field == "time_setup_s" then r._value else 0.0),
      fault: accumulator.fault + (if r._field == "time_fault_s" then r._value else 0.0),
    }),
  )
  |> group()
  |> keep(columns: ["cell", "running", "idle", "paused", "setup", "fault"])
  |> sort(columns: ["cell"])
