package escpos

// Control bytes of the protocol.
const (
	ht  = 0x09
	lf  = 0x0A
	cr  = 0x0D
	dle = 0x10
	eot = 0x04
	enq = 0x05
	dc4 = 0x14
	esc = 0x1B
	fs  = 0x1C
	gs  = 0x1D
)

// Align is the justification of a printed line.
type Align int

// Justifications set with ESC a n.
const (
	AlignLeft Align = iota
	AlignCenter
	AlignRight
)

// String returns "left", "center" or "right".
func (a Align) String() string {
	switch a {
	case AlignCenter:
		return "center"
	case AlignRight:
		return "right"
	default:
		return "left"
	}
}

// Cut is how a ticket was cut off.
type Cut int

// Ways a ticket ends.
const (
	// CutNone marks a ticket whose connection ended before it was cut.
	CutNone Cut = iota
	CutFull
	CutPartial
)

// String returns "none", "full" or "partial".
func (c Cut) String() string {
	switch c {
	case CutFull:
		return "full"
	case CutPartial:
		return "partial"
	default:
		return "none"
	}
}

// Span is a run of text printed with the same attributes.
type Span struct {
	Text   string
	Bold   bool
	Width  int // character width multiplier, 1..8
	Height int // character height multiplier, 1..8
}

// Line is one printed line. Bold, Width and Height are those of its first
// character; Spans has the attributes of every part. A blank line has an
// empty Text and no spans.
type Line struct {
	Text   string
	Align  Align
	Bold   bool
	Width  int
	Height int
	Spans  []Span
}

// QR is a printed QR code.
type QR struct {
	// Data is the payload, as stored with GS ( k function 80.
	Data string
	// Model is 1 or 2 (default 2).
	Model int
	// ModuleSize is the module size in dots (default 3).
	ModuleSize int
	// ECC is the error correction level: 'L', 'M', 'Q' or 'H' (default 'L').
	ECC byte
	// AfterLine is the number of lines of the ticket printed before it.
	AfterLine int
}

// Ticket is what was printed between two cuts.
type Ticket struct {
	Lines   []Line
	QRCodes []QR
	Cut     Cut
}

// Text returns the ticket's lines joined by newlines, for tests that look
// for content rather than layout.
func (t Ticket) Text() string {
	n := 0
	for _, l := range t.Lines {
		n += len(l.Text) + 1
	}
	b := make([]byte, 0, n)
	for _, l := range t.Lines {
		b = append(b, l.Text...)
		b = append(b, '\n')
	}
	return string(b)
}

// attrs are the character attributes in effect.
type attrs struct {
	bold          bool
	width, height int
	align         Align
}

func defaultAttrs() attrs { return attrs{width: 1, height: 1} }

// qrStore is the QR symbol storage of GS ( k.
type qrStore struct {
	data   []byte
	stored bool
	model  int
	size   int
	ecc    byte
}

func defaultQR() qrStore { return qrStore{model: 2, size: 3, ecc: 'L'} }

// parser turns an ESC/POS byte stream into tickets and status answers. It is
// fed chunks as they are read; its results depend only on the bytes fed, not
// on how they were split. It buffers at most one command: the largest kept
// whole is GS ( k with its 16-bit length; longer data is skipped as it
// arrives. It is not safe for concurrent use.
type parser struct {
	columns int // wrap width; 0 means no wrapping
	faults  Faults

	buf  []byte // start of a command not yet complete
	skip int64  // bytes of skipped data still to come (a raster's may pass what a 32-bit int counts)

	at     attrs
	line   []Span
	lineAt attrs // attributes when the line's first character came
	used   int   // columns used on the line
	ticket Ticket
	qr     qrStore

	// Results, taken by the caller after each feed.
	out     []byte
	done    []Ticket
	dropped int
}

func newParser(columns int) *parser {
	return &parser{columns: columns, at: defaultAttrs(), qr: defaultQR()}
}

// stopped reports whether printing is stopped by a fault.
func (p *parser) stopped() bool {
	return p.faults.PaperOut || p.faults.CoverOpen || p.faults.Offline
}

