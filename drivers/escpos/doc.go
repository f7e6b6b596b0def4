// Package escpos is the driver of ESC/POS thermal ticket printers: it
// renders the work-order traveler that goes with a job through the cell
// ([Render]) and prints it ([Printer]) over raw TCP (port 9100) or a
// serial line, checking the printer's real-time status (DLE EOT) before and
// after each ticket.
//
// It owns the traveler layout (32 columns, a 58 mm roll), the QR code of
// the work order's URL (GS ( k), the parsing of the status bytes
// ([Status]) and the typed errors for printer faults ([ErrPaperOut],
// [ErrCoverOpen], [ErrOffline], [ErrNoAnswer]). Every status round trip is
// reported to package health under the driver name "escpos".
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
package escpos
