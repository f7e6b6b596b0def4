package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// JSONReader reads a JSON batch: an array of order objects, or an object {"orders": [...]}.
type JSONReader struct {
	lines *lineCounter
	dec   *json.Decoder
	state jsonState
	// inObject says the orders array sits in a top-level object, whose other keys come after it.
	inObject  bool
	sawOrders bool
	err       error // a read error, returned from then on
	b         rowBuilder
}

type jsonState int

const (
	inArray     jsonState = iota // between the elements of the orders array
	inTopObject                  // between the keys of the top-level object
	atEnd                        // after the batch, where only white space may follow
	done                         // io.EOF or err from now on
)

// NewJSON reads the start of a JSON batch and returns a reader of its rows.
//
// The batch is an array of order objects, or an object whose only field "orders" holds that
// array. An order object has the fields order_id, sku and quantity (required), customer,
// priority, due and notes; quantity and priority are JSON numbers or strings holding an integer,
// the others strings; null is the same as an absent field. An unknown or repeated field makes
// the row bad. A JSON syntax error cannot be read past: it is the last RowErrors before io.EOF.
// An empty batch, one that is neither an array nor an object, or a syntax error before its
// first '[' or '{' is a RowErrors from NewJSON; any other error is from reading r. A leading
// byte order mark is skipped. A value longer than MaxRowBytes (an order object, a key, a run of
// white space), or a value nested deeper than maxNesting in the batch object, cannot be read
// past either: it is the last RowErrors. WithLocation adds the required fields lat and lon,
// numbers or strings holding one.
func NewJSON(r io.Reader, opts ...Option) (*JSONReader, error) {
	br, err := skipBOM(r)
	if err != nil {
		return nil, fmt.Errorf("reading the JSON batch: %w", err)
	}
	return newJSON(br, MaxRowBytes, opts...)
}

// newJSON is NewJSON past the byte order mark, with values of at most maxRow bytes.
func newJSON(br io.Reader, maxRow int64, opts ...Option) (*JSONReader, error) {
	lc := &lineCounter{r: br, line: 1, lastNonSpace: -1, maxHeld: maxRow}
	jr := &JSONReader{lines: lc, dec: json.NewDecoder(lc), b: rowBuilder{opts: readOptions(opts)}}
	lc.consumed = jr.dec.InputOffset
	// Token would decode a number into a float64 and fail on 1e999: numbers are kept as text.
	jr.dec.UseNumber()
	tok, err := jr.dec.Token()
	if errors.Is(err, io.EOF) && lc.err == nil {
		return nil, RowErrors{{Line: lc.lastLine(), Reason: `the batch is empty: a JSON array of orders or an object {"orders": [...]} is required`}}
	}
	if err != nil {
		return nil, jr.fail(err)
	}
	line := lc.lineAt(jr.dec.InputOffset() - 1)
	switch tok {
	case json.Delim('['):
		jr.state = inArray
	case json.Delim('{'):
		jr.state, jr.inObject = inTopObject, true
	default:
		return nil, RowErrors{{Line: line, Reason: fmt.Sprintf(`the batch must be a JSON array of orders or an object {"orders": [...]}, not %s`, tokenKind(tok))}}
	}
	return jr, nil
}

// Next returns the next row; see Reader.
func (r *JSONReader) Next() (Row, error) {
	for {
		switch r.state {
		case inArray:
			if r.dec.More() {
				return r.element()
			}
			// The closing ']', or a syntax error.
			if _, err := r.dec.Token(); err != nil {
				return Row{}, r.fail(err)
			}
			if r.inObject {
				r.state = inTopObject
			} else {
				r.state = atEnd
			}
		case inTopObject:
			if err := r.topField(); err != nil {
				return Row{}, err
			}
		case atEnd:
			tok, err := r.dec.Token()
			if errors.Is(err, io.EOF) && r.lines.err == nil {
				r.state = done
				return Row{}, io.EOF
			}
			if err != nil {
				return Row{}, r.fail(err)
			}
			r.state = done
			line := r.lines.lineAt(r.dec.InputOffset() - 1)
			return Row{}, RowErrors{{Line: line, Reason: fmt.Sprintf("found %s after the end of the batch; a batch is one array or one object", tokenKind(tok))}}
		default:
			if r.err != nil {
				return Row{}, r.err
			}
			return Row{}, io.EOF
		}
	}
}