// feed parses b with the faults f in effect.
func (p *parser) feed(b []byte, f Faults) {
	p.faults = f
	if p.skip > 0 {
		n := int(min(p.skip, int64(len(b))))
		p.skip -= int64(n)
		b = b[n:]
	}
	if len(b) == 0 {
		return
	}
	p.buf = append(p.buf, b...)
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

// end is called when the stream ends: a ticket with content that was never
// cut is kept.
func (p *parser) end() {
	if len(p.ticket.Lines) > 0 || len(p.ticket.QRCodes) > 0 {
		p.ticket.Cut = CutNone
		p.done = append(p.done, p.ticket)
	}
	p.ticket = Ticket{}
	p.line, p.used = nil, 0
}

// skipData consumes a command of hdr header bytes followed by k data bytes
// that are not kept, starting at b. It never asks for more input once the
// header is complete: data not yet received is dropped as it comes.
func (p *parser) skipData(b []byte, hdr int, k int64) int {
	if len(b) < hdr {
		return 0
	}
	if avail := int64(len(b) - hdr); k > avail {
		p.skip = k - avail
		return len(b)
	}
	return hdr + int(k)
}

// fixed returns the length of a fixed-length command if b holds it all.
func fixed(b []byte, n int) int {
	if len(b) < n {
		return 0
	}
	return n
}

// step parses the element at the start of b and returns its length, or 0
// when b holds only the start of it.
func (p *parser) step(b []byte) int {
	c := b[0]
	switch {
	case c >= 0x20:
		n := 1
		for n < len(b) && b[n] >= 0x20 {
			n++
		}
		p.text(b[:n])
		return n
	case c == ht:
		p.text(b[:1])
		return 1
	case c == lf:
		p.printLine()
		return 1
	case c == dle:
		return p.dleCmd(b)
	case c == esc:
		return p.escCmd(b)
	case c == gs:
		return p.gsCmd(b)
	case c == fs:
		return p.fsCmd(b)
	default:
		return 1
	}
}

func (p *parser) dleCmd(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case eot:
		if len(b) < 3 {
			return 0
		}
		switch n := b[2]; n {
		case 7, 8:
			return fixed(b, 4)
		default:
			if s, ok := statusByte(n, p.faults); ok && !p.faults.Silent {
				p.out = append(p.out, s)
			}
			return 3
		}
	case enq:
		return fixed(b, 3)
	case dc4:
		return fixed(b, 5)
	default:
		return 1
	}
}

// escFixed is the total length of the fixed-length ESC commands that are
// skipped.
var escFixed = map[byte]int{
	' ': 3, '-': 3, '2': 2, '3': 3, '<': 2, '=': 3, '?': 3, 'G': 3, 'J': 3,
	'K': 3, 'L': 2, 'M': 3, 'R': 3, 'S': 2, 'T': 3, 'U': 3, 'V': 3, 'W': 10,
	'e': 3, 'r': 3, 't': 3, 'u': 3, 'v': 2, '{': 3, '%': 3, '$': 4, '\\': 4,
	'c': 4, 'p': 5, 0x0C: 2,
}

func (p *parser) escCmd(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '@':
		p.at = defaultAttrs()
		p.line, p.used = nil, 0
		p.qr = defaultQR()
		return 2
	case 'E':
		if len(b) < 3 {
			return 0
		}
		p.at.bold = b[2]&1 != 0
		return 3
	case '!':
		if len(b) < 3 {
			return 0
		}
		n := b[2]
		p.at.bold = n&0x08 != 0
		p.at.height = 1 + int(n>>4&1)
		p.at.width = 1 + int(n>>5&1)
		return 3
	case 'a':
		if len(b) < 3 {
			return 0
		}
		switch b[2] {
		case 0, '0':
			p.at.align = AlignLeft
		case 1, '1':
			p.at.align = AlignCenter
		case 2, '2':
			p.at.align = AlignRight
		}
		return 3
	case 'd':
		if len(b) < 3 {
			return 0
		}
		n := int(b[2])
		if n == 0 {
			if len(p.line) > 0 {
				p.printLine()
			}
		}
		for range n {
			p.printLine()
		}
		return 3
	case 'i':
		p.cut(CutFull)
		return 2
	case 'm':
		p.cut(CutPartial)
		return 2
	case '*':
		if len(b) < 5 {
			return 0
		}
		k := int(b[3]) + int(b[4])<<8
		if b[2] == 32 || b[2] == 33 {
			k *= 3
		}
		return p.skipData(b, 5, int64(k))
	case '(':
		if len(b) < 5 {
			return 0
		}
		return p.skipData(b, 5, int64(b[3])+int64(b[4])<<8)
	case 'D':
		// Up to 32 tab stops and a NUL.
		for i := 2; i < len(b) && i < 2+33; i++ {
			if b[i] == 0 {
				return i + 1
			}
		}
		if len(b) >= 2+33 {
			return 2 + 33
		}
		return 0
	case '&':
		return userChars(b)
	}
	if n, ok := escFixed[b[1]]; ok {
		return fixed(b, n)
	}
	return 2
}

