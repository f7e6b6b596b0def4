package configs

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Parse decodes a factory configuration, applies defaults and validates it. file names the
// configuration in messages and in Factory.File ("<config>" when empty); Parse never opens it.
// Decoding is strict: an unknown key, a value of the wrong type, a repeated key, a YAML alias or
// merge key, or a second YAML document is an error.
//
// Parse reports every problem it finds, not just the first: the error is an Errors, one Error per
// problem in file order, each naming the file, the line, the object and the field. On error the
// Factory is nil.
//
// Defaults: an omitted name is the id (the SKU for a product, the site for the factory, the
// capability for a step); an omitted setup is zero; an omitted reason list is the one of
// DefaultReasons.
func Parse(file string, data []byte) (*Factory, error) {
	if file == "" {
		file = "<config>"
	}
	d := &decoder{file: file}
	var f *Factory
	if root := d.document(data); root != nil {
		// Nothing can be validated in a file whose top level is not a mapping.
		if raw, ok := d.factory(root); ok {
			raw.defaults()
			d.validate(&raw)
			if len(d.errs) == 0 {
				f = raw.build(file)
			}
		}
	}
	if len(d.errs) > 0 {
		slices.SortStableFunc(d.errs, func(a, b Error) int { return cmp.Compare(a.Line, b.Line) })
		return nil, d.errs
	}
	return f, nil
}

// decoder walks the YAML node tree into raw values and collects every error on the way.
type decoder struct {
	file string
	errs Errors
}

// add records an error. The line is clamped to 1 so that every message has a usable position.
func (d *decoder) add(line int, object, field, format string, args ...any) {
	d.errs = append(d.errs, Error{
		File:   d.file,
		Line:   max(line, 1),
		Object: object,
		Field:  field,
		Reason: fmt.Sprintf(format, args...),
	})
}

// value is a decoded field together with where it was written.
type value[T any] struct {
	V T
	// Line is the line of the key, 0 when the key is absent (or the value is a default).
	Line int
	// Bad is set when decoding the value failed; the error is already reported and validation
	// leaves the value alone.
	Bad bool
}

// set reports whether the key was written in the file.
func (v value[T]) set() bool { return v.Line > 0 }

// The raw types mirror the model with a line for every field, so that validation can point at
// the exact key. bad marks an object that is not a mapping at all (already reported).

type rawFactory struct {
	line        int
	Site, Name  value[string]
	Simulate    value[bool]
	SerialLines value[[]rawSerialLine]
	Printing    value[*rawPrinting]
	Hours       value[*Hours]
	Telemetry   value[*Telemetry]
	Reasons     value[*Reasons]
	Hosts       value[[]string]
	Tablet      value[*Tablet]
	Cells       value[[]rawCell]
	Products    value[[]rawProduct]
	Drops       value[[]rawDrop]
	People      value[[]rawPerson]
	Tokens      value[[]rawToken]
}

type rawCell struct {
	object       string
	line         int
	bad          bool
	ID, Name     value[string]
	Capabilities value[[]value[string]]
	Devices      value[[]rawDevice]
	Hours        value[*Hours]
	AutoStart    value[bool]
}

type rawDevice struct {
	object                                 string
	line                                   int
	bad                                    bool
	ID, Kind, Address, SerialLine, Profile value[string]
	UnitID                                 value[int64]
	Timeout                                value[time.Duration]
}

type rawSerialLine struct {
	object           string
	line             int
	bad              bool
	ID, Port, Parity value[string]
	Baud, StopBits   value[int64]
	Timeout          value[time.Duration]
}

type rawPrinting struct {
	line                        int
	Labels, Tickets, Provenance value[string]
}

type rawProduct struct {
	object    string
	line      int
	bad       bool
	SKU, Name value[string]
	Routing   value[[]rawStep]
}

type rawStep struct {
	object                         string
	line                           int
	bad                            bool
	Capability, Name, Instructions value[string]
	UnitTime, Setup                value[time.Duration]
	Changeover                     value[*rawChangeover]
	Params                         value[map[string]float64]
}

type rawChangeover struct {
	line             int
	Attribute, Value value[string]
}

type rawDrop struct {
	object   string
	line     int
	bad      bool
	ID, Name value[string]
	Date     value[time.Time]
	Windows  value[[]value[window]]
}

