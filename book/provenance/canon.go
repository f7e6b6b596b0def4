package provenance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of arrays and objects a document may have. A certificate nests
// about five deep; the bound keeps a hostile file from recursing a million levels.
const maxDepth = 64

// maxValues bounds the values (numbers, strings, arrays, objects, ...) a document may hold,
// which bounds the memory its members take while an object is sorted. A certificate holds
// about one value in 30 bytes (12,700 in one of 20 revisions of 20 steps, 422 KB), so one of
// MaxFileBytes about 150,000; a file of 4 MiB of "[]," would hold 1.4 million.
const maxValues = 1 << 19

// SyntaxError is a document that is not JSON, or not I-JSON (RFC 7493: a duplicate key, a
// string that is not Unicode, a number out of range), which RFC 8785 needs. Line and Column
// count from 1; Column counts bytes.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

// Error says where the document goes wrong and how.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Canonicalize returns the canonical form of the JSON document data as RFC 8785 defines it:
// object members sorted by the UTF-16 code units of their names, no whitespace, strings with
// the fewest escapes, numbers as ECMAScript writes a double. Two documents that mean the same
// have the same canonical bytes. It writes the canonical form as it reads, holding no tree of
// the document: the canonical form of a value inside is a part of the whole's.
func Canonicalize(data []byte) ([]byte, error) {
	p := parser{data: data}
	p.space()
	out, err := p.value(make([]byte, 0, len(data)), 0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.data) {
		return nil, p.fail("unexpected %s after the document", p.describe())
	}
	return out, nil
}

type parser struct {
	data   []byte
	pos    int
	values int // read so far
}

// fail is a SyntaxError at the parser's position.
func (p *parser) fail(format string, args ...any) error {
	return p.failAt(p.pos, format, args...)
}

func (p *parser) failAt(pos int, format string, args ...any) error {
	line := 1 + bytes.Count(p.data[:pos], []byte("\n"))
	col := pos + 1
	if nl := bytes.LastIndexByte(p.data[:pos], '\n'); nl >= 0 {
		col = pos - nl
	}
	return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// describe names what is at the parser's position, for an error.
func (p *parser) describe() string {
	if p.pos >= len(p.data) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02x", p.data[p.pos])
	}
	return fmt.Sprintf("character %q", r)
}

func (p *parser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value reads one value and appends its canonical form to b.
func (p *parser) value(b []byte, depth int) ([]byte, error) {
	if p.pos >= len(p.data) {
		return nil, p.fail("unexpected end of input, expecting a value")
	}
	if p.values++; p.values > maxValues {
		return nil, p.fail("more than %d values in one document", maxValues)
	}
	switch c := p.data[p.pos]; {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return nil, p.fail("nested deeper than %d arrays and objects", maxDepth)
		}
		if c == '{' {
			return p.object(b, depth+1)
		}
		return p.array(b, depth+1)
	case c == '"':
		s, err := p.string()
		return appendString(b, s), err
	case c == '-' || c >= '0' && c <= '9':
		f, err := p.number()
		if err != nil {
			return nil, err
		}
		return appendNumber(b, f)
	case c == 't':
		return append(b, "true"...), p.literal("true")
	case c == 'f':
		return append(b, "false"...), p.literal("false")
	case c == 'n':
		return append(b, "null"...), p.literal("null")
	}
	return nil, p.fail("unexpected %s, expecting a value", p.describe())
}

func (p *parser) literal(word string) error {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return p.fail("unexpected %s, expecting %s", p.describe(), word)
	}
	p.pos += len(word)
	return nil
}

// member is an object's member as read: its name, and where its value's canonical form lies in
// the object's buffer of values.
type member struct {
	key        string
	start, end int
}

// object reads an object and appends its canonical form to b: the members' values are written
// to a buffer of the object's own as they come, then copied out in the order of their names.
func (p *parser) object(b []byte, depth int) ([]byte, error) {
	p.pos++ // {
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return append(b, "{}"...), nil
	}
	var (
		vals    []byte
		members []member
		names   map[string]bool // past a few members, a linear search for duplicates costs more
	)
	for {
		key, err := p.memberName(members, &names)
		if err != nil {
			return nil, err
		}
		start := len(vals)
		if vals, err = p.value(vals, depth); err != nil {
			return nil, err
		}
		members = append(members, member{key: key, start: start, end: len(vals)})
		done, err := p.next('}')
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
		p.space()
	}
	slices.SortFunc(members, func(x, y member) int { return compareUTF16(x.key, y.key) })
	b = append(b, '{')
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m.key)
		b = append(b, ':')
		b = append(b, vals[m.start:m.end]...)
	}
	return append(b, '}'), nil
}

