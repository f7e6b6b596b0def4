// Package modbus is CellForge's Modbus master for looms and dye stations:
// it polls and commands devices over Modbus TCP and Modbus RTU as their
// device profiles describe.
//
// It owns:
//
//   - the profile types ([Profile], [Register], [Group], [Command]) and their
//     validation; the config loader parses YAML into them;
//   - value conversion: raw registers to engineering values and back, for
//     bool, uint16, int16, uint32, int32 and float32, in either byte order
//     inside a register and either word order of 32-bit values, with scale
//     and offset ([Register.Decode], [Register.Encode]);
//   - request planning ([Profile.Plan]);
//   - the transports ([Line]): a TCP connection, or a serial line opened with
//     go.bug.st/serial, framed with github.com/goburrow/modbus used only as a
//     packager, so that timeouts, reconnection and stale answers are
//     handled here;
//   - polling and commands per device ([Device]), reported to package health.
//
// It imports only the standard library, github.com/goburrow/modbus,
// go.bug.st/serial, drivers/health and drivers/rawport (for a line's
// serial mode): never the order book, the cells, the
// scheduler or the API, which sit above the drivers. It reads no files and
// no environment: configuration is passed in.
//
// # Merging
//
// The registers of one poll group that sit in the same table are read with
// as few requests as possible: registers whose address ranges touch or
// overlap share a request, as long as it stays within 125 registers (2000
// bits for coils and discrete inputs). Gaps are never bridged, since
// unmapped addresses may answer with an illegal data address exception.
//
// # Lines
//
// A line serves one request at a time. Its queue has two priorities:
// writes (commands) are served before any queued poll, so a command waits
// at most for the request in flight. A request that finds the line idle is
// sent from its caller's goroutine, without a hand-over to the line's. On
// TCP the connection is opened on the
// first request and, after it fails, reopened with exponential backoff and
// jitter between ReconnectMin and ReconnectMax; meanwhile requests fail at
// once with [ErrNotConnected]. After a timeout or a malformed answer the
// connection is closed, so a late answer can never be read as the next
// request's; each request also carries a transaction id unique on the line
// and answers with another id are discarded. On RTU the inter-frame gap is
// kept between frames, every answer's slave id, function code and CRC are
// checked, and after a timeout or a malformed answer the line is drained
// until it falls silent. Reads and writes on the wire take no context: they
// are bounded by the line's timeout and unblocked by closing the
// connection when the line's context ends.
//
// # Polling and backoff
//
// Each group is polled on a fixed-rate schedule: tick k falls at start +
// k*interval, whatever the previous poll took; a poll that overruns drops
// the ticks it covered. Within one poll, after a device's first timeout its
// remaining requests are skipped ([ErrSkipped]), so a dead device costs at
// most one timeout per poll. After MaxTimeouts (3) consecutive timeouts the
// device is backed off: its scheduled polls send nothing ([ErrBackoff])
// except one probe per backoff period, which starts at BackoffMin (1 s) and
// doubles after each failed probe up to BackoffMax (30 s). Any answer,
// exceptions included, ends the backoff. The other devices of the line keep
// their rate. A malformed answer is retried once at once.
//
// # Errors
//
// An exception answer is an [*ExceptionError]; timeouts wrap [ErrTimeout],
// malformed answers [ErrFrame]. Each request is reported to the device's
// health: success with its round trip, or failure of kind timeout,
// exception, frame or io.
package modbus