type window struct {
	SKU   string
	Units int64
}

type rawPerson struct {
	object                               string
	line                                 int
	bad                                  bool
	ID, Name, Role                       value[string]
	PIN, PINHash, Password, PasswordHash value[string]
}

type rawToken struct {
	object        string
	line          int
	bad           bool
	Name, Role    value[string]
	Token, SHA256 value[string]
}

// document parses data as exactly one YAML document and returns its root node, or nil when there
// is nothing to decode (the problem is reported).
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(1, "", "", "configuration is empty")
		} else {
			d.syntax(data, err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.add(next.Line, "", "", "only one YAML document is allowed, found another")
	case !errors.Is(err, io.EOF):
		d.syntax(data, err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		d.add(doc.Line, "", "", "configuration is empty")
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
func (d *decoder) syntax(data []byte, err error) {
	msg := syntaxProblem(err)
	d.add(syntaxLine(data, msg), "", "", "invalid YAML: %s", strings.ReplaceAll(msg, "\n", "; "))
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

// entry is a key of a mapping with its value.
type entry struct{ key, val *yaml.Node }

// mapping is a decoded YAML mapping of known keys.
type mapping struct {
	object  string // the object the mapping describes or belongs to
	prefix  string // the field path of a nested mapping (changeover), empty for the object itself
	entries map[string]entry
}

// field returns the dotted field name of key.
func (m *mapping) field(key string) string {
	if m.prefix == "" {
		return key
	}
	return m.prefix + "." + key
}

// mapping checks that n is a mapping whose keys are known and appear once, reporting every key
// that is not. ok is false when n is not a mapping at all.
func (d *decoder) mapping(n *yaml.Node, object, prefix string, known ...string) (m *mapping, ok bool) {
	if n.Kind != yaml.MappingNode {
		d.add(n.Line, object, prefix, "expected a mapping, got %s", describe(n))
		return nil, false
	}
	m = &mapping{object: object, prefix: prefix, entries: make(map[string]entry, len(known))}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.add(k.Line, object, prefix, "expected a plain key, got %s", describe(k))
		case k.Value == "<<":
			d.add(k.Line, object, prefix, "YAML merge keys (<<) are not supported; write the fields out")
		case !slices.Contains(known, k.Value):
			d.add(k.Line, object, prefix, "unknown field %s%s", quote(k.Value), suggest(k.Value, known))
		default:
			if first, dup := m.entries[k.Value]; dup {
				d.add(k.Line, object, m.field(k.Value), "duplicate key (first at line %d)", first.key.Line)
				continue
			}
			m.entries[k.Value] = entry{k, v}
		}
	}
	return m, true
}

// str decodes a string field. A null value is the empty string; numbers, booleans and dates are
// taken as written, so that pin: 0042 keeps its leading zeros.
func (d *decoder) str(m *mapping, key string) value[string] {
	e, ok := m.entries[key]
	if !ok {
		return value[string]{}
	}
	v := value[string]{Line: e.key.Line}
	v.V, v.Bad = d.scalar(e.val, m.object, m.field(key), "a string")
	return v
}

// scalar returns the text of a string-like scalar, reporting anything else as not being want.
func (d *decoder) scalar(n *yaml.Node, object, field, want string) (s string, bad bool) {
	if isNull(n) {
		return "", false
	}
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
			return n.Value, false
		}
	}
	d.add(n.Line, object, field, "expected %s, got %s", want, describe(n))
	return "", true
}

// duration decodes a Go duration string such as 20m or 1h30m.
func (d *decoder) duration(m *mapping, key string) value[time.Duration] {
	e, ok := m.entries[key]
	if !ok {
		return value[time.Duration]{}
	}
	v := value[time.Duration]{Line: e.key.Line}
	const want = "a duration such as 20m or 1h30m"
	if isNull(e.val) {
		d.add(v.Line, m.object, m.field(key), "expected %s, got nothing", want)
		v.Bad = true
		return v
	}
	s, bad := d.scalar(e.val, m.object, m.field(key), want)
	if bad {
		v.Bad = true
		return v
	}
	t, err := time.ParseDuration(s)
	if err != nil {
		d.add(v.Line, m.object, m.field(key), "invalid duration %s (want %s)", quote(s), want)
		v.Bad = true
		return v
	}
	v.V = t
	return v
}