// userChars returns the length of ESC & y c1 c2 [x d1..d(y*x)]..., or 0
// while it is incomplete.
func userChars(b []byte) int {
	if len(b) < 5 {
		return 0
	}
	y, c1, c2 := int(b[2]), int(b[3]), int(b[4])
	if c2 < c1 || y < 1 || y > 3 {
		// Out of range: printers ignore the definition; so does the
		// parser, keeping what it buffers small.
		return 5
	}
	i := 5
	for range c2 - c1 + 1 {
		if i >= len(b) {
			return 0
		}
		i += 1 + y*int(b[i])
	}
	if i > len(b) {
		return 0
	}
	return i
}

// gsFixed is the total length of the fixed-length GS commands that are
// skipped.
var gsFixed = map[byte]int{
	'B': 3, 'H': 3, 'L': 4, 'W': 4, 'P': 4, 'f': 3, 'h': 3, 'w': 3, 'a': 3,
	'b': 3, 'I': 3, 'r': 3, 'T': 3, '$': 4, '\\': 4, '/': 3, ':': 2, '^': 5,
	'E': 3, 'j': 3, 'c': 2,
}

func (p *parser) gsCmd(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '!':
		if len(b) < 3 {
			return 0
		}
		p.at.width = 1 + int(b[2]>>4&7)
		p.at.height = 1 + int(b[2]&7)
		return 3
	case 'V':
		if len(b) < 3 {
			return 0
		}
		switch m := b[2]; m {
		case 65, 97, 103, 66, 98, 104:
			if len(b) < 4 {
				return 0
			}
			if m == 65 || m == 97 || m == 103 {
				p.cut(CutFull)
			} else {
				p.cut(CutPartial)
			}
			return 4
		case 1, 49:
			p.cut(CutPartial)
		default:
			p.cut(CutFull)
		}
		return 3
	case '(':
		if len(b) < 5 {
			return 0
		}
		k := int(b[3]) + int(b[4])<<8
		if b[2] != 'k' || k < 2 {
			return p.skipData(b, 5, int64(k))
		}
		// QR functions are kept whole so that their data is seen at once.
		if len(b) < 5+k {
			return 0
		}
		p.symbol(b[5 : 5+k])
		return 5 + k
	case 'v':
		if len(b) < 8 {
			return 0
		}
		if b[2] != '0' {
			return 3
		}
		x := int(b[4]) + int(b[5])<<8
		y := int(b[6]) + int(b[7])<<8
		return p.skipData(b, 8, int64(x)*int64(y))
	case '8':
		if len(b) < 7 {
			return 0
		}
		if b[2] != 'L' {
			return 3
		}
		k := int64(b[3]) | int64(b[4])<<8 | int64(b[5])<<16 | int64(b[6])<<24
		return p.skipData(b, 7, k)
	case '*':
		if len(b) < 4 {
			return 0
		}
		return p.skipData(b, 4, int64(b[2])*int64(b[3])*8)
	case 'k':
		if len(b) < 3 {
			return 0
		}
		if m := b[2]; m >= 65 {
			if len(b) < 4 {
				return 0
			}
			return p.skipData(b, 4, int64(b[3]))
		}
		// NUL-terminated data, at most 255 bytes.
		for i := 3; i < len(b) && i < 3+256; i++ {
			if b[i] == 0 {
				return i + 1
			}
		}
		if len(b) >= 3+256 {
			return 3 + 256
		}
		return 0
	}
	if n, ok := gsFixed[b[1]]; ok {
		return fixed(b, n)
	}
	return 2
}

// fsFixed is the total length of the fixed-length FS commands that are
// skipped.
var fsFixed = map[byte]int{
	'&': 2, '.': 2, '!': 3, '-': 3, 'C': 3, 'S': 4, 'W': 3, 'p': 4,
}

