package escpos

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/cellforge/cellforge/drivers/rawport"
)

// Faults a printer reports that keep it from printing; a print fails with
// a *FaultError that errors.Is matches to each.
var (
	// ErrPaperOut: the roll paper end sensor reports no paper.
	ErrPaperOut = errors.New("paper out")
	// ErrCoverOpen: the printer reports its cover open.
	ErrCoverOpen = errors.New("cover open")
	// ErrOffline: the printer reports itself offline.
	ErrOffline = errors.New("printer offline")
)

// statusRequest asks for the printer (1), offline cause (2) and paper
// sensor (4) status at once; the printer answers one byte each, in order.
var statusRequest = []byte{0x10, 0x04, 1, 0x10, 0x04, 2, 0x10, 0x04, 4}

// Status is a printer's real-time status.
type Status struct {
	// Offline: DLE EOT 1, bit 3.
	Offline bool
	// CoverOpen: DLE EOT 2, bit 2.
	CoverOpen bool
	// PaperEndStop: DLE EOT 2, bit 5: printing stopped by paper end.
	PaperEndStop bool
	// PaperOut: DLE EOT 4, bits 5 and 6: the end sensor sees no paper.
	PaperOut bool
	// NearEnd: DLE EOT 4, bits 2 and 3: the roll is nearly used up.
	NearEnd bool
}

// Errors of the exchange with a printer; compare with errors.Is.
var (
	// ErrNoAnswer: the printer did not answer a status request, or did not
	// take a ticket, within the timeout.
	ErrNoAnswer = errors.New("no answer from printer")
	// ErrBadAnswer: a status byte does not have the fixed bits of an
	// ESC/POS status (bit 1 and bit 4 set, bits 0 and 7 clear).
	ErrBadAnswer = errors.New("malformed status byte")
)

// queryStatus asks for the printer, offline cause and paper sensor status
// and parses the answer.
func queryStatus(w io.Writer, r *bufio.Reader) (Status, error) {
	if _, err := w.Write(statusRequest); err != nil {
		return Status{}, fmt.Errorf("sending status request: %w", err)
	}
	var raw [3]byte
	if _, err := io.ReadFull(r, raw[:]); err != nil {
		return Status{}, fmt.Errorf("reading status: %w", err)
	}
	return parseStatus(raw)
}

// dialect is what the session needs of ESC/POS: the real-time status
// round trip, and a warning when a print finds the paper roll near its end.
var dialect = rawport.Dialect[Status]{
	Query: queryStatus,
	Ready: func(st Status, log *slog.Logger) {
		if st.NearEnd {
			log.Warn("paper roll near its end")
		}
	},
	Noun: "ticket",
}

// parseStatus decodes the answers to DLE EOT 1, 2 and 4.
func parseStatus(b [3]byte) (Status, error) {
	for i, n := range []int{1, 2, 4} {
		if b[i]&0x93 != 0x12 {
			return Status{}, fmt.Errorf("answer %#02x to DLE EOT %d: %w", b[i], n, ErrBadAnswer)
		}
	}
	return Status{
		Offline:      b[0]&0x08 != 0,
		CoverOpen:    b[1]&0x04 != 0,
		PaperEndStop: b[1]&0x20 != 0,
		PaperOut:     b[2]&0x60 != 0,
		NearEnd:      b[2]&0x0C != 0,
	}, nil
}

// Faults lists the faults that keep the printer from printing: paper
// out, cover open, offline. A roll near its end still prints.
func (s Status) Faults() []error {
	return rawport.Conditions(
		rawport.Condition{On: s.PaperOut || s.PaperEndStop, Err: ErrPaperOut},
		rawport.Condition{On: s.CoverOpen, Err: ErrCoverOpen},
		rawport.Condition{On: s.Offline, Err: ErrOffline},
	)
}

// Err returns a *FaultError when the status keeps the printer from
// printing, and nil otherwise.
func (s Status) Err() error { return rawport.Fault(s) }

// FaultError is the error of a printer whose status keeps it from printing.
// errors.Is matches it against ErrPaperOut, ErrCoverOpen and ErrOffline for
// each fault the status reports.
type FaultError = rawport.FaultError[Status]
