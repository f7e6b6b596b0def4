package yamlfile

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Decoder walks the YAML node tree into raw values and collects every error on the way.
type Decoder struct {
	// File names the file in every Error.
	File string
	// Errs is every problem found so far, in the order found.
	Errs Errors
}

// Add records an error. The line is clamped to 1 so that every message has a usable position.
func (d *Decoder) Add(line int, object, field, format string, args ...any) {
	d.Errs = append(d.Errs, Error{
		File:   d.File,
		Line:   max(line, 1),
		Object: object,
		Field:  field,
		Reason: fmt.Sprintf(format, args...),
	})
}

// Err returns every problem found, sorted by line (problems on one line keep the order they were
// found in), as an Errors; nil when there is none.
func (d *Decoder) Err() error {
	if len(d.Errs) == 0 {
		return nil
	}
	slices.SortStableFunc(d.Errs, func(a, b Error) int { return cmp.Compare(a.Line, b.Line) })
	return d.Errs
}

// Value is a decoded field together with where it was written.
type Value[T any] struct {
	V T
	// Line is the line of the key, 0 when the key is absent (or the value is a default).
	Line int
	// Bad is set when decoding the value failed; the error is already reported and validation
	// leaves the value alone.
	Bad bool
}

// Set reports whether the key was written in the file.
func (v Value[T]) Set() bool { return v.Line > 0 }

// Document parses data as exactly one YAML document and returns its root node, or nil when there
// is nothing to decode (the problem is reported).
func (d *Decoder) Document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.Add(1, "", "", "configuration is empty")
		} else {
			d.syntax(data, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.Add(next.Line, "", "", "only one YAML document is allowed, found another")
	case !errors.Is(err, io.EOF):
		d.syntax(data, err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || IsNull(doc.Content[0]) {
		d.Add(doc.Line, "", "", "configuration is empty")
		return nil
	}
	return doc.Content[0]
}

// syntax reports a YAML syntax error at its line.
//
// The YAML decoder reports some errors without a line and many at the line before the one at
// fault (it counts the start of the enclosing block from zero), so the line is found instead as
// the shortest run of leading lines that fails with the same problem: the line where the error
// became certain.
func (d *Decoder) syntax(data []byte, err error) {
	msg := syntaxProblem(err)
	d.Add(syntaxLine(data, msg), "", "", "invalid YAML: %s", strings.ReplaceAll(msg, "\n", "; "))
}

// syntaxProblem returns the message of a YAML error without its "yaml: line N: " prefix.
func syntaxProblem(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if _, err := strconv.Atoi(n); err == nil {
				return after
			}
		}
	}
	return msg
}

// syntaxLine returns the smallest n such that the first n lines of data fail to parse with
// problem msg. It bisects, so it costs a few parses even for a long file.
func syntaxLine(data []byte, msg string) int {
	var ends []int // ends[i] is the offset just past line i+1
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	fails := func(lines int) bool {
		dec := yaml.NewDecoder(bytes.NewReader(data[:ends[lines-1]]))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if err == nil {
				continue
			}
			return !errors.Is(err, io.EOF) && syntaxProblem(err) == msg
		}
	}
	lo, hi := 1, len(ends) // the whole file fails; find the first prefix that does
	for lo < hi {
		mid := lo + (hi-lo)/2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// Entry is a key of a mapping with its value.
type Entry struct{ Key, Val *yaml.Node }

// Mapping is a decoded YAML mapping of known keys.
type Mapping struct {
	// Object is the object the mapping describes or belongs to.
	Object string
	// Prefix is the field path of a nested mapping (changeover), empty for the object itself.
	Prefix string
	// Entries are the known keys written, each with its value.
	Entries map[string]Entry
}

// Field returns the dotted field name of key.
func (m *Mapping) Field(key string) string {
	if m.Prefix == "" {
		return key
	}
	return m.Prefix + "." + key
}

// Mapping checks that n is a Mapping whose keys are known and appear once, reporting every key
// that is not. ok is false when n is not a mapping at all.
func (d *Decoder) Mapping(n *yaml.Node, object, prefix string, known ...string) (m *Mapping, ok bool) {
	if n.Kind != yaml.MappingNode {
		d.Add(n.Line, object, prefix, "expected a mapping, got %s", Describe(n))
		return nil, false
	}
	m = &Mapping{Object: object, Prefix: prefix, Entries: make(map[string]Entry, len(known))}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.Add(k.Line, object, prefix, "expected a plain key, got %s", Describe(k))
		case k.Value == "<<":
			d.Add(k.Line, object, prefix, "YAML merge keys (<<) are not supported; write the fields out")
		case !slices.Contains(known, k.Value):
			d.Add(k.Line, object, prefix, "unknown field %s%s", Quote(k.Value), Suggest(k.Value, known))
		default:
			if first, dup := m.Entries[k.Value]; dup {
				d.Add(k.Line, object, m.Field(k.Value), "duplicate key (first at line %d)", first.Key.Line)
				continue
			}
			m.Entries[k.Value] = Entry{k, v}
		}
	}
	return m, true
}