// date decodes a date written as YYYY-MM-DD (midnight UTC) or as an RFC 3339 time. The time is
// returned in UTC.
func (d *decoder) date(m *mapping, key string) value[time.Time] {
	e, ok := m.entries[key]
	if !ok {
		return value[time.Time]{}
	}
	v := value[time.Time]{Line: e.key.Line}
	const want = "YYYY-MM-DD or RFC 3339, such as 2027-03-01 or 2027-03-01T09:00:00+01:00"
	if isNull(e.val) {
		d.add(v.Line, m.object, m.field(key), "expected a date (%s), got nothing", want)
		v.Bad = true
		return v
	}
	s, bad := d.scalar(e.val, m.object, m.field(key), "a date")
	if bad {
		v.Bad = true
		return v
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		d.add(v.Line, m.object, m.field(key), "invalid date %s (want %s)", quote(s), want)
		v.Bad = true
		return v
	}
	v.V = t.UTC()
	return v
}

// list decodes a list field item by item. A null value is an empty list.
func list[T any](d *decoder, m *mapping, key string, item func(n *yaml.Node, i int) T) value[[]T] {
	e, ok := m.entries[key]
	if !ok {
		return value[[]T]{}
	}
	v := value[[]T]{Line: e.key.Line}
	if isNull(e.val) {
		return v
	}
	if e.val.Kind != yaml.SequenceNode {
		d.add(v.Line, m.object, m.field(key), "expected a list, got %s", describe(e.val))
		v.Bad = true
		return v
	}
	v.V = make([]T, 0, len(e.val.Content))
	for i, n := range e.val.Content {
		v.V = append(v.V, item(n, i))
	}
	return v
}

func (d *decoder) factory(n *yaml.Node) (f rawFactory, ok bool) {
	f = rawFactory{line: n.Line}
	m, ok := d.mapping(n, "", "", "site", "name", "simulate", "serial_lines", "printing", "hours", "telemetry", "reasons", "hosts", "tablet", "cells", "products", "drops", "people", "tokens")
	if !ok {
		return f, false
	}
	f.Site = d.str(m, "site")
	f.Name = d.str(m, "name")
	f.Simulate = d.boolean(m, "simulate")
	f.SerialLines = list(d, m, "serial_lines", d.serialLine)
	if e, ok := m.entries["printing"]; ok && !isNull(e.val) {
		f.Printing.Line = e.key.Line
		pm, ok := d.mapping(e.val, "printing", "", "labels", "tickets", "provenance_url")
		if ok {
			f.Printing.V = &rawPrinting{
				line:       e.val.Line,
				Labels:     d.str(pm, "labels"),
				Tickets:    d.str(pm, "tickets"),
				Provenance: d.str(pm, "provenance_url"),
			}
		} else {
			f.Printing.Bad = true
		}
	}
	f.Hours = d.hours(m, "hours")
	f.Telemetry = d.telemetry(m, "telemetry", f.Site.V)
	f.Reasons = d.reasons(m, "reasons")
	f.Hosts = d.hosts(m, "hosts")
	f.Tablet = d.tablet(m, "tablet")
	f.Cells = list(d, m, "cells", d.cell)
	f.Products = list(d, m, "products", d.product)
	f.Drops = list(d, m, "drops", d.drop)
	f.People = list(d, m, "people", d.person)
	f.Tokens = list(d, m, "tokens", d.token)
	return f, true
}

func (d *decoder) cell(n *yaml.Node, i int) rawCell {
	c := rawCell{line: n.Line, object: objectName("cell", peek(n, "id"), i)}
	m, ok := d.mapping(n, c.object, "", "id", "name", "capabilities", "devices", "hours", "auto_start")
	if !ok {
		c.bad = true
		return c
	}
	c.ID = d.str(m, "id")
	c.Name = d.str(m, "name")
	c.Capabilities = list(d, m, "capabilities", func(n *yaml.Node, _ int) value[string] {
		s, bad := d.scalar(n, c.object, "capabilities", "a capability")
		return value[string]{V: s, Line: n.Line, Bad: bad}
	})
	c.Devices = list(d, m, "devices", func(n *yaml.Node, j int) rawDevice {
		return d.device(n, c.object, j)
	})
	c.Hours = d.hours(m, "hours")
	c.AutoStart = d.boolean(m, "auto_start")
	return c
}