// topField reads one field of the top-level object, or its closing '}'. It returns a problem,
// or nil when there is none (the orders array has started, or the object has ended).
func (r *JSONReader) topField() error {
	if !r.dec.More() {
		if _, err := r.dec.Token(); err != nil {
			return r.fail(err)
		}
		r.state = atEnd
		if !r.sawOrders {
			line := r.lines.lineAt(r.dec.InputOffset() - 1) // the '}', where the lack shows
			return RowErrors{{Line: line, Reason: `the batch object has no "orders" field`}}
		}
		return nil
	}
	tok, err := r.dec.Token()
	if err != nil {
		return r.fail(err)
	}
	key, _ := tok.(string) // the decoder allows only strings as keys
	line := r.lines.lineAt(r.dec.InputOffset())
	var reason string
	switch {
	case key != "orders":
		reason = fmt.Sprintf(`unknown field %s in the batch object; it may only have "orders"`, quote(key))
	case r.sawOrders:
		reason = `"orders" appears twice in the batch object`
	}
	r.sawOrders = r.sawOrders || key == "orders"
	tok, err = r.dec.Token()
	if err != nil {
		return r.fail(err)
	}
	if reason == "" && tok == json.Delim('[') {
		r.state = inArray
		return nil
	}
	if reason == "" {
		reason = fmt.Sprintf(`"orders" must be an array of order objects, not %s`, tokenKind(tok))
	}
	if err := r.skip(tok); err != nil {
		return r.fail(err)
	}
	return RowErrors{{Line: line, Column: key, Reason: reason}}
}

// maxNesting is how deep a value skipped in the batch object may nest: the decoder keeps a word
// for each level. It is encoding/json's own bound for a value it decodes.
const maxNesting = 10000

// errTooDeep is the error of a skipped value nested deeper than maxNesting.
var errTooDeep = fmt.Errorf("a JSON value is nested deeper than %d levels", maxNesting)

// skip reads past the rest of a value whose first token was tok.
func (r *JSONReader) skip(tok json.Token) error {
	depth := 0
	for {
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
		if depth == 0 {
			return nil
		}
		if depth > maxNesting {
			return errTooDeep
		}
		var err error
		if tok, err = r.dec.Token(); err != nil {
			return err
		}
	}
}

// element reads one element of the orders array. Decoding it whole keeps the decoder at the
// next element whatever is wrong inside this one, short of a syntax error.
func (r *JSONReader) element() (Row, error) {
	var raw json.RawMessage
	if err := r.dec.Decode(&raw); err != nil {
		return Row{}, r.fail(err)
	}
	v := bytes.TrimLeft(raw, " \t\r\n")
	line := r.lines.lineAt(r.dec.InputOffset() - int64(len(v)))
	if len(v) == 0 || v[0] != '{' {
		return Row{}, RowErrors{{Line: line, Reason: fmt.Sprintf("an element of the orders array is %s, not an order object", rawKind(v))}}
	}
	r.b.reset(line)
	if err := r.object(v); err != nil {
		// Not reachable: the decoder has checked the syntax of v.
		return Row{}, RowErrors{{Line: line, Reason: fmt.Sprintf("malformed order object: %v", err)}}
	}
	return r.b.build()
}

// object reads the fields of one order object into r.b. The decoder has checked the syntax of
// v, so a plain scan finds the fields; going through a second json.Decoder per row would cost
// ten times as much. The row's strings share one copy of v.
func (r *JSONReader) object(v []byte) error {
	s := objectScanner{b: string(v), i: 1} // past the '{'
	var seen [numColumns]bool
	for {
		rawKey, end, err := s.next()
		if err != nil || end {
			return err
		}
		val, err := s.value()
		if err != nil {
			return err
		}
		key, err := jsonString(rawKey)
		if err != nil {
			return err
		}
		c, ok := r.b.opts.column(key)
		switch {
		case !ok:
			r.b.extra = append(r.b.extra, RowError{Line: r.b.line, Column: key,
				Reason: fmt.Sprintf("unknown field %s; the fields are %s", quote(key), r.b.opts.columnList())})
			continue
		case seen[c]:
			r.b.fail(c, fmt.Sprintf("%s appears twice in the object", c))
			continue
		}
		seen[c] = true
		numeric := c == colQuantity || c == colPriority || c == colLat || c == colLon
		switch val[0] {
		case 'n': // null: as if absent
		case '"':
			if !utf8.ValidString(val) { // decoding would quietly turn bad bytes into U+FFFD
				r.b.fail(c, c.String()+" is not valid UTF-8")
				continue
			}
			str, err := jsonString(val)
			if err != nil {
				return err
			}
			r.b.set(c, str)
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			if !numeric {
				r.b.fail(c, fmt.Sprintf("%s must be a string, not %s", c, rawKind(val)))
				continue
			}
			r.b.set(c, val)
		default:
			if numeric {
				r.b.fail(c, fmt.Sprintf("%s must be a number or a string, not %s", c, rawKind(val)))
			} else {
				r.b.fail(c, fmt.Sprintf("%s must be a string, not %s", c, rawKind(val)))
			}
		}
	}
}