// Str decodes a string field. A null value is the empty string; numbers, booleans and dates are
// taken as written, so that pin: 0042 keeps its leading zeros.
func (d *Decoder) Str(m *Mapping, key string) Value[string] {
	e, ok := m.Entries[key]
	if !ok {
		return Value[string]{}
	}
	v := Value[string]{Line: e.Key.Line}
	v.V, v.Bad = d.Scalar(e.Val, m.Object, m.Field(key), "a string")
	return v
}

// Scalar returns the text of a string-like scalar, reporting anything else as not being want.
func (d *Decoder) Scalar(n *yaml.Node, object, field, want string) (s string, bad bool) {
	if IsNull(n) {
		return "", false
	}
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
			return n.Value, false
		}
	}
	d.Add(n.Line, object, field, "expected %s, got %s", want, Describe(n))
	return "", true
}

// Duration decodes a Go duration string such as 20m or 1h30m.
func (d *Decoder) Duration(m *Mapping, key string) Value[time.Duration] {
	const want = "a duration such as 20m or 1h30m"
	return parsed(d, m, key, parsedAs{want, want, "invalid duration %s (want " + want + ")"}, time.ParseDuration)
}

// Date decodes a date written as YYYY-MM-DD (midnight UTC) or as an RFC 3339 time. The time is
// returned in UTC.
func (d *Decoder) Date(m *Mapping, key string) Value[time.Time] {
	const want = "YYYY-MM-DD or RFC 3339, such as 2027-03-01 or 2027-03-01T09:00:00+01:00"
	return parsed(d, m, key, parsedAs{"a date (" + want + ")", "a date", "invalid date %s (want " + want + ")"}, func(s string) (time.Time, error) {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t, err = time.Parse(time.RFC3339, s)
		}
		return t.UTC(), err
	})
}

// parsedAs words the problems of a value parse decodes: what was expected instead of nothing,
// what instead of a value of another type, and the format of a value that does not parse (it
// gets the quoted text).
type parsedAs struct{ present, scalar, invalid string }

// parsed decodes key of m, which must be present, a scalar, and accepted by parse.
func parsed[T any](d *Decoder, m *Mapping, key string, as parsedAs, parse func(string) (T, error)) Value[T] {
	e, ok := m.Entries[key]
	if !ok {
		return Value[T]{}
	}
	v := Value[T]{Line: e.Key.Line}
	if IsNull(e.Val) {
		d.Add(v.Line, m.Object, m.Field(key), "expected %s, got nothing", as.present)
		v.Bad = true
		return v
	}
	s, bad := d.Scalar(e.Val, m.Object, m.Field(key), as.scalar)
	if bad {
		v.Bad = true
		return v
	}
	t, err := parse(s)
	if err != nil {
		d.Add(v.Line, m.Object, m.Field(key), as.invalid, Quote(s))
		v.Bad = true
		return v
	}
	v.V = t
	return v
}

// List decodes a list field item by item. A null value is an empty list.
func List[T any](d *Decoder, m *Mapping, key string, item func(n *yaml.Node, i int) T) Value[[]T] {
	e, ok := m.Entries[key]
	if !ok {
		return Value[[]T]{}
	}
	v := Value[[]T]{Line: e.Key.Line}
	if IsNull(e.Val) {
		return v
	}
	if e.Val.Kind != yaml.SequenceNode {
		d.Add(v.Line, m.Object, m.Field(key), "expected a list, got %s", Describe(e.Val))
		v.Bad = true
		return v
	}
	v.V = make([]T, 0, len(e.Val.Content))
	for i, n := range e.Val.Content {
		v.V = append(v.V, item(n, i))
	}
	return v
}

// Boolean decodes true or false.
func (d *Decoder) Boolean(m *Mapping, key string) Value[bool] {
	v, n := tagged[bool](d, m, key, "true or false", "!!bool")
	if n != nil {
		v.Bad = n.Decode(&v.V) != nil
	}
	return v
}

