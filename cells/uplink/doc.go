// Package uplink is a site's side of the network: it takes the orders the hub routes to the
// site into the site's own order book and acknowledges them, withdraws the orders the hub takes
// back while they have not started, answers the hub's promise requests from the site's own
// planner, and reports the load of the site and the progress of its network orders as the
// floor works them (following the book's event log from a cursor it keeps).
//
// The site keeps working without the hub: the uplink only turns messages into the book's own
// operations (an import, a withdrawal, a promise check) and the book's events into messages.
// Its own state (which orders came from the network, under which route, and how far the event
// log was reported) lives in a file under its directory, written atomically and fsync'd before
// anything that depends on it is sent.
//
// It imports book, book/intake, book/network (the messages), cells/planner and store/atomicfile; it
// reaches the link to the hub through its small Sender interface and must not import
// telemetry, api, drivers or any store implementation.
package uplink