// jsonString returns the text of a JSON string literal, decoding it only when it has escapes.
func jsonString(lit string) (string, error) {
	if len(lit) >= 2 && strings.IndexByte(lit, '\\') < 0 {
		return lit[1 : len(lit)-1], nil
	}
	var s string
	err := json.Unmarshal([]byte(lit), &s)
	return s, err
}

// errScan is returned by objectScanner on input the decoder should have refused.
var errScan = errors.New("unexpected byte in an object the decoder accepted")

// objectScanner walks the fields of a JSON object known to be well-formed. It checks bounds
// all the same, so that a wrong assumption is an error and not a panic.
type objectScanner struct {
	b string
	i int
}

func (s *objectScanner) skipSpace() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// next reads up to and past the ':' of the next field and returns the field's key as a string
// literal, or end true at the closing '}'.
func (s *objectScanner) next() (key string, end bool, err error) {
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == ',' {
		s.i++
		s.skipSpace()
	}
	if s.i >= len(s.b) {
		return "", false, errScan
	}
	if s.b[s.i] == '}' {
		return "", true, nil
	}
	start := s.i
	if err := s.str(); err != nil {
		return "", false, err
	}
	key = s.b[start:s.i]
	s.skipSpace()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return "", false, errScan
	}
	s.i++
	s.skipSpace()
	return key, false, nil
}

// str moves past the string literal at s.i.
func (s *objectScanner) str() error {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return errScan
	}
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return nil
		}
	}
	return errScan
}

// value moves past the value at s.i and returns it.
func (s *objectScanner) value() (string, error) {
	start := s.i
	if s.i >= len(s.b) {
		return "", errScan
	}
	switch s.b[s.i] {
	case '"':
		if err := s.str(); err != nil {
			return "", err
		}
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if err := s.str(); err != nil {
					return "", err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				break
			}
		}
		if depth != 0 {
			return "", errScan
		}
	default: // a number, true, false or null
		for s.i < len(s.b) && !isSpace(s.b[s.i]) && s.b[s.i] != ',' && s.b[s.i] != '}' {
			s.i++
		}
	}
	if s.i == start {
		return "", errScan
	}
	return s.b[start:s.i], nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// fail turns an error of the decoder into the last thing Next returns before io.EOF: a
// RowErrors for a syntax error or a batch cut short, or the read error that ends the batch.
func (r *JSONReader) fail(err error) error {
	r.state = done
	if r.lines.tooLong {
		return r.tooLong()
	}
	if errors.Is(err, errTooDeep) {
		return RowErrors{{Line: r.lines.lineAt(r.dec.InputOffset()), Reason: errTooDeep.Error() + "; reading stopped here"}}
	}
	if r.lines.err != nil {
		r.err = fmt.Errorf("reading the JSON batch: %w", r.lines.err)
		return r.err
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return RowErrors{{Line: r.lines.lineAt(r.syntaxErrorOffset(se)), Reason: "JSON syntax error: " + se.Error()}}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return RowErrors{{Line: r.lines.lastLine(), Reason: "the JSON ends before the batch is complete"}}
	}
	r.err = fmt.Errorf("reading the JSON batch: %w", err)
	return r.err
}

