package telemetry

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
)

// LineDecoder turns messages into InfluxDB line protocol, as Decode followed by AppendLine for
// each point would, at a fraction of the cost: the payloads Encode writes (any key order and
// whitespace, strings without escapes) are read by a hand-written parser into buffers the
// decoder keeps, with no reflection and no map per point. Anything else, and every message the
// parser or its checks refuse, goes through Decode, so that what is accepted, what is written
// and every error are Decode's. A LineDecoder is not safe for concurrent use; its zero value is
// ready.
type LineDecoder struct {
	p      lineParser
	fields []rawField // the current point's fields, sorted
	key    []byte     // the line's measurement and tags
}

// rawPoint is a point as the parser found it: its fields are p.fields[first:end].
type rawPoint struct {
	ts         int64
	first, end int
}

// rawField is a field value: one of a number, a boolean or a string.
type rawField struct {
	name string
	kind byte // 'n', 'b' or 's'
	num  float64
	b    bool
	str  string
}

// Append appends the line protocol of the message's points to dst, one line each ending in
// '\n', and returns how many points there were. It refuses what Decode refuses, with Decode's
// error, and appends nothing then.
func (d *LineDecoder) Append(dst []byte, topic string, body []byte) ([]byte, int, error) {
	s, err := ParseTopic(topic)
	if err != nil {
		return dst, 0, err
	}
	if out, n, ok := d.appendFast(dst, s, body); ok {
		return out, n, nil
	}
	s, points, err := Decode(topic, body)
	if err != nil {
		return dst, 0, err
	}
	for _, p := range points {
		dst = AppendLine(dst, s, p)
	}
	return dst, len(points), nil
}

// appendFast is the parser's way; ok is false when the message must go through Decode.
func (d *LineDecoder) appendFast(dst []byte, s Series, body []byte) (_ []byte, n int, ok bool) {
	if len(body) > MaxPayloadBytes || !d.p.parse(body) {
		return dst, 0, false
	}
	if len(d.p.tags) > 0 {
		if len(d.p.tags) > MaxTags {
			return dst, 0, false
		}
		s.Tags = make(map[string]string, len(d.p.tags))
		for _, t := range d.p.tags {
			if _, dup := s.Tags[t[0]]; dup {
				return dst, 0, false
			}
			s.Tags[t[0]] = t[1]
		}
		if s.Validate() != nil {
			return dst, 0, false
		}
	}
	if len(d.p.points) == 0 || len(d.p.points) > MaxPoints {
		return dst, 0, false
	}
	d.key = appendSeriesKey(d.key[:0], s)
	start := len(dst)
	for _, p := range d.p.points {
		var ok bool
		if dst, ok = d.appendPoint(dst, s, p); !ok {
			return dst[:start], 0, false
		}
	}
	return dst, len(d.p.points), true
}

// appendPoint checks a point as validatePoint does and appends its line.
func (d *LineDecoder) appendPoint(dst []byte, s Series, p rawPoint) ([]byte, bool) {
	if p.ts < minTime.UnixNano() || p.ts >= maxTime.UnixNano() {
		return dst, false
	}
	d.fields = append(d.fields[:0], d.p.fields[p.first:p.end]...)
	fs := d.fields
	if len(fs) == 0 || len(fs) > MaxFields || (s.Metric != "" && (len(fs) != 1 || fs[0].name != "value")) {
		return dst, false
	}
	slices.SortFunc(fs, func(a, b rawField) int { return strings.Compare(a.name, b.name) })
	for i, f := range fs {
		if !isName(f.name) || (i > 0 && fs[i-1].name == f.name) || !f.valid() {
			return dst, false
		}
	}
	dst = append(dst, d.key...)
	dst = append(dst, ' ')
	for i, f := range fs {
		if i > 0 {
			dst = append(dst, ',')
		}
		name := f.name
		if s.Metric != "" {
			name = s.Metric
		}
		dst = append(dst, name...)
		dst = append(dst, '=')
		switch f.kind {
		case 'n':
			dst = strconv.AppendFloat(dst, f.num, 'f', -1, 64)
		case 'b':
			dst = strconv.AppendBool(dst, f.b)
		default:
			dst = appendFieldString(dst, f.str)
		}
	}
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, p.ts, 10)
	return append(dst, '\n'), true
}

// valid reports whether validatePoint takes the value.
func (f rawField) valid() bool {
	switch f.kind {
	case 'n':
		return !math.IsNaN(f.num) && !math.IsInf(f.num, 0)
	case 's':
		return len(f.str) <= maxString && !strings.ContainsFunc(f.str, func(r rune) bool { return r < 0x20 || r == 0x7f })
	}
	return true
}