func (p *parser) fsCmd(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	if b[1] == '(' {
		if len(b) < 5 {
			return 0
		}
		return p.skipData(b, 5, int64(b[3])+int64(b[4])<<8)
	}
	if n, ok := fsFixed[b[1]]; ok {
		return fixed(b, n)
	}
	return 2
}

// symbol handles the body of GS ( k: cn fn parameters.
func (p *parser) symbol(b []byte) {
	if b[0] != 49 {
		return
	}
	args := b[2:]
	switch b[1] {
	case 65:
		if len(args) >= 1 && (args[0] == 49 || args[0] == 50) {
			p.qr.model = int(args[0] - 48)
		}
	case 67:
		if len(args) >= 1 && args[0] >= 1 && args[0] <= 16 {
			p.qr.size = int(args[0])
		}
	case 69:
		if len(args) >= 1 && args[0] >= 48 && args[0] <= 51 {
			p.qr.ecc = "LMQH"[args[0]-48]
		}
	case 80:
		if len(args) >= 1 {
			p.qr.data = append(p.qr.data[:0], args[1:]...)
			p.qr.stored = true
		}
	case 81:
		p.printQR()
	}
}

// text adds printable bytes to the line in progress, wrapping it at the
// column limit.
func (p *parser) text(b []byte) {
	if p.stopped() {
		return
	}
	for _, c := range b {
		if p.columns > 0 && p.used > 0 && p.used+p.at.width > p.columns {
			p.printLine()
			if p.stopped() {
				return
			}
		}
		if len(p.line) == 0 {
			p.lineAt = p.at
		}
		if n := len(p.line); n > 0 && p.line[n-1].Bold == p.at.bold &&
			p.line[n-1].Width == p.at.width && p.line[n-1].Height == p.at.height {
			p.line[n-1].Text += string(c)
		} else {
			p.line = append(p.line, Span{Text: string(c), Bold: p.at.bold, Width: p.at.width, Height: p.at.height})
		}
		p.used += p.at.width
	}
}

// printLine ends the line in progress and feeds one line.
func (p *parser) printLine() {
	spans := p.line
	p.line, p.used = nil, 0
	if p.stopped() {
		p.dropped++
		return
	}
	l := Line{Align: p.at.align, Bold: p.at.bold, Width: p.at.width, Height: p.at.height}
	if len(spans) > 0 {
		a := p.lineAt
		l = Line{Align: a.align, Bold: spans[0].Bold, Width: spans[0].Width, Height: spans[0].Height, Spans: spans}
		for _, s := range spans {
			l.Text += s.Text
		}
	}
	p.ticket.Lines = append(p.ticket.Lines, l)
}

func (p *parser) printQR() {
	if len(p.line) > 0 {
		p.printLine()
	}
	if p.stopped() {
		p.dropped++
		return
	}
	if !p.qr.stored || len(p.qr.data) == 0 {
		return
	}
	p.ticket.QRCodes = append(p.ticket.QRCodes, QR{
		Data: string(p.qr.data), Model: p.qr.model, ModuleSize: p.qr.size,
		ECC: p.qr.ecc, AfterLine: len(p.ticket.Lines),
	})
}

func (p *parser) cut(c Cut) {
	if len(p.line) > 0 {
		p.printLine()
	}
	if p.stopped() {
		p.dropped++
		return
	}
	p.ticket.Cut = c
	p.done = append(p.done, p.ticket)
	p.ticket = Ticket{}
}

// Status bits; the package doc lists their meanings.
const (
	statusBase    = 0x12
	statusOffline = 0x08 // n = 1
	statusCover   = 0x04 // n = 2
	statusEndStop = 0x20 // n = 2
	statusNearEnd = 0x0C // n = 4
	statusPaperNo = 0x60 // n = 4
)

// statusByte returns the answer to DLE EOT n with faults f, and false for an
// n that gets no answer.
func statusByte(n byte, f Faults) (byte, bool) {
	s := byte(statusBase)
	switch n {
	case 1:
		if f.PaperOut || f.CoverOpen || f.Offline {
			s |= statusOffline
		}
	case 2:
		if f.CoverOpen {
			s |= statusCover
		}
		if f.PaperOut {
			s |= statusEndStop
		}
	case 3:
	case 4:
		if f.NearEnd || f.PaperOut {
			s |= statusNearEnd
		}
		if f.PaperOut {
			s |= statusPaperNo
		}
	default:
		return 0, false
	}
	return s, true
}
