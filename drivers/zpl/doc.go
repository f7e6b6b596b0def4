// Package zpl is the driver of ZPL II label printers: it renders the
// provenance label of a finished piece ([Render]) and prints it
// ([Printer.Print]) over raw TCP (port 9100) or a serial line, checking the
// printer's host status (~HS) before and after each label.
//
// It owns the label layout, the escaping of field data (every field is sent
// with ^FH, so ^, ~ and non-ASCII bytes in data cannot end a field or start
// a command), the parsing of the ~HS answer ([Status]) and the typed errors
// for printer faults ([ErrPaperOut], [ErrHeadOpen], [ErrPaused],
// [ErrNoAnswer]). Every ~HS round trip is reported to package health under
// the driver name "zpl".
//
// The connection and the session over it (dialing, the timeout of each
// request, reconnecting after a failure, a print's status check before and
// after sending, reporting each round trip) are package rawport's.
//
// It imports only the standard library, go.bug.st/serial,
// github.com/cellforge/cellforge/drivers/health and
// github.com/cellforge/cellforge/drivers/rawport: never the order book, the
// cells or the API.
package zpl