func (d *decoder) device(n *yaml.Node, cell string, i int) rawDevice {
	dev := rawDevice{line: n.Line, object: cell + ": " + objectName("device", peek(n, "id"), i)}
	m, ok := d.mapping(n, dev.object, "", "id", "kind", "address", "serial_line", "unit_id", "profile", "timeout")
	if !ok {
		dev.bad = true
		return dev
	}
	dev.ID = d.str(m, "id")
	dev.Kind = d.str(m, "kind")
	dev.Address = d.str(m, "address")
	dev.SerialLine = d.str(m, "serial_line")
	dev.UnitID = d.integer(m, "unit_id")
	dev.Profile = d.str(m, "profile")
	dev.Timeout = d.duration(m, "timeout")
	return dev
}

func (d *decoder) serialLine(n *yaml.Node, i int) rawSerialLine {
	l := rawSerialLine{line: n.Line, object: objectName("serial line", peek(n, "id"), i)}
	m, ok := d.mapping(n, l.object, "", "id", "port", "baud", "parity", "stop_bits", "timeout")
	if !ok {
		l.bad = true
		return l
	}
	l.ID = d.str(m, "id")
	l.Port = d.str(m, "port")
	l.Baud = d.integer(m, "baud")
	l.Parity = d.str(m, "parity")
	l.StopBits = d.integer(m, "stop_bits")
	l.Timeout = d.duration(m, "timeout")
	return l
}

// boolean decodes true or false.
func (d *decoder) boolean(m *mapping, key string) value[bool] {
	e, ok := m.entries[key]
	if !ok {
		return value[bool]{}
	}
	v := value[bool]{Line: e.key.Line}
	if e.val.Kind != yaml.ScalarNode || e.val.ShortTag() != "!!bool" {
		d.add(v.Line, m.object, m.field(key), "expected true or false, got %s", describe(e.val))
		v.Bad = true
		return v
	}
	v.Bad = e.val.Decode(&v.V) != nil
	return v
}

func (d *decoder) product(n *yaml.Node, i int) rawProduct {
	p := rawProduct{line: n.Line, object: objectName("product", peek(n, "sku"), i)}
	m, ok := d.mapping(n, p.object, "", "sku", "name", "routing")
	if !ok {
		p.bad = true
		return p
	}
	p.SKU = d.str(m, "sku")
	p.Name = d.str(m, "name")
	p.Routing = list(d, m, "routing", func(n *yaml.Node, j int) rawStep {
		return d.step(n, p.object, j)
	})
	return p
}

func (d *decoder) step(n *yaml.Node, product string, i int) rawStep {
	object := fmt.Sprintf("%s: step %d", product, i+1)
	if c := peek(n, "capability"); c != "" {
		object += " (capability " + quote(c) + ")"
	}
	s := rawStep{line: n.Line, object: object}
	m, ok := d.mapping(n, s.object, "", "capability", "name", "instructions", "unit_time", "setup", "changeover", "params")
	if !ok {
		s.bad = true
		return s
	}
	s.Capability = d.str(m, "capability")
	s.Name = d.str(m, "name")
	s.Instructions = d.str(m, "instructions")
	s.UnitTime = d.duration(m, "unit_time")
	s.Setup = d.duration(m, "setup")
	if e, ok := m.entries["params"]; ok {
		s.Params = value[map[string]float64]{V: d.params(m, "params", s.object), Line: e.key.Line}
	}
	if e, ok := m.entries["changeover"]; ok && !isNull(e.val) {
		s.Changeover.Line = e.key.Line
		cm, ok := d.mapping(e.val, s.object, "changeover", "attribute", "value")
		if !ok {
			s.Changeover.Bad = true
			return s
		}
		s.Changeover.V = &rawChangeover{
			line:      e.val.Line,
			Attribute: d.str(cm, "attribute"),
			Value:     d.str(cm, "value"),
		}
	}
	return s
}

func (d *decoder) drop(n *yaml.Node, i int) rawDrop {
	dr := rawDrop{line: n.Line, object: objectName("drop", peek(n, "id"), i)}
	m, ok := d.mapping(n, dr.object, "", "id", "name", "date", "windows")
	if !ok {
		dr.bad = true
		return dr
	}
	dr.ID = d.str(m, "id")
	dr.Name = d.str(m, "name")
	dr.Date = d.date(m, "date")
	dr.Windows = d.windows(m, "windows")
	return dr
}

