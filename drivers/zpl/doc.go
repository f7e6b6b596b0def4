// Package zpl is the driver of ZPL II label printers: it renders the
// provenance label of a finished piece ([Render]) and prints it
// ([Printer]) over raw TCP (port 9100) or a serial line, checking the
// printer's host status (~HS) before and after each label.
//
// It owns the label layout, the escaping of field data (every field is sent
// with ^FH, so ^, ~ and non-ASCII bytes in data cannot end a field or start
// a command), the parsing of the ~HS answer ([Status]) and the typed errors
// for printer faults ([ErrPaperOut], [ErrHeadOpen], [ErrPaused],
// [ErrNoAnswer]). Every ~HS round trip is reported to package health under
// the driver name "zpl".
//
// The connection and the printer over it (dialing, the timeout of each
// request, reconnecting after a failure, a print's status check before and
// after sending, reporting each round trip, the error of a status that
// reports faults) are package rawport's: [Printer] is a [rawport.Printer]
// of this driver's status and jobs, configured by a [rawport.Config].
//
// It imports only the standard library and
// github.com/cellforge/cellforge/drivers/rawport: never the order book, the
// cells or the API.
package zpl
