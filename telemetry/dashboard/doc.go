// Package dashboard tests the Grafana dashboard in configs/grafana: it runs every Flux query of
// the dashboard, kept in configs/grafana/queries, against a real InfluxDB 1.8 holding a known
// data set written in the daemon's line protocol, and checks that the dashboard's JSON embeds
// exactly those queries.
//
// It has no code of its own besides its tests. It imports the telemetry model, its peer
// helpers and the InfluxDB client; nothing imports it.
package dashboard
