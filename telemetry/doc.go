// Package telemetry is the model of what the floor measures and how it travels: series of
// points, the MQTT topic tree they are published on, the versioned JSON payload that carries
// them, and the InfluxDB line protocol they are written in.
//
// # Topic tree
//
// Every topic starts with cellforge/v1/<site>; the version in the topic changes only with an
// incompatible change of the tree or the payload.
//
//	cellforge/v1/<site>/devices/<cell>/<device>/<metric>  a device's polled value (temperature, ph, units, state, ...)
//	cellforge/v1/<site>/cells/<cell>/<metric>             a cell's units, cycle time, queue length, time in each state
//	cellforge/v1/<site>/cells/<cell>/state                the cell's current state, retained
//	cellforge/v1/<site>/workorders/<drop>                 a work order's turnaround when it completes
//	cellforge/v1/<site>/drops/<drop>                      a drop's progress
//	cellforge/v1/<site>/repairs                           the studio's repair measures over the last 7 days
//	cellforge/v1/<site>/status                            "online", or "offline" (the daemon's last will), retained
//
// Segments are ids as the factory configuration writes them (letters, digits, '-', '_', '.'),
// so they never hold the MQTT wildcards or separators.
//
// # Payload
//
// A message carries points of the series its topic names:
//
//	{"v": 1, "tags": {"sku": "RUG-1"}, "points": [{"ts": 1795334612885607000, "fields": {"value": 21.5}}]}
//
// v is the payload version (1); tags, optional, add to the tags the topic gives; ts is the time
// the point was measured, in nanoseconds since the Unix epoch (not the time it was sent); fields
// are numbers, booleans or short strings.
//
// # InfluxDB
//
// A point becomes one line of the line protocol: the measurement is the topic's kind (device,
// cell, workorder, drop, repairs), the tags are the site and the topic's ids plus the payload's tags, and
// the timestamp is the measurement time. A device's or a cell's metric is the field name. Since
// measurement, tags and timestamp identify a point in InfluxDB, writing the same point twice
// stores it once: a replay never double counts.
//
// The package imports only the standard library.
package telemetry
