package zpl

import "github.com/cellforge/cellforge/drivers/rawport"

// Printer is a ZPL label printer, configured by a [rawport.Config]. Its
// Status asks for the host status (~HS). Its Print prints a [Job], a unit's
// [Label] or a repair's parcel [Slip]: it checks the host status first and
// refuses, with a *FaultError that errors.Is matches to ErrPaperOut,
// ErrHeadOpen, ErrPaused or ErrRibbonOut, when the printer cannot print; it
// then sends the job and checks the status again, returning a *FaultError if
// a fault appeared. A printer that does not answer a status request within
// the timeout fails with ErrNoAnswer.
type Printer = rawport.Printer[Status, Job]

// New returns a driver for the printer cfg describes; it connects on the
// first request.
func New(cfg rawport.Config) (*Printer, error) {
	return rawport.NewPrinter(rawport.Protocol{Name: "zpl", NoAnswer: ErrNoAnswer, BadAnswer: ErrBadAnswer}, dialect, jobs, cfg)
}
