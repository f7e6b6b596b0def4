package zpl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cellforge/cellforge/drivers/rawport"
)

// Faults a printer reports that keep it from printing; a print fails with
// a *FaultError that errors.Is matches to each.
var (
	// ErrPaperOut: the printer reports the media out.
	ErrPaperOut = errors.New("paper out")
	// ErrHeadOpen: the printer reports its print head up.
	ErrHeadOpen = errors.New("head open")
	// ErrPaused: the printer is paused.
	ErrPaused = errors.New("printer paused")
	// ErrRibbonOut: the printer reports the ribbon out.
	ErrRibbonOut = errors.New("ribbon out")
)

// Status is a printer's answer to ~HS (host status).
type Status struct {
	PaperOut      bool
	Paused        bool
	HeadOpen      bool
	RibbonOut     bool
	BufferFull    bool
	PartialFormat bool // a format was started but not ended
	CorruptRAM    bool
	UnderTemp     bool
	OverTemp      bool
	// LabelLength is the label length in dots.
	LabelLength int
	// Formats is the number of formats in the receive buffer.
	Formats int
	// LabelsRemaining is the number of labels remaining in the batch.
	LabelsRemaining int
}

// Faults lists the faults that keep the printer from printing: paper
// out, head open, paused, ribbon out.
func (s Status) Faults() []error {
	return rawport.Conditions(
		rawport.Condition{On: s.PaperOut, Err: ErrPaperOut},
		rawport.Condition{On: s.HeadOpen, Err: ErrHeadOpen},
		rawport.Condition{On: s.Paused, Err: ErrPaused},
		rawport.Condition{On: s.RibbonOut, Err: ErrRibbonOut},
	)
}

// Err returns a *FaultError when the status keeps the printer from
// printing, and nil otherwise.
func (s Status) Err() error { return rawport.Fault(s) }

// FaultError is the error of a printer whose status keeps it from printing.
// errors.Is matches it against ErrPaperOut, ErrHeadOpen, ErrPaused and
// ErrRibbonOut for each fault the status reports.
type FaultError = rawport.FaultError[Status]

// Errors of the exchange with a printer; compare with errors.Is.
var (
	// ErrNoAnswer: the printer did not answer ~HS, or did not take a label,
	// within the timeout.
	ErrNoAnswer = errors.New("no answer to host status request")
	// ErrBadAnswer: the answer to ~HS is not three STX ... ETX CR LF strings
	// with the expected fields.
	ErrBadAnswer = errors.New("malformed host status answer")
)

// queryHostStatus sends ~HS and parses the answer.
func queryHostStatus(w io.Writer, r *bufio.Reader) (Status, error) {
	if _, err := w.Write([]byte("~HS")); err != nil {
		return Status{}, fmt.Errorf("sending ~HS: %w", err)
	}
	raw, err := readHostStatus(r)
	if err != nil {
		return Status{}, fmt.Errorf("reading host status: %w", err)
	}
	return parseHostStatus(raw)
}

// dialect is what the session needs of ZPL: the ~HS round trip.
var dialect = rawport.Dialect[Status]{
	Query:   queryHostStatus,
	Noun:    "label",
	Request: "host status",
}

// maxStatusString bounds one string of the answer; real ones are about 40
// bytes.
const maxStatusString = 256

// readHostStatus reads the three strings of a ~HS answer, skipping anything
// before each STX.
func readHostStatus(r *bufio.Reader) ([3]string, error) {
	var out [3]string
	for i := range out {
		for skipped := 0; ; skipped++ {
			b, err := r.ReadByte()
			if err != nil {
				return out, err
			}
			if b == 0x02 {
				break
			}
			if skipped > maxStatusString {
				return out, fmt.Errorf("no STX in %d bytes: %w", skipped, ErrBadAnswer)
			}
		}
		var s []byte
		for {
			b, err := r.ReadByte()
			if err != nil {
				return out, err
			}
			if b == 0x03 {
				break
			}
			if len(s) >= maxStatusString {
				return out, fmt.Errorf("string %d longer than %d bytes: %w", i+1, maxStatusString, ErrBadAnswer)
			}
			s = append(s, b)
		}
		for _, want := range []byte("\r\n") {
			b, err := r.ReadByte()
			if err != nil {
				return out, err
			}
			if b != want {
				return out, fmt.Errorf("string %d ends with %q, want CR LF: %w", i+1, b, ErrBadAnswer)
			}
		}
		out[i] = string(s)
	}
	return out, nil
}

// parseHostStatus decodes the three strings of a ~HS answer.
func parseHostStatus(s [3]string) (Status, error) {
	a := strings.Split(s[0], ",")
	b := strings.Split(s[1], ",")
	if len(a) < 12 || len(b) < 11 {
		return Status{}, fmt.Errorf("%d and %d fields, want 12 and 11: %w", len(a), len(b), ErrBadAnswer)
	}
	var err error
	flag := func(v string) bool {
		switch v {
		case "0":
			return false
		case "1":
			return true
		}
		if err == nil {
			err = fmt.Errorf("flag %q: %w", v, ErrBadAnswer)
		}
		return false
	}
	num := func(v string) int {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			if err == nil {
				err = fmt.Errorf("number %q: %w", v, ErrBadAnswer)
			}
			return 0
		}
		return n
	}
	st := Status{
		PaperOut: flag(a[1]), Paused: flag(a[2]), LabelLength: num(a[3]), Formats: num(a[4]),
		BufferFull: flag(a[5]), PartialFormat: flag(a[7]), CorruptRAM: flag(a[9]),
		UnderTemp: flag(a[10]), OverTemp: flag(a[11]),
		HeadOpen: flag(b[2]), RibbonOut: flag(b[3]), LabelsRemaining: num(b[8]),
	}
	if err != nil {
		return Status{}, err
	}
	return st, nil
}