// memberName reads a member's name and the colon after it, refusing a name the object has
// already.
func (p *parser) memberName(members []member, names *map[string]bool) (string, error) {
	if p.pos >= len(p.data) || p.data[p.pos] != '"' {
		return "", p.fail("unexpected %s, expecting a member name", p.describe())
	}
	at := p.pos
	key, err := p.string()
	if err != nil {
		return "", err
	}
	if *names == nil && len(members) >= 16 {
		*names = make(map[string]bool, 2*len(members))
		for _, m := range members {
			(*names)[m.key] = true
		}
	}
	dup := false
	if *names != nil {
		dup = (*names)[key]
		(*names)[key] = true
	} else {
		for _, m := range members {
			dup = dup || m.key == key
		}
	}
	if dup {
		return "", p.failAt(at, "member %q appears twice in one object", key)
	}
	p.space()
	if p.pos >= len(p.data) || p.data[p.pos] != ':' {
		return "", p.fail("unexpected %s, expecting ':' after member %q", p.describe(), key)
	}
	p.pos++
	p.space()
	return key, nil
}

// array reads an array and appends its canonical form to b.
func (p *parser) array(b []byte, depth int) ([]byte, error) {
	p.pos++ // [
	b = append(b, '[')
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return append(b, ']'), nil
	}
	for {
		var err error
		if b, err = p.value(b, depth); err != nil {
			return nil, err
		}
		done, err := p.next(']')
		if err != nil {
			return nil, err
		}
		if done {
			return append(b, ']'), nil
		}
		b = append(b, ',')
		p.space()
	}
}

// next reads what follows an element of an array or object: a comma, or the closing bracket,
// which ends it.
func (p *parser) next(closing byte) (done bool, err error) {
	p.space()
	if p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ',':
			p.pos++
			return false, nil
		case closing:
			p.pos++
			return true, nil
		}
	}
	return false, p.fail("unexpected %s, expecting ',' or '%c'", p.describe(), closing)
}

// number reads a number as RFC 8259 writes it, into a double; one too large for a double is
// refused (RFC 7493), as JCS requires.
func (p *parser) number() (float64, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.data) && p.data[p.pos] == '0':
		p.pos++
	case !p.digits():
		return 0, p.fail("unexpected %s in a number, expecting a digit", p.describe())
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if !p.digits() {
			return 0, p.fail("unexpected %s in a number, expecting a digit after '.'", p.describe())
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if !p.digits() {
			return 0, p.fail("unexpected %s in a number, expecting a digit of the exponent", p.describe())
		}
	}
	text := string(p.data[start:p.pos])
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, p.failAt(start, "number %s is out of the range of a double", text)
	}
	return f, nil
}

// digits reads one or more decimal digits, and says whether there was one.
func (p *parser) digits() bool {
	start := p.pos
	for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
		p.pos++
	}
	return p.pos > start
}

// string reads a string, refusing what is not Unicode: bytes that are not UTF-8 and escaped
// surrogates that do not pair.
func (p *parser) string() (string, error) {
	p.pos++ // "
	var b []byte
	for {
		start := p.pos
		for p.pos < len(p.data) {
			c := p.data[p.pos]
			if c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
				break
			}
			p.pos++
		}
		b = append(b, p.data[start:p.pos]...)
		if p.pos >= len(p.data) {
			return "", p.fail("unexpected end of input in a string")
		}
		switch c := p.data[p.pos]; {
		case c == '"':
			p.pos++
			return string(b), nil
		case c == '\\':
			var err error
			if b, err = p.escape(b); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", p.fail("control character 0x%02x in a string must be escaped", c)
		default:
			r, n := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && n <= 1 {
				return "", p.fail("byte 0x%02x in a string is not UTF-8", c)
			}
			b = append(b, p.data[p.pos:p.pos+n]...)
			p.pos += n
		}
	}
}

// escape reads one escape sequence of a string, appending the character it stands for to b.
func (p *parser) escape(b []byte) ([]byte, error) {
	at := p.pos
	p.pos++ // backslash
	if p.pos >= len(p.data) {
		return nil, p.fail("unexpected end of input in a string")
	}
	c := p.data[p.pos]
	p.pos++
	switch c {
	case '"', '\\', '/':
		return append(b, c), nil
	case 'b':
		return append(b, '\b'), nil
	case 'f':
		return append(b, '\f'), nil
	case 'n':
		return append(b, '\n'), nil
	case 'r':
		return append(b, '\r'), nil
	case 't':
		return append(b, '\t'), nil
	case 'u':
	default:
		return nil, p.failAt(at, "unknown escape \\%c in a string", c)
	}
	r, err := p.hex4()
	if err != nil {
		return nil, err
	}
	if utf16.IsSurrogate(r) {
		if r >= 0xdc00 || !bytes.HasPrefix(p.data[p.pos:], []byte(`\u`)) {
			return nil, p.failAt(at, "escaped surrogate \\u%04x is not half of a pair", r)
		}
		p.pos += 2
		lo, err := p.hex4()
		if err != nil {
			return nil, err
		}
		if r = utf16.DecodeRune(r, lo); r == utf8.RuneError {
			return nil, p.failAt(at, "escaped surrogate \\u%04x is not half of a pair", r)
		}
	}
	return utf8.AppendRune(b, r), nil
}