// lineParser reads the payloads Encode writes. Its methods return false at anything they do
// not take, leaving the message to Decode: escapes and bytes beyond ASCII in strings, keys in
// other letter cases, duplicate keys, null, numbers json would refuse for their Go type.
type lineParser struct {
	b      []byte
	i      int
	tags   [][2]string
	points []rawPoint
	fields []rawField
}

func (p *lineParser) parse(body []byte) bool {
	p.b, p.i = body, 0
	p.tags, p.points, p.fields = p.tags[:0], p.points[:0], p.fields[:0]
	var seenV, seenTags, seenPoints bool
	ok := p.object(func(key string) bool {
		switch {
		case key == "v" && !seenV:
			seenV = true
			n, ok := p.integer()
			return ok && n == 1
		case key == "tags" && !seenTags:
			seenTags = true
			return p.object(func(k string) bool {
				v, ok := p.str()
				p.tags = append(p.tags, [2]string{k, v})
				return ok
			})
		case key == "points" && !seenPoints:
			seenPoints = true
			return p.array(p.point)
		}
		return false
	})
	p.space()
	return ok && seenV && seenPoints && p.i == len(p.b)
}

// point reads {"ts":N,"fields":{...}}.
func (p *lineParser) point() bool {
	rp := rawPoint{first: len(p.fields)}
	var seenTS, seenFields bool
	ok := p.object(func(key string) bool {
		switch {
		case key == "ts" && !seenTS:
			seenTS = true
			var ok bool
			rp.ts, ok = p.integer()
			return ok
		case key == "fields" && !seenFields:
			seenFields = true
			return p.object(p.field)
		}
		return false
	})
	rp.end = len(p.fields)
	p.points = append(p.points, rp)
	return ok && seenTS && seenFields
}

// field reads a field's value.
func (p *lineParser) field(name string) bool {
	p.space()
	if p.i >= len(p.b) {
		return false
	}
	f := rawField{name: name}
	var ok bool
	switch c := p.b[p.i]; {
	case c == '"':
		f.kind = 's'
		f.str, ok = p.str()
	case c == 't' || c == 'f':
		f.kind, f.b = 'b', c == 't'
		word := "false"
		if f.b {
			word = "true"
		}
		ok = p.literal(word)
	default:
		f.kind = 'n'
		var text []byte
		if text, ok = p.number(); ok {
			var err error
			f.num, err = strconv.ParseFloat(string(text), 64)
			ok = err == nil
		}
	}
	p.fields = append(p.fields, f)
	return ok
}

// object reads {"key": value, ...}, value by fn after the colon.
func (p *lineParser) object(fn func(key string) bool) bool {
	if !p.expect('{') {
		return false
	}
	if p.space(); p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return true
	}
	return p.elements('}', func() bool {
		key, ok := p.str()
		return ok && p.expect(':') && fn(key)
	})
}

// array reads [elem, ...] with fn reading each element; empty arrays are left to Decode.
func (p *lineParser) array(fn func() bool) bool {
	return p.expect('[') && p.elements(']', fn)
}

// elements reads what follows a collection's opening bracket: elements read by fn, separated
// by commas, up to the closing bracket end.
func (p *lineParser) elements(end byte, fn func() bool) bool {
	for {
		if !fn() {
			return false
		}
		p.space()
		if p.i >= len(p.b) {
			return false
		}
		p.i++
		switch p.b[p.i-1] {
		case end:
			return true
		case ',':
		default:
			return false
		}
	}
}

func (p *lineParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *lineParser) expect(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *lineParser) literal(word string) bool {
	if !bytes.HasPrefix(p.b[p.i:], []byte(word)) {
		return false
	}
	p.i += len(word)
	return true
}

// str reads a string of printable ASCII without escapes.
func (p *lineParser) str() (string, bool) {
	if !p.expect('"') {
		return "", false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return intern(p.b[start : p.i-1]), true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
	}
	return "", false
}

// number reads a JSON number and returns its text.
func (p *lineParser) number() ([]byte, bool) {
	p.space()
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	if n := digits(); n == 0 || (n > 1 && p.b[p.i-n] == '0') {
		return nil, false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return p.b[start:p.i], true
}

// integer reads a number json decodes into an int64: digits alone.
func (p *lineParser) integer() (int64, bool) {
	text, ok := p.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(text), 10, 64)
	return n, err == nil
}

// intern returns the keys every message repeats without allocating them again.
func intern(b []byte) string {
	switch string(b) {
	case "v":
		return "v"
	case "ts":
		return "ts"
	case "fields":
		return "fields"
	case "points":
		return "points"
	case "tags":
		return "tags"
	case "value":
		return "value"
	}
	return string(b)
}