// windows decodes the SKU -> units mapping of a drop, in file order.
func (d *decoder) windows(m *mapping, key string) value[[]value[window]] {
	e, ok := m.entries[key]
	if !ok {
		return value[[]value[window]]{}
	}
	v := value[[]value[window]]{Line: e.key.Line}
	if isNull(e.val) {
		return v
	}
	if e.val.Kind != yaml.MappingNode {
		d.add(v.Line, m.object, key, "expected a mapping of sku to units, got %s", describe(e.val))
		v.Bad = true
		return v
	}
	first := make(map[string]int)
	for i := 0; i+1 < len(e.val.Content); i += 2 {
		k, n := e.val.Content[i], e.val.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.add(k.Line, m.object, key, "expected a sku, got %s", describe(k))
			continue
		}
		field := "window " + quote(k.Value)
		if l, dup := first[k.Value]; dup {
			d.add(k.Line, m.object, field, "duplicate key (first at line %d)", l)
			continue
		}
		first[k.Value] = k.Line
		w := value[window]{V: window{SKU: k.Value}, Line: k.Line}
		var units int64
		switch {
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float":
			d.add(k.Line, m.object, field, "expected a whole number of units, got %s", n.Value)
			w.Bad = true
		case n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int":
			d.add(k.Line, m.object, field, "expected a whole number of units, got %s", describe(n))
			w.Bad = true
		case n.Decode(&units) != nil:
			d.add(k.Line, m.object, field, "invalid whole number %s", quote(n.Value))
			w.Bad = true
		default:
			w.V.Units = units
		}
		v.V = append(v.V, w)
	}
	return v
}

func (d *decoder) person(n *yaml.Node, i int) rawPerson {
	p := rawPerson{line: n.Line, object: objectName("person", peek(n, "id"), i)}
	m, ok := d.mapping(n, p.object, "", "id", "name", "role", "pin", "pin_hash", "password", "password_hash")
	if !ok {
		p.bad = true
		return p
	}
	p.ID = d.str(m, "id")
	p.Name = d.str(m, "name")
	p.Role = d.str(m, "role")
	p.PIN = d.str(m, "pin")
	p.PINHash = d.str(m, "pin_hash")
	p.Password = d.str(m, "password")
	p.PasswordHash = d.str(m, "password_hash")
	return p
}

func (d *decoder) token(n *yaml.Node, i int) rawToken {
	t := rawToken{line: n.Line, object: objectName("token", peek(n, "name"), i)}
	m, ok := d.mapping(n, t.object, "", "name", "role", "token", "sha256")
	if !ok {
		t.bad = true
		return t
	}
	t.Name = d.str(m, "name")
	t.Role = d.str(m, "role")
	t.Token = d.str(m, "token")
	t.SHA256 = d.str(m, "sha256")
	return t
}

// peek returns the text of key in mapping n, to name the object before its keys are checked.
func peek(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == key {
			if v.Kind == yaml.ScalarNode && !isNull(v) {
				return v.Value
			}
			return ""
		}
	}
	return ""
}

// objectName names the i-th object of a list by its id, or by its position when it has none.
func objectName(kind, id string, i int) string {
	if id == "" {
		return fmt.Sprintf("%s #%d", kind, i+1)
	}
	return kind + " " + quote(id)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the type of a node for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias (YAML aliases are not supported; write the value out)"
	case yaml.ScalarNode:
		switch tag := n.ShortTag(); tag {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "nothing"
		case "!!timestamp":
			return "a date"
		case "!!binary":
			return "binary data"
		default:
			return "a value tagged " + quote(tag)
		}
	}
	return "a YAML document"
}

// quote quotes a value from the file for a message, cut short when long.
func quote(s string) string {
	const maxRunes = 64
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "…"
	}
	return strconv.Quote(s)
}

// suggest returns ` (did you mean "x"?)` when key is a near miss of a known key.
func suggest(key string, known []string) string {
	norm := strings.ToLower(strings.ReplaceAll(key, "-", "_"))
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(norm, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" || len(key) < 3 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, counted in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
