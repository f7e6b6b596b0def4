// Package rawport is the connection to a device that speaks over a raw byte
// stream, as receipt and label printers do on TCP port 9100 or on a serial
// line: it opens the connection ([DialTCP], [DialSerial] or a [DialFunc] of
// the caller's), sends one request at a time within a timeout, closes the
// connection when the timeout passes or the caller's context ends, so that a
// late answer is never read as the answer to the next request, and opens it
// again on the next request ([Port.Do]). Every failed round trip is reported
// to package health, classified as a timeout, a malformed answer or an I/O
// failure.
//
// It knows nothing of any protocol: the drivers above it (package escpos,
// package zpl) write their requests, read and parse the answers, and report
// the answers they accept, since only they know whether an answer is a
// success or a device fault.
//
// It imports only the standard library, go.bug.st/serial and
// github.com/cellforge/cellforge/drivers/health: never a protocol driver,
// the order book, the cells or the API.
package rawport