func (p *parser) hex4() (rune, error) {
	if p.pos+4 > len(p.data) {
		return 0, p.fail("unexpected end of input in a \\u escape")
	}
	n, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 16)
	if err != nil {
		return 0, p.fail("%q is not four hex digits of a \\u escape", p.data[p.pos:p.pos+4])
	}
	p.pos += 4
	return rune(n), nil
}

// compareUTF16 orders two strings by their UTF-16 code units, as RFC 8785 sorts member names.
// It differs from the order of code points only where a character above U+FFFF (a surrogate
// pair, 0xD800-0xDBFF first) meets one in U+E000-U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			if (ra > 0xffff) != (rb > 0xffff) {
				return int(firstUnit(ra)) - int(firstUnit(rb))
			}
			return int(ra) - int(rb)
		}
		a, b = a[na:], b[nb:]
	}
	return len(a) - len(b)
}

// firstUnit is the first UTF-16 code unit of r.
func firstUnit(r rune) rune {
	if r > 0xffff {
		hi, _ := utf16.EncodeRune(r)
		return hi
	}
	return r
}

// appendString appends s as a JSON string the way RFC 8785 writes it: only the quotation mark,
// the backslash and the control characters escaped, the short escapes where JSON has them,
// otherwise \u00xx in lower case.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendNumber appends f as ECMAScript's Number.prototype.toString writes it (ECMA-262,
// Number::toString), which RFC 8785 adopts: the shortest digits that read back as f, in plain
// notation from 1e-6 up to but excluding 1e21, otherwise as d.ddde±n.
func appendNumber(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("number %v has no JSON form", f)
	}
	if f == 0 { // and -0
		return append(b, '0'), nil
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	// The shortest digits, as d.ddde±x: k digits, and n with f = 0.digits × 10^n.
	e := strconv.AppendFloat(nil, f, 'e', -1, 64)
	mark := bytes.IndexByte(e, 'e')
	exp, _ := strconv.Atoi(string(e[mark+1:]))
	digits := append([]byte{e[0]}, e[min(2, mark):mark]...)
	k, n := len(digits), exp+1
	switch {
	case k <= n && n <= 21:
		b = append(b, digits...)
		return append(b, bytes.Repeat([]byte{'0'}, n-k)...), nil
	case 0 < n && n <= 21:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		return append(b, digits[n:]...), nil
	case -6 < n && n <= 0:
		b = append(b, "0."...)
		b = append(b, bytes.Repeat([]byte{'0'}, -n)...)
		return append(b, digits...), nil
	}
	b = append(b, digits[0])
	if k > 1 {
		b = append(b, '.')
		b = append(b, digits[1:]...)
	}
	b = append(b, 'e')
	if n-1 >= 0 {
		b = append(b, '+')
	}
	return strconv.AppendInt(b, int64(n-1), 10), nil
}

// field is a member of an object in canonical JSON: its name, and its value's bytes.
type field struct {
	name string
	val  []byte
}

// fieldsOf returns the members of the object in canonical JSON canon, in order, their values
// as parts of canon; false if canon is not an object. canon must be what Canonicalize wrote.
func fieldsOf(canon []byte) ([]field, bool) {
	if len(canon) < 2 || canon[0] != '{' {
		return nil, false
	}
	var fields []field
	for i := 1; canon[i] != '}'; {
		end := skip(canon, i)
		var name string
		if err := json.Unmarshal(canon[i:end], &name); err != nil {
			return nil, false
		}
		i = end + 1 // the colon
		end = skip(canon, i)
		fields = append(fields, field{name: name, val: canon[i:end:end]})
		if i = end; canon[i] == ',' {
			i++
		}
	}
	return fields, true
}

// elementsOf returns the elements of the array in canonical JSON canon, as parts of canon;
// false if canon is not an array. canon must be what Canonicalize wrote.
func elementsOf(canon []byte) ([][]byte, bool) {
	if len(canon) < 2 || canon[0] != '[' {
		return nil, false
	}
	var elems [][]byte
	for i := 1; canon[i] != ']'; {
		end := skip(canon, i)
		elems = append(elems, canon[i:end:end])
		if i = end; canon[i] == ',' {
			i++
		}
	}
	return elems, true
}

// skip returns where the value that starts at canon[i] ends. Canonical JSON has no whitespace,
// and a backslash in a string always starts an escape, so brackets and quotes alone mark the
// ends.
func skip(canon []byte, i int) int {
	switch canon[i] {
	case '"':
		for i++; canon[i] != '"'; i++ {
			if canon[i] == '\\' {
				i++
			}
		}
		return i + 1
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch canon[i] {
			case '"':
				i = skip(canon, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(canon) && canon[i] != ',' && canon[i] != '}' && canon[i] != ']' {
		i++
	}
	return i
}
