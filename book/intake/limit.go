package intake

import (
	"fmt"
	"io"
)

// MaxRowBytes is the longest row a batch may have, in bytes as sent: a CSV record (its line
// break, and the quotes and line breaks inside quoted fields, included) or a JSON value the
// reader must hold whole (an element of the orders array, a key, any value with the white
// space before it). The longest values allowed (an id and a SKU of 64 characters, a customer of
// 200 and notes of 2,000, at four bytes each and every one a doubled quote) take under 24 KiB;
// the rest is room for white space. A reader holds about one row at a time, so this bounds its
// memory whatever the batch holds.
const MaxRowBytes = 64 << 10

// tooLongReason says why a row longer than MaxRowBytes is refused.
var tooLongReason = fmt.Sprintf("the row is longer than %d KiB, the most a row may take (is a quote missing its closing quote?)",
	MaxRowBytes>>10)

// csvState is where a CSV scanner is within a record, as encoding/csv reads it.
type csvState uint8

const (
	fieldStart    csvState = iota // at the start of a field
	unquoted                      // inside an unquoted field
	quoted                        // inside a quoted field
	quoteInQuoted                 // just after a '"' inside a quoted field
	junk                          // after a syntax error: encoding/csv drops the rest of the line
)

// step moves the scanner past byte b and reports whether b ends a record.
func (s *csvState) step(b byte) bool {
	switch *s {
	case fieldStart:
		switch b {
		case '\n':
			return true
		case '"':
			*s = quoted
		case ',':
		default:
			*s = unquoted
		}
	case unquoted:
		switch b {
		case '\n':
			*s = fieldStart
			return true
		case '"':
			*s = junk // a bare quote
		case ',':
			*s = fieldStart
		}
	case quoted:
		if b == '"' {
			*s = quoteInQuoted
		}
	case quoteInQuoted:
		switch b {
		case '"':
			*s = quoted // a doubled quote
		case ',':
			*s = fieldStart
		case '\n':
			*s = fieldStart
			return true
		default:
			*s = junk // a stray quote
		}
	case junk:
		if b == '\n' {
			*s = fieldStart
			return true
		}
	}
	return false
}

// cut is a record the limiter cut short.
type cut struct {
	end     int64 // the output offset just past the record's made-up end
	dropped int   // the line breaks of the record left out of the output
}

// recordLimiter stands between a CSV batch and encoding/csv, which holds a whole record in
// memory however long it is. It follows the records as encoding/csv reads them (quotes, line
// breaks inside quoted fields, the rest of a line a syntax error drops) and cuts every record
// longer than max bytes: it passes the record's first max bytes, leaves out the rest and ends
// the record with bytes that close it ("\n", or "\"\n" inside a quoted field). The reader of
// the records asks passed which records were cut and how many line breaks went missing.
type recordLimiter struct {
	src      io.Reader
	max      int
	buf      []byte
	pos, end int
	err      error // from src, returned once buf is drained

	state    csvState
	recLen   int    // bytes of the current record passed so far
	skipping bool   // leaving out the rest of a record cut short
	dropped  int    // line breaks left out of the record being cut
	closing  []byte // the made-up bytes that will end the record being cut
	closer   []byte // made-up bytes still to pass that end a record cut short
	out      int64  // bytes passed, made-up ones included
	cuts     []cut  // records cut short that the reader has not passed yet, in order
}

func newRecordLimiter(src io.Reader, max int) *recordLimiter {
	return &recordLimiter{src: src, max: max, buf: make([]byte, 32<<10)}
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch {
		case len(l.closer) > 0:
			c := copy(p[n:], l.closer)
			l.closer = l.closer[c:]
			n += c
			if len(l.closer) == 0 {
				l.cuts = append(l.cuts, cut{end: l.out + int64(n), dropped: l.dropped})
				l.dropped = 0
			}
		case l.pos == l.end:
			if n > 0 {
				l.out += int64(n)
				return n, nil
			}
			if l.err != nil {
				if l.skipping {
					l.endCut() // the batch ends inside the record being cut
					continue
				}
				return 0, l.err
			}
			l.pos = 0
			l.end, l.err = l.src.Read(l.buf)
		case l.skipping:
			for l.pos < l.end {
				b := l.buf[l.pos]
				l.pos++
				if l.state.step(b) {
					l.endCut() // its line break is the made-up one's
					break
				}
				if b == '\n' {
					l.dropped++
				}
			}
		case l.recLen == l.max:
			// One byte more than the record's room: leave the rest out.
			l.skipping = true
			l.closing = closeRecord
			if l.state == quoted {
				l.closing = closeQuotedRecord
			}
		default:
			room := min(len(p)-n, l.end-l.pos, l.max-l.recLen)
			for _, b := range l.buf[l.pos : l.pos+room] {
				l.pos++
				p[n] = b
				n++
				l.recLen++
				if l.state.step(b) {
					l.recLen = 0
					break
				}
			}
		}
	}
	l.out += int64(n)
	return n, nil
}

var (
	closeRecord       = []byte("\n")
	closeQuotedRecord = []byte("\"\n")
)

// endCut ends the record being cut: the made-up bytes that close it are passed next.
func (l *recordLimiter) endCut() {
	l.skipping = false
	l.recLen = 0
	l.state = fieldStart
	l.closer = l.closing
}

// passed takes the cuts the reader has read past, off being the offset it has reached: it
// returns whether the record just read was cut, and the line breaks left out of it.
func (l *recordLimiter) passed(off int64) (wasCut bool, dropped int) {
	for len(l.cuts) > 0 && l.cuts[0].end <= off {
		wasCut = true
		dropped += l.cuts[0].dropped
		l.cuts = l.cuts[1:]
	}
	return wasCut, dropped
}