// tooLong is the problem of a value the decoder gave up holding, MaxRowBytes long and not over:
// it starts at the decoder's offset, after any white space.
func (r *JSONReader) tooLong() error {
	start := r.dec.InputOffset()
	held, _ := io.ReadAll(r.dec.Buffered())
	value := bytes.TrimLeft(held, " \t\r\n")
	if len(value) == 0 {
		// The run's line: where its spaces start, past a line break that ends the line before.
		start += int64(len(held) - len(bytes.TrimLeft(held, "\r\n")))
		return RowErrors{{Line: r.lines.lineAt(start), Reason: fmt.Sprintf(
			"more than %d KiB of white space in a row; reading stopped here", r.lines.maxHeld>>10)}}
	}
	line := r.lines.lineAt(start + int64(len(held)-len(value)))
	return RowErrors{{Line: line, Reason: fmt.Sprintf(
		"%s longer than %d KiB, the most a row may take; reading stopped here", rawKind(value), r.lines.maxHeld>>10)}}
}

// syntaxErrorOffset returns the input offset of the byte where the decoder found the syntax
// error se. The decoder stops at the start of the bad token or value, which InputOffset gives.
// A bad token (a missing comma, say) is reported at that offset. Inside a value, the
// decoder's SyntaxError.Offset does not help, as it leaves out the bytes that Token read;
// but the decoder has buffered the value up to the bad byte, and scanning those bytes again
// meets the same error. A NUL byte appended to them makes a value cut short by the end of the
// buffer fail after them, not inside, and so tells the two apart.
func (r *JSONReader) syntaxErrorOffset(se *json.SyntaxError) int64 {
	base := r.dec.InputOffset()
	if se.Offset == base {
		return base
	}
	rest, _ := io.ReadAll(r.dec.Buffered())
	var again *json.SyntaxError
	if err := json.Unmarshal(append(rest, 0), new(json.RawMessage)); errors.As(err, &again) && again.Offset >= 1 && again.Offset <= int64(len(rest)) {
		return base + again.Offset - 1
	}
	return base + int64(len(rest)-len(bytes.TrimLeft(rest, " \t\r\n")))
}

// rawKind names the kind of a JSON value for messages.
func rawKind[T string | []byte](v T) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// tokenKind names the kind of a JSON token for messages.
func tokenKind(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return fmt.Sprintf("%q", rune(tok))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// lineCounter passes reads through and finds the line of an input offset. It keeps only the
// offsets of the newlines read but not yet passed by a query, that is those in the decoder's
// read-ahead, so memory stays proportional to the decoder's buffer and the work to the input.
//
// It also bounds what the decoder holds: the decoder keeps in its buffer the value it is reading
// from its start (consumed) on, however long, so a read that would take it past maxHeld bytes
// fails instead, and tooLong says so.
type lineCounter struct {
	r            io.Reader
	consumed     func() int64 // the decoder's offset
	maxHeld      int64
	tooLong      bool
	off          int64   // bytes read so far
	newlines     []int64 // offsets of the newlines read, ascending; those before next are passed
	next         int
	line         int   // 1 + the newlines before the last query
	lastNonSpace int64 // offset of the last byte read that is not white space, or -1
	err          error // the first error of r other than io.EOF
}

// errHeld is the read error that stops the decoder holding more than maxHeld bytes.
var errHeld = errors.New("the value being read is too long")

func (c *lineCounter) Read(p []byte) (int, error) {
	room := c.maxHeld - (c.off - c.consumed())
	if room <= 0 {
		c.tooLong = true
		return 0, errHeld
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		c.newlines = append(c.newlines, c.off+int64(i+j))
		i += j + 1
	}
	for i := n - 1; i >= 0; i-- {
		if b := p[i]; b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			c.lastNonSpace = c.off + int64(i)
			break
		}
	}
	c.off += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && c.err == nil {
		c.err = err
	}
	return n, err
}

// lineAt returns the 1-based line of the byte at offset off. Offsets must not decrease from one
// call to the next; a smaller one gets the line of the previous call.
func (c *lineCounter) lineAt(off int64) int {
	for c.next < len(c.newlines) && c.newlines[c.next] < off {
		c.next++
		c.line++
	}
	// Drop the newlines passed, moving the rest down only when that costs no more than the
	// passing did.
	if c.next == len(c.newlines) {
		c.newlines, c.next = c.newlines[:0], 0
	} else if c.next >= len(c.newlines)-c.next {
		c.newlines, c.next = c.newlines[:copy(c.newlines, c.newlines[c.next:])], 0
	}
	return c.line
}

// lastLine returns the line of the last byte read that is not white space.
func (c *lineCounter) lastLine() int {
	if c.lastNonSpace < 0 {
		return c.lineAt(0)
	}
	return c.lineAt(c.lastNonSpace)
}
