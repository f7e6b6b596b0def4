package zpl

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"
)

// Slip is the parcel slip of a repair, printed at intake to travel with the item: the repair's
// id large, the customer's name, the unit's serial (or, for an item the studio did not make,
// what staff wrote about it), the date of intake and a QR code of the repair's staff page.
type Slip struct {
	// RepairID is printed large at the top ("R-000042").
	RepairID string
	// Customer is the customer's name.
	Customer string
	// Serial is the repaired unit's serial; empty for an item the studio did not make.
	Serial string
	// Item is what staff wrote about an item that is not a unit; printed when Serial is empty.
	Item string
	// Intake is when the repair was taken in; its date is printed in its own location.
	Intake time.Time
	// URL is the repair's staff page, printed as a QR code.
	URL string
}

// slipLine is the most runes of the customer's name or of the item a slip prints: about a line
// of its 32-dot font on a 4-inch label. What is longer is cut short, with an ellipsis, since a
// slip is a label on a parcel and not the repair's record.
const slipLine = 40

// Validate reports a slip that cannot be printed.
func (s Slip) Validate() error {
	switch {
	case s.RepairID == "":
		return errors.New("slip has no repair id")
	case s.URL == "":
		return errors.New("slip has no url")
	case len(s.URL) > MaxURL:
		return fmt.Errorf("url of %d bytes longer than %d", len(s.URL), MaxURL)
	case s.Serial == "" && s.Item == "":
		return errors.New("slip has neither a serial nor an item")
	case s.Intake.IsZero():
		return errors.New("slip has no intake date")
	}
	for _, f := range []struct{ name, v string }{{"repair id", s.RepairID}, {"serial", s.Serial}} {
		if len(f.v) > MaxText {
			return fmt.Errorf("%s of %d bytes longer than %d", f.name, len(f.v), MaxText)
		}
	}
	return nil
}

func (s Slip) render() []byte { return RenderSlip(s) }
func (s Slip) name() string   { return fmt.Sprintf("slip %q", s.RepairID) }
func (s Slip) printed(log *slog.Logger) {
	log.Debug("slip printed", "repair", s.RepairID)
}

// RenderSlip returns the ZPL format (^XA ... ^XZ) of s: the repair id in a large font, then the
// customer, the serial (or the item) and the intake date, each with a caption, and a QR code of
// the URL as on a unit's label. All data goes through ^FH hex escapes, in UTF-8 (^CI28).
// RenderSlip does not validate s.
func RenderSlip(s Slip) []byte {
	b := []byte("^XA\n^CI28\n^FXcellforge parcel slip\n^CF0,28\n")
	b = field(b, 40, 30, "^A0N,24,24", "REPAIR")
	b = field(b, 40, 60, "^A0N,96,96", s.RepairID)
	y := 180
	what := []struct{ caption, v string }{{"CUSTOMER", cut(s.Customer, slipLine)}}
	if s.Serial != "" {
		what = append(what, struct{ caption, v string }{"SERIAL", s.Serial})
	} else {
		what = append(what, struct{ caption, v string }{"ITEM", cut(s.Item, slipLine)})
	}
	what = append(what, struct{ caption, v string }{"RECEIVED", s.Intake.Format(time.DateOnly)})
	for _, f := range what {
		if f.v == "" {
			continue
		}
		b = field(b, 40, y+6, "^A0N,24,24", f.caption)
		b = field(b, 200, y, "^A0N,32,32", f.v)
		y += 45
	}
	b = fmt.Appendf(b, "^FO40,%d^BQN,2,%d^FH_^FDQA,", y+10, qrMagnification)
	b = escape(b, s.URL)
	return append(b, "^FS\n^PQ1\n^XZ\n"...)
}

// cut returns s cut to at most n runes, the last an ellipsis when it was longer.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
