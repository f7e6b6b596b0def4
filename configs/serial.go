package configs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultSerial is the serial pattern of a studio whose config names none: the order id and the
// unit's number within its order, as labels have always shown them.
const DefaultSerial = "{order}-{n}"

// maxSerialPattern is the longest serial pattern accepted, in bytes.
const maxSerialPattern = 64

// SerialPattern is how a unit's serial is made, parsed from a pattern such as
// "{drop}-{seq:6}". Its tokens are
//
//	{order}  the unit's order id
//	{n}      the unit's number within its order, from 1 (a remake's units after the order's
//	         work orders before it)
//	{sku}    the unit's SKU
//	{drop}   the unit's drop
//	{year}   the year the unit was made (first counted), where the studio works (its
//	         working hours' time zone; UTC without)
//	{seq}    the studio's sequence of units, from 1; {seq:W} zero-pads it to W digits (1..12)
//
// and its other characters are ASCII letters, digits, '-', '_' and '.'. A pattern makes
// serials unique: it holds {seq}, or both {order} and {n}, and a number token ({n}, {seq}) is
// kept apart from another token by a literal that is not only digits (except from {year},
// always four digits), so that "{order}{n}" cannot make order "A1"'s unit 2 and order "A"'s unit
// 12 the same serial. The zero value is DefaultSerial.
type SerialPattern struct {
	src   string
	parts []serialPart
}

// serialPart is a literal (token empty) or a token of a pattern.
type serialPart struct {
	literal string
	token   string // "order", "n", "sku", "drop", "year" or "seq"
	width   int    // {seq:W}'s W, 0 for no padding
}

// SerialFields are what a unit's serial is made of.
type SerialFields struct {
	OrderID, SKU, Drop string
	// OrderUnit is the unit's number within its order, from 1.
	OrderUnit int
	Year      int
	Seq       int64
}

// ParseSerialPattern parses and checks a serial pattern. Its errors say what is wrong, without
// the file and line, which the config's parser adds.
func ParseSerialPattern(s string) (SerialPattern, error) {
	if s == "" {
		return SerialPattern{}, errors.New("is empty: give a pattern such as " + DefaultSerial + " or {seq:6}")
	}
	if len(s) > maxSerialPattern {
		return SerialPattern{}, fmt.Errorf("is %d characters long, at most %d are allowed", len(s), maxSerialPattern)
	}
	p := SerialPattern{src: s}
	rest := s
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i != 0 {
			lit := rest
			if i > 0 {
				lit = rest[:i]
			}
			if j := strings.IndexFunc(lit, func(r rune) bool { return !serialLiteral(r) }); j >= 0 {
				r := []rune(lit[j:])[0]
				if r == '}' {
					return SerialPattern{}, fmt.Errorf("%q has a '}' that opens no token", s)
				}
				return SerialPattern{}, fmt.Errorf("%q holds %q: outside tokens only letters a-z and A-Z, digits, '-', '_' and '.' are allowed", s, r)
			}
			p.parts = append(p.parts, serialPart{literal: lit})
			rest = rest[len(lit):]
			continue
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return SerialPattern{}, fmt.Errorf("%q has a '{' that no '}' closes", s)
		}
		part, err := serialToken(rest[1:end])
		if err != nil {
			return SerialPattern{}, fmt.Errorf("%q: %w", s, err)
		}
		p.parts = append(p.parts, part)
		rest = rest[end+1:]
	}
	if err := p.checkUnique(); err != nil {
		return SerialPattern{}, fmt.Errorf("%q %w", s, err)
	}
	return p, nil
}

// serialLiteral reports whether r may stand outside tokens: what a URL path and a QR code
// carry as it is.
func serialLiteral(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
}

// serialToken parses the inside of a token's braces.
func serialToken(name string) (serialPart, error) {
	switch name {
	case "order", "n", "sku", "drop", "year", "seq":
		return serialPart{token: name}, nil
	}
	if w, ok := strings.CutPrefix(name, "seq:"); ok {
		n, err := strconv.Atoi(w)
		if err != nil || n < 1 || n > 12 || strconv.Itoa(n) != w {
			return serialPart{}, fmt.Errorf("{%s}: the width of {seq:W} is a number from 1 to 12", name)
		}
		return serialPart{token: "seq", width: n}, nil
	}
	return serialPart{}, fmt.Errorf("{%s} is not a token: use {order}, {n}, {sku}, {drop}, {year}, {seq} or {seq:W}", name)
}

// checkUnique refuses a pattern whose serials could repeat.
func (p SerialPattern) checkUnique() error {
	has := map[string]bool{}
	for _, part := range p.parts {
		has[part.token] = true
	}
	if !has["seq"] && !(has["order"] && has["n"]) {
		return errors.New("makes serials that are not unique: it must hold {seq}, or both {order} and {n}")
	}
	// A number token ends where a character that is not a digit does: it must meet one before
	// the next token on either side (or the pattern's end).
	for i, part := range p.parts {
		if !number(part) {
			continue
		}
		for _, step := range []int{-1, 1} {
			for j := i + step; j >= 0 && j < len(p.parts); j += step {
				other := p.parts[j]
				if other.token == "" {
					if strings.Trim(other.literal, "0123456789") != "" {
						break
					}
					continue
				}
				if other.token != "year" {
					a, b := part, other
					if step < 0 {
						a, b = other, part
					}
					return fmt.Errorf("makes serials that are not unique: {%s} and {%s} have only digits between them; put a letter, '-', '_' or '.' between them", a.name(), b.name())
				}
				break
			}
		}
	}
	return nil
}

// number reports whether part is a token of digits of no fixed width.
func number(part serialPart) bool { return part.token == "n" || part.token == "seq" }

func (part serialPart) name() string {
	if part.width > 0 {
		return fmt.Sprintf("seq:%d", part.width)
	}
	return part.token
}

// String returns the pattern as written.
func (p SerialPattern) String() string {
	if p.parts == nil {
		return DefaultSerial
	}
	return p.src
}

// Format returns the serial of a unit.
func (p SerialPattern) Format(f SerialFields) string {
	parts := p.parts
	if parts == nil {
		parts = defaultSerial.parts
	}
	var b strings.Builder
	for _, part := range parts {
		switch part.token {
		case "":
			b.WriteString(part.literal)
		case "order":
			b.WriteString(f.OrderID)
		case "n":
			b.WriteString(strconv.Itoa(f.OrderUnit))
		case "sku":
			b.WriteString(f.SKU)
		case "drop":
			b.WriteString(f.Drop)
		case "year":
			fmt.Fprintf(&b, "%04d", f.Year)
		case "seq":
			fmt.Fprintf(&b, "%0*d", part.width, f.Seq)
		}
	}
	return b.String()
}

// defaultSerial is DefaultSerial parsed.
var defaultSerial = func() SerialPattern {
	p, err := ParseSerialPattern(DefaultSerial)
	if err != nil {
		panic(err)
	}
	return p
}()
