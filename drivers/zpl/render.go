package zpl

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/cellforge/cellforge/drivers/rawport"
)

// Limits of what a label can carry.
const (
	// MaxURL is the longest provenance URL: what a QR code holds in byte
	// mode at error correction level Q, with room to spare.
	MaxURL = 1600
	// MaxText is the longest text field (SKU, drop, serial, title).
	MaxText = 200
	// MaxQuantity is the largest ^PQ quantity.
	MaxQuantity = 99999999
)

// qrMagnification is the QR module size in dots: 5 dots at 203 dpi keep a
// 33-module code (a URL of about 60 bytes) under 25 mm.
const qrMagnification = 5

// Label is the provenance label of one finished piece.
type Label struct {
	SKU    string
	Drop   string
	Serial string
	// URL is the provenance page, printed as a QR code.
	URL string
	// Title is printed large at the top when not empty.
	Title string
	// Quantity is the number of copies; 0 means 1.
	Quantity int
}

// Validate reports a label that cannot be printed.
func (l Label) Validate() error {
	switch {
	case l.SKU == "":
		return errors.New("label has no sku")
	case l.URL == "":
		return errors.New("label has no url")
	case len(l.URL) > MaxURL:
		return fmt.Errorf("url of %d bytes longer than %d", len(l.URL), MaxURL)
	case l.Quantity < 0 || l.Quantity > MaxQuantity:
		return fmt.Errorf("quantity %d outside 0..%d", l.Quantity, MaxQuantity)
	}
	for _, f := range []struct{ name, v string }{{"sku", l.SKU}, {"drop", l.Drop}, {"serial", l.Serial}, {"title", l.Title}} {
		if len(f.v) > MaxText {
			return fmt.Errorf("%s of %d bytes longer than %d", f.name, len(f.v), MaxText)
		}
	}
	return nil
}

// Job is what the label printer prints: a unit's [Label] or a repair's parcel [Slip].
type Job interface {
	// Validate reports a job that cannot be printed.
	Validate() error
	render() []byte
	name() string
	printed(log *slog.Logger)
}

var (
	_ Job = Label{}
	_ Job = Slip{}
)

// jobs is what the printer prints: unit labels and parcel slips.
var jobs = rawport.Jobs[Job]{
	Render:  func(j Job) []byte { return j.render() },
	Name:    func(j Job) string { return j.name() },
	Printed: func(log *slog.Logger, j Job) { j.printed(log) },
}

func (l Label) render() []byte { return Render(l) }
func (l Label) name() string   { return fmt.Sprintf("label %q", l.Serial) }
func (l Label) printed(log *slog.Logger) {
	log.Debug("label printed", "serial", l.Serial, "sku", l.SKU)
}

// Render returns the ZPL format (^XA ... ^XZ) of l: the title, the SKU,
// drop and serial each with a caption, and a QR code of the URL (model 2,
// error correction Q, automatic input mode). All data goes through ^FH hex
// escapes (see escape), and ^CI28 makes the printer read it as UTF-8.
// Render does not validate l.
func Render(l Label) []byte {
	b := []byte("^XA\n^CI28\n^FXcellforge provenance label\n^CF0,28\n")
	y := 30
	if l.Title != "" {
		b = field(b, 40, y, "^A0N,44,44", l.Title)
		y += 60
	}
	for _, f := range []struct{ caption, v string }{{"SKU", l.SKU}, {"DROP", l.Drop}, {"SERIAL", l.Serial}} {
		if f.v == "" {
			continue
		}
		b = field(b, 40, y+6, "^A0N,24,24", f.caption)
		b = field(b, 170, y, "^A0N,32,32", f.v)
		y += 45
	}
	b = fmt.Appendf(b, "^FO40,%d^BQN,2,%d^FH_^FDQA,", y+10, qrMagnification)
	b = escape(b, l.URL)
	b = append(b, "^FS\n"...)
	q := l.Quantity
	if q == 0 {
		q = 1
	}
	b = append(b, "^PQ"...)
	b = strconv.AppendInt(b, int64(q), 10)
	return append(b, "\n^XZ\n"...)
}

// field appends a text field at x, y in font (an ^A command) holding data.
func field(b []byte, x, y int, font, data string) []byte {
	b = fmt.Appendf(b, "^FO%d,%d%s^FH_^FD", x, y, font)
	b = escape(b, data)
	return append(b, "^FS\n"...)
}

// escape appends s as ^FH_ field data: every byte outside printable ASCII,
// and ^, ~ and _ (which would end the field, start a command or start an
// escape), is sent as _ and two hex digits.
func escape(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7E || c == '^' || c == '~' || c == '_' {
			b = append(b, '_', hex[c>>4], hex[c&0xF])
			continue
		}
		b = append(b, c)
	}
	return b
}
