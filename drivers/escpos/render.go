package escpos

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/cellforge/cellforge/drivers/rawport"
)

// Columns is the width of a ticket line: font A on a 58 mm roll.
const Columns = 32

// MaxURL is the longest URL printed as a QR code.
const MaxURL = 1000

// Ticket is the work-order traveler that goes with a job through the cell.
type Ticket struct {
	WorkOrder string
	SKU       string
	Quantity  int
	Drop      string
	Due       time.Time // zero when there is no due date
	// Steps is the routing, one operation a step, in order.
	Steps []string
	Notes string
	// URL is the work order's page, printed as a QR code when not empty.
	URL string
}

// Validate reports a ticket that cannot be printed.
func (t Ticket) Validate() error {
	switch {
	case t.WorkOrder == "":
		return errors.New("ticket has no work order")
	case t.Quantity < 0:
		return fmt.Errorf("quantity %d is negative", t.Quantity)
	case len(t.URL) > MaxURL:
		return fmt.Errorf("url of %d bytes longer than %d", len(t.URL), MaxURL)
	}
	return nil
}

// jobs is what the printer prints: travelers.
var jobs = rawport.Jobs[Ticket]{
	Render: Render,
	Name:   func(t Ticket) string { return fmt.Sprintf("traveler of %q", t.WorkOrder) },
	Printed: func(log *slog.Logger, t Ticket) {
		log.Debug("traveler printed", "work_order", t.WorkOrder)
	},
}

// Commands used by Render.
var (
	cmdInit       = []byte{0x1B, '@'}
	cmdBoldOn     = []byte{0x1B, 'E', 1}
	cmdBoldOff    = []byte{0x1B, 'E', 0}
	cmdLeft       = []byte{0x1B, 'a', 0}
	cmdCenter     = []byte{0x1B, 'a', 1}
	cmdDouble     = []byte{0x1D, '!', 0x11}
	cmdNormal     = []byte{0x1D, '!', 0x00}
	cmdFeed3      = []byte{0x1B, 'd', 3}
	cmdPartialCut = []byte{0x1D, 'V', 66, 0} // feed to the cutter, then cut
	qrModel2      = []byte{0x1D, '(', 'k', 4, 0, 49, 65, 50, 0}
	qrModule6     = []byte{0x1D, '(', 'k', 3, 0, 49, 67, 6}
	qrLevelM      = []byte{0x1D, '(', 'k', 3, 0, 49, 69, 49}
	qrPrint       = []byte{0x1D, '(', 'k', 3, 0, 49, 81, 48}
)

// Render returns the ESC/POS bytes of t: the work order in double size,
// SKU, quantity, drop and due date, the numbered routing steps, the notes,
// the QR code of the URL, then a feed and a partial cut. Text is cut to
// printable ASCII (other characters print as ?) and wrapped at Columns.
// Render does not validate t.
func Render(t Ticket) []byte {
	b := append([]byte(nil), cmdInit...)
	b = append(b, cmdCenter...)
	b = append(b, cmdBoldOn...)
	b = append(b, cmdDouble...)
	b = lines(b, "WO "+t.WorkOrder, Columns/2, "")
	b = append(b, cmdNormal...)
	b = append(b, cmdBoldOff...)
	b = lines(b, "WORK ORDER TRAVELER", Columns, "")
	b = append(b, cmdLeft...)
	rule := strings.Repeat("-", Columns)
	b = lines(b, rule, Columns, "")
	b = lines(b, "SKU:  "+t.SKU, Columns, "      ")
	b = lines(b, "Qty:  "+strconv.Itoa(t.Quantity), Columns, "")
	if t.Drop != "" {
		b = lines(b, "Drop: "+t.Drop, Columns, "      ")
	}
	if !t.Due.IsZero() {
		b = lines(b, "Due:  "+t.Due.Format("2006-01-02 15:04"), Columns, "")
	}
	if len(t.Steps) > 0 {
		b = lines(b, rule, Columns, "")
		b = append(b, cmdBoldOn...)
		b = lines(b, "Routing", Columns, "")
		b = append(b, cmdBoldOff...)
		for i, s := range t.Steps {
			b = lines(b, fmt.Sprintf("%2d. %s", i+1, s), Columns, "    ")
		}
	}
	if t.Notes != "" {
		b = lines(b, rule, Columns, "")
		b = append(b, cmdBoldOn...)
		b = lines(b, "Notes", Columns, "")
		b = append(b, cmdBoldOff...)
		for _, para := range strings.Split(t.Notes, "\n") {
			b = lines(b, para, Columns, "")
		}
	}
	if t.URL != "" {
		b = append(b, cmdCenter...)
		b = append(b, qrModel2...)
		b = append(b, qrModule6...)
		b = append(b, qrLevelM...)
		n := len(t.URL) + 3
		b = append(b, 0x1D, '(', 'k', byte(n), byte(n>>8), 49, 80, 48)
		b = append(b, t.URL...)
		b = append(b, qrPrint...)
		b = append(b, '\n')
		b = append(b, cmdLeft...)
	}
	b = append(b, cmdFeed3...)
	return append(b, cmdPartialCut...)
}

// lines appends s as lines of at most width characters, broken at spaces
// where it can be, each ended by LF; continuation lines start with indent.
func lines(b []byte, s string, width int, indent string) []byte {
	s = printable(s)
	first := true
	for {
		w := width
		if !first {
			s = indent + strings.TrimLeft(s, " ")
		}
		if len(s) <= w {
			b = append(b, s...)
			return append(b, '\n')
		}
		cut := strings.LastIndexByte(s[:w+1], ' ')
		if cut <= len(indent) {
			cut = w
		}
		b = append(b, strings.TrimRight(s[:cut], " ")...)
		b = append(b, '\n')
		s, first = s[cut:], false
	}
}

// printable replaces what the printer's code page may not print as the
// writer meant it (control characters, anything beyond ASCII) with ?.
func printable(s string) string {
	var sb strings.Builder
	for _, r := range s {
		if r == '\t' {
			r = ' '
		}
		if r < 0x20 || r > 0x7E {
			r = '?'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