// tagged returns key of m when it is a scalar tagged one of tags, with a Value holding its line;
// when it is absent, nil; when it is something else, nil and a bad Value, reported as not being
// want.
func tagged[T any](d *Decoder, m *Mapping, key, want string, tags ...string) (Value[T], *yaml.Node) {
	e, ok := m.Entries[key]
	if !ok {
		return Value[T]{}, nil
	}
	v := Value[T]{Line: e.Key.Line}
	if e.Val.Kind != yaml.ScalarNode || !slices.Contains(tags, e.Val.ShortTag()) {
		d.Add(v.Line, m.Object, m.Field(key), "expected %s, got %s", want, Describe(e.Val))
		v.Bad = true
		return v, nil
	}
	return v, e.Val
}

// Has reports whether key was written in the mapping.
func (d *Decoder) Has(m *Mapping, key string) bool {
	_, ok := m.Entries[key]
	return ok
}

// Line returns the line of key in the mapping, or def when it is absent.
func (m *Mapping) Line(key string, def int) int {
	if e, ok := m.Entries[key]; ok {
		return e.Key.Line
	}
	return def
}

// Codes decodes a mapping of integer codes to names.
func (d *Decoder) Codes(m *Mapping, key, object string, objectLine int, required bool, check func(Value[string]) bool) map[int]string {
	e, ok := m.Entries[key]
	if !ok {
		if required {
			d.Add(objectLine, object, key, "required")
		}
		return nil
	}
	if e.Val.Kind != yaml.MappingNode {
		d.Add(e.Key.Line, object, key, "expected a mapping of codes to names, got %s", Describe(e.Val))
		return nil
	}
	out := map[int]string{}
	for i := 0; i+1 < len(e.Val.Content); i += 2 {
		k, v := e.Val.Content[i], e.Val.Content[i+1]
		code, err := strconv.Atoi(k.Value)
		if k.Kind != yaml.ScalarNode || err != nil || code < 0 || code > math.MaxUint16 {
			d.Add(k.Line, object, key, "code %s is not a whole number 0..65535", Quote(k.Value))
			continue
		}
		if _, dup := out[code]; dup {
			d.Add(k.Line, object, key, "code %d listed twice", code)
			continue
		}
		s, bad := d.Scalar(v, object, key, "a name")
		if bad || !check(Value[string]{V: s, Line: k.Line}) {
			continue
		}
		out[code] = strings.TrimSpace(s)
	}
	return out
}

// Integer decodes a whole number.
func (d *Decoder) Integer(m *Mapping, key string) Value[int64] {
	v, n := tagged[int64](d, m, key, "a whole number", "!!int")
	if n != nil && n.Decode(&v.V) != nil {
		d.Add(v.Line, m.Object, m.Field(key), "invalid whole number %s", Quote(n.Value))
		v.Bad = true
	}
	return v
}

// Number decodes a finite number, whole or not.
func (d *Decoder) Number(m *Mapping, key string) Value[float64] {
	v, n := tagged[float64](d, m, key, "a number", "!!int", "!!float")
	if n != nil && (n.Decode(&v.V) != nil || math.IsInf(v.V, 0) || math.IsNaN(v.V)) {
		d.Add(v.Line, m.Object, m.Field(key), "invalid number %s", Quote(n.Value))
		v.Bad = true
	}
	return v
}

// Params decodes a mapping of parameter names to numbers (job params, profile defaults).
func (d *Decoder) Params(m *Mapping, key, object string) map[string]float64 {
	e, ok := m.Entries[key]
	if !ok || IsNull(e.Val) {
		return nil
	}
	if e.Val.Kind != yaml.MappingNode {
		d.Add(e.Key.Line, object, key, "expected a mapping of names to numbers, got %s", Describe(e.Val))
		return nil
	}
	out := map[string]float64{}
	pm := &Mapping{Object: object, Prefix: key, Entries: map[string]Entry{}}
	for i := 0; i+1 < len(e.Val.Content); i += 2 {
		k, v := e.Val.Content[i], e.Val.Content[i+1]
		if k.Kind != yaml.ScalarNode || !IsAttribute(k.Value) {
			d.Add(k.Line, object, key, "invalid param name %s ("+AttributeRule+")", Quote(k.Value))
			continue
		}
		if _, dup := pm.Entries[k.Value]; dup {
			d.Add(k.Line, object, pm.Field(k.Value), "duplicate key (first at line %d)", pm.Entries[k.Value].Key.Line)
			continue
		}
		pm.Entries[k.Value] = Entry{k, v}
		if n := d.Number(pm, k.Value); !n.Bad {
			out[k.Value] = n.V
		}
	}
	return out
}
