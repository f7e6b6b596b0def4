package zpl

import (
	"strconv"
	"strings"
)

// Command is a command kept as received: its prefix and code, upper case
// (such as "^LH"), and its raw parameters.
type Command struct {
	Code   string
	Params string
}

// QR holds the parameters of a ^BQ field.
type QR struct {
	// ECC is the error correction level from the field data: 'H', 'Q', 'M'
	// or 'L'; 0 when the data does not follow the <ecc><mode>, form.
	ECC byte
	// Mode is the data input mode: 'A' automatic or 'M' manual.
	Mode byte
	// Params are the raw parameters of ^BQ (orientation, model,
	// magnification, ...).
	Params string
}

// Field is one field of a label.
type Field struct {
	X, Y        int
	Font        string // font name from ^A, or the ^CF default
	Orientation byte   // N, R, I or B; 0 when not given
	Height      int    // font height in dots; 0 when not given
	Width       int    // font width in dots; 0 when not given
	// Barcode is "" for text, "QR" for ^BQ, "Code128" for ^BC.
	Barcode string
	// BarcodeParams are the raw parameters of ^BC.
	BarcodeParams string
	// QR is set for ^BQ fields.
	QR *QR
	// Data is the field data after ^FH decoding; for QR codes, the payload
	// without its "QA," header.
	Data string
	// Raw is the field data as received.
	Raw string
}

// Label is one ^XA ... ^XZ format.
type Label struct {
	Fields   []Field
	Quantity int
	Comments []string
	Unknown  []Command
}

// Field returns the first field whose Data is data, or false.
func (l Label) Field(data string) (Field, bool) {
	for _, f := range l.Fields {
		if f.Data == data {
			return f, true
		}
	}
	return Field{}, false
}

// QRCodes returns the payloads of the label's QR codes.
func (l Label) QRCodes() []string {
	var out []string
	for _, f := range l.Fields {
		if f.Barcode == "QR" {
			out = append(out, f.Data)
		}
	}
	return out
}

// Limits that keep a malformed stream from growing the parser's memory.
const (
	maxParams   = 16 << 10
	maxCommands = 4096
)

// noParams are the commands that end right after their code.
var noParams = map[string]bool{
	"^XA": true, "^XZ": true, "^FS": true,
	"~HS": true, "~HI": true, "~HM": true, "~HD": true, "~JA": true,
	"~PS": true, "~PP": true, "~JR": true, "~RO": true,
}

// font is a font selection from ^A or ^CF.
type font struct {
	name          string
	orientation   byte
	height, width int
}

// fieldState is the field being built.
type fieldState struct {
	x, y     int
	font     *font
	barcode  string
	bcParams string
	hex      byte // ^FH indicator; 0 when off
	raw      string
	hasData  bool
}

// host is what the parser acts on: the printer.
type host interface {
	printLabel(Label)
	hostStatus(partial bool) []byte
	tilde(code string)
	count(garbage, malformed int)
}

// parser turns a ZPL stream into labels and answers. It is fed chunks as
// they are read; its results depend only on the bytes fed, not on how they
// were split. It is not safe for concurrent use.
type parser struct {
	h    host
	buf  []byte
	skip bool // dropping the rest of an over-long parameter

	inFormat bool
	label    Label
	items    int
	field    fieldState
	defFont  font

	out []byte
}

func newParser(h host) *parser {
	return &parser{h: h, defFont: font{name: "0"}}
}

func isPrefix(c byte) bool { return c == '^' || c == '~' }

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// feed parses b.
func (p *parser) feed(b []byte) {
	for _, c := range b {
		if c != '\r' && c != '\n' {
			p.buf = append(p.buf, c)
		}
	}
	i := 0
	for i < len(p.buf) {
		n := p.step(p.buf[i:])
		if n == 0 {
			break
		}
		i += n
	}
	if i == len(p.buf) {
		p.buf = p.buf[:0]
		if cap(p.buf) > 4096 {
			p.buf = nil
		}
		return
	}
	p.buf = append([]byte(nil), p.buf[i:]...)
}

// end is called when the stream ends: an open format is discarded.
func (p *parser) end() {
	if p.inFormat {
		p.inFormat = false
		p.h.count(0, 1)
	}
	p.buf, p.skip = nil, false
}

// step parses the element at the start of b and returns its length, or 0
// when b holds only the start of it.
func (p *parser) step(b []byte) int {
	if !isPrefix(b[0]) {
		n := 1
		for n < len(b) && !isPrefix(b[n]) {
			n++
		}
		// The rest of a cut parameter is not garbage inside a format.
		if !p.skip || !p.inFormat {
			p.h.count(n, 0)
		}
		return n
	}
	p.skip = false
	if len(b) < 3 {
		return 0
	}
	if isPrefix(b[1]) || isPrefix(b[2]) {
		p.h.count(1, 0)
		return 1
	}
	code := string([]byte{b[0], upper(b[1]), upper(b[2])})
	start := 3
	if code[:2] == "^A" && code != "^A@" {
		code, start = "^A", 2
	}
	if noParams[code] {
		p.exec(code, "", 3)
		return 3
	}
	end := -1
	for i := start; i < len(b) && i <= start+maxParams; i++ {
		if isPrefix(b[i]) {
			end = i
			break
		}
	}
	switch {
	case end >= 0:
		p.exec(code, string(b[start:end]), end)
		return end
	case len(b) > start+maxParams:
		p.exec(code, string(b[start:start+maxParams]), start+maxParams)
		p.skip = true
		return start + maxParams
	default:
		return 0
	}
}

