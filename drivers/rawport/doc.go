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
// A [Session] is a printer's side of the port, shared by the printer
// drivers above it (package escpos, package zpl): status requests and
// prints that check the status, send, and check again, each answer
// reported to health as a success or, when the printer says it cannot
// print, a device fault. It knows nothing of any protocol: each driver
// gives it a [Dialect] that writes the status request and reads and parses
// the answer, and renders what it prints.
//
// A [Printer] is a session that prints a driver's jobs (tickets, labels):
// it checks a job, renders it and prints it, naming the job and the
// printer in its errors. A status that keeps the printer from printing is
// a [FaultError], which errors.Is matches to each fault the status lists
// (paper out, cover open): the drivers name the faults, the printer here
// reports them.
//
// [SerialMode] maps a serial line's settings (data bits, parity, stop
// bits) to go.bug.st/serial's mode, for the printers here and for the
// Modbus RTU lines of package modbus alike.
//
// It imports only the standard library, go.bug.st/serial and
// github.com/cellforge/cellforge/drivers/health: never a protocol driver,
// the order book, the cells or the API.
package rawport
