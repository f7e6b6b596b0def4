package escpos

import "github.com/cellforge/cellforge/drivers/rawport"

// Printer is an ESC/POS ticket printer, configured by a [rawport.Config].
// Its Status asks for the real-time status (DLE EOT 1, 2 and 4). Its Print
// prints a [Ticket]: it checks the status first and refuses, with a
// *FaultError that errors.Is matches to ErrPaperOut, ErrCoverOpen or
// ErrOffline, when the printer cannot print; it then sends the ticket and
// checks the status again, returning a *FaultError if a fault appeared. A
// printer that does not answer a status request within the timeout fails
// with ErrNoAnswer.
type Printer = rawport.Printer[Status, Ticket]

// New returns a driver for the printer cfg describes; it connects on the
// first request.
func New(cfg rawport.Config) (*Printer, error) {
	return rawport.NewPrinter(rawport.Protocol{Name: "escpos", NoAnswer: ErrNoAnswer, BadAnswer: ErrBadAnswer}, dialect, jobs, cfg)
}