// exec runs one command of n bytes.
func (p *parser) exec(code, params string, n int) {
	if code[0] == '~' {
		if code == "~HS" {
			p.out = append(p.out, p.h.hostStatus(p.inFormat)...)
			return
		}
		p.h.tilde(code)
		return
	}
	if !p.inFormat {
		if code == "^XA" {
			p.start()
			return
		}
		p.h.count(n, 0)
		return
	}
	p.items++
	if p.items > maxCommands {
		p.inFormat = false
		p.h.count(0, 1)
		return
	}
	switch code {
	case "^XA":
		p.h.count(0, 1)
		p.start()
	case "^XZ":
		if p.field.hasData || p.field.barcode != "" {
			p.endField()
		}
		p.inFormat = false
		p.h.printLabel(p.label)
		p.label = Label{}
	case "^FO", "^FT":
		a := split(params)
		p.field.x, p.field.y = atoi(a, 0), atoi(a, 1)
	case "^A":
		f := font{}
		if len(params) > 0 {
			f.name = params[:1]
		}
		a := split(params[min(1, len(params)):])
		if len(a) > 0 && len(a[0]) > 0 {
			f.orientation = strings.ToUpper(a[0])[0]
		}
		f.height, f.width = atoi(a, 1), atoi(a, 2)
		p.field.font = &f
	case "^CF":
		a := split(params)
		f := font{name: p.defFont.name, height: atoi(a, 1), width: atoi(a, 2)}
		if len(a) > 0 && a[0] != "" {
			f.name = a[0][:1]
		}
		p.defFont = f
	case "^FH":
		p.field.hex = '_'
		if params != "" {
			p.field.hex = params[0]
		}
	case "^FD":
		p.field.raw, p.field.hasData = params, true
	case "^FS":
		p.endField()
	case "^BQ":
		p.field.barcode, p.field.bcParams = "QR", params
	case "^BC":
		p.field.barcode, p.field.bcParams = "Code128", params
	case "^FX":
		p.label.Comments = append(p.label.Comments, params)
	case "^PQ":
		if q := atoi(split(params), 0); q > 0 {
			p.label.Quantity = q
		}
	default:
		p.label.Unknown = append(p.label.Unknown, Command{Code: code, Params: params})
	}
}

func (p *parser) start() {
	p.inFormat = true
	p.label = Label{Quantity: 1}
	p.items = 0
	p.field = fieldState{}
}

// endField keeps the field being built, if it has anything to print.
func (p *parser) endField() {
	fs := p.field
	p.field = fieldState{}
	if !fs.hasData && fs.barcode == "" {
		return
	}
	fn := p.defFont
	if fs.font != nil {
		fn = *fs.font
	}
	f := Field{
		X: fs.x, Y: fs.y, Font: fn.name, Orientation: fn.orientation, Height: fn.height, Width: fn.width,
		Barcode: fs.barcode, Raw: fs.raw, Data: fs.raw,
	}
	if fs.hex != 0 {
		f.Data = unhex(fs.raw, fs.hex)
	}
	switch fs.barcode {
	case "QR":
		q := &QR{Params: fs.bcParams}
		q.ECC, q.Mode, f.Data = qrPayload(f.Data)
		f.QR = q
	case "Code128":
		f.BarcodeParams = fs.bcParams
	}
	p.label.Fields = append(p.label.Fields, f)
}

// qrPayload splits ^BQ field data "<ecc><mode>,<data>" into its parts. In
// manual mode the data starts with a character mode: N, A or K, or B and a
// four-digit byte count. Data in no known form is returned whole.
func qrPayload(d string) (ecc, mode byte, payload string) {
	if len(d) < 3 || d[2] != ',' || !strings.ContainsRune("HQML", rune(d[0])) {
		return 0, 0, d
	}
	ecc, mode, rest := d[0], d[1], d[3:]
	switch mode {
	case 'A':
		return ecc, mode, rest
	case 'M':
		switch {
		case len(rest) >= 5 && rest[0] == 'B' && digits(rest[1:5]):
			return ecc, mode, rest[5:]
		case len(rest) >= 1 && strings.ContainsRune("NAK", rune(rest[0])):
			return ecc, mode, rest[1:]
		}
		return ecc, mode, rest
	}
	return 0, 0, d
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// unhex decodes ^FH escapes: ind and two hex digits stand for one byte; an
// indicator not followed by two hex digits is kept as it is.
func unhex(s string, ind byte) string {
	if strings.IndexByte(s, ind) < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == ind && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

func split(params string) []string {
	if params == "" {
		return nil
	}
	return strings.Split(params, ",")
}

// atoi returns the i-th parameter as a number, 0 when missing or not one.
func atoi(a []string, i int) int {
	if i >= len(a) {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(a[i]))
	if err != nil {
		return 0
	}
	return n
}
