package configs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// Lots. A routing step may name the materials it consumes (`materials: [yarn, warp]`): the
// person starting it gives the lot of each, typed or scanned. A batch step (`makes_lot: true`,
// a dye bath) makes a lot at each of its operations, the lot every unit after it inherits; its
// id follows the provenance section's pattern:
//
//	provenance:
//	  lot: "{capability}-{date}-{seq:3}"
//
// The pattern's tokens are {capability} (the step's), {cell} (where the operation runs),
// {date} (the day it started, YYYYMMDD, in the studio's time zone when its hours name one,
// else UTC) and {seq} or {seq:W} (the studio's lot sequence, at least W digits); it must hold
// {seq}, so that no two lots share an id. The rest is literal: letters, digits, '.', '_', '-'
// and '/'.

// DefaultLotPattern is the pattern of made lots' ids when the provenance section names none:
// dye-20261206-001.
const DefaultLotPattern = "{capability}-{date}-{seq:3}"

// MaxLotID is the longest lot id, in characters, a lot id may have, whether made or typed.
const MaxLotID = 64

// materialRule describes a material id.
const materialRule = yamlfile.IDRule

// LotPattern is a parsed pattern of made lots' ids.
type LotPattern struct {
	text  string
	parts []lotPart
}

// lotPart is a literal or a token of a lot pattern.
type lotPart struct {
	literal string
	token   string // capability, cell, date or seq; empty for a literal
	width   int    // seq's least number of digits
}

// maxSeqWidth is the widest {seq:W}.
const maxSeqWidth = 12

// ParseLotPattern parses a lot pattern; its errors name the token or character at fault.
func ParseLotPattern(s string) (*LotPattern, error) {
	p := &LotPattern{text: s}
	seq := false
	for i := 0; i < len(s); {
		if s[i] == '}' {
			return nil, fmt.Errorf("'}' at character %d closes no token", i+1)
		}
		if s[i] != '{' {
			j := i
			for j < len(s) && s[j] != '{' && s[j] != '}' {
				if !isLotLiteral(s[j]) {
					r, _ := utf8.DecodeRuneInString(s[j:])
					return nil, fmt.Errorf("character %q at %d is not allowed (want letters, digits, '.', '_', '-', '/' and tokens {capability}, {cell}, {date}, {seq:W})", r, j+1)
				}
				j++
			}
			p.parts = append(p.parts, lotPart{literal: s[i:j]})
			i = j
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("token at character %d is not closed with '}'", i+1)
		}
		tok := s[i+1 : i+end]
		part, err := lotToken(tok)
		if err != nil {
			return nil, err
		}
		seq = seq || part.token == "seq"
		p.parts = append(p.parts, part)
		i += end + 1
	}
	if !seq {
		return nil, fmt.Errorf("must hold {seq} (or {seq:W}): without the studio's lot sequence two lots could share an id")
	}
	return p, nil
}

// lotToken parses the inside of a {token}.
func lotToken(tok string) (lotPart, error) {
	name, width, hasWidth := strings.Cut(tok, ":")
	switch name {
	case "capability", "cell", "date":
		if hasWidth {
			return lotPart{}, fmt.Errorf("token {%s} takes no width", tok)
		}
		return lotPart{token: name}, nil
	case "seq":
		p := lotPart{token: "seq", width: 1}
		if hasWidth {
			w, err := strconv.Atoi(width)
			if err != nil || w < 1 || w > maxSeqWidth {
				return lotPart{}, fmt.Errorf("token {%s}: the width must be a whole number from 1 to %d", tok, maxSeqWidth)
			}
			p.width = w
		}
		return p, nil
	}
	return lotPart{}, fmt.Errorf("unknown token {%s} (want {capability}, {cell}, {date}, {seq} or {seq:W})", tok)
}

func isLotLiteral(c byte) bool {
	return yamlfile.IsLower(c) || yamlfile.IsUpper(c) || yamlfile.IsDigit(c) || c == '.' || c == '_' || c == '-' || c == '/'
}

// String returns the pattern as written.
func (p *LotPattern) String() string { return p.text }

// Format returns the id of the lot an operation of capability at cell makes, started at day
// (already in the studio's time zone), with the studio's lot sequence number seq.
func (p *LotPattern) Format(capability, cell string, day time.Time, seq int64) string {
	var b strings.Builder
	for _, part := range p.parts {
		switch part.token {
		case "":
			b.WriteString(part.literal)
		case "capability":
			b.WriteString(capability)
		case "cell":
			b.WriteString(cell)
		case "date":
			b.WriteString(day.Format("20060102"))
		case "seq":
			fmt.Fprintf(&b, "%0*d", part.width, seq)
		}
	}
	return b.String()
}

// longest returns the most characters an id of p has with a capability of capLen, a cell id of
// cellLen and a sequence number of seqLen digits.
func (p *LotPattern) longest(capLen, cellLen, seqLen int) int {
	n := 0
	for _, part := range p.parts {
		switch part.token {
		case "":
			n += len(part.literal)
		case "capability":
			n += capLen
		case "cell":
			n += cellLen
		case "date":
			n += len("20060102")
		case "seq":
			n += max(part.width, seqLen)
		}
	}
	return n
}

// defaultLots is DefaultLotPattern, parsed.
var defaultLots = func() *LotPattern {
	p, err := ParseLotPattern(DefaultLotPattern)
	if err != nil {
		panic(err)
	}
	return p
}()

// LotPattern returns the pattern of made lots' ids: the provenance section's, or
// DefaultLotPattern.
func (f *Factory) LotPattern() *LotPattern {
	if f.Provenance.Lot != nil {
		return f.Provenance.Lot
	}
	return defaultLots
}

// LotID returns the id of the lot an operation of capability at cell makes when it starts at
// at, with the studio's lot sequence number seq: the date is the studio's, in the time zone of
// its hours, else UTC.
func (f *Factory) LotID(capability, cell string, at time.Time, seq int64) string {
	loc := time.UTC
	if f.Hours != nil && f.Hours.Location != nil {
		loc = f.Hours.Location
	}
	return f.LotPattern().Format(capability, cell, at.In(loc), seq)
}

// lotPattern decodes the provenance section's lot key, nil when absent or bad (reported).
func (d *decoder) lotPattern(pm *mapping, object string) (*LotPattern, int, bool) {
	lv := d.Str(pm, "lot")
	if lv.Bad || !lv.Set() {
		return nil, lv.Line, lv.Bad
	}
	p, err := ParseLotPattern(lv.V)
	if err != nil {
		d.Add(lv.Line, object, "lot", "%s: %v", yamlfile.Quote(lv.V), err)
		return nil, lv.Line, true
	}
	return p, lv.Line, false
}

// seqDigits is how many digits of the lot sequence the length check allows for: a million
// lots.
const seqDigits = 6

// checkLots checks the steps' materials and that the ids of made lots fit MaxLotID with the
// factory's longest capability and cell id that make lots.
func (d *decoder) checkLots(f *rawFactory) {
	capLen, cellLen := 0, 0
	makers := make(map[string]bool)
	for _, s := range f.steps() {
		if s.bad {
			continue
		}
		d.checkMaterials(s)
		if s.MakesLot.V && !s.Capability.Bad {
			makers[s.Capability.V] = true
			capLen = max(capLen, len(s.Capability.V))
		}
	}
	for _, c := range f.Cells.V {
		for _, capability := range c.Capabilities.V {
			if makers[capability.V] {
				cellLen = max(cellLen, len(c.ID.V))
			}
		}
	}
	pv := f.Provenance.V
	if len(makers) == 0 || pv == nil || pv.Lot == nil {
		return
	}
	if n := pv.Lot.longest(capLen, cellLen, seqDigits); n > MaxLotID {
		d.Add(pv.LotLine, "provenance", "lot", "%s makes lot ids of up to %d characters with this factory's capabilities and cells, more than %d",
			yamlfile.Quote(pv.Lot.text), n, MaxLotID)
	}
}

// checkMaterials checks a step's materials: ids, each once.
func (d *decoder) checkMaterials(s rawStep) {
	seen := make(map[string]int)
	for _, m := range s.Materials.V {
		if m.Bad {
			continue
		}
		if !d.Shape(m, s.object, "materials", yamlfile.IsID, "invalid material %s ("+materialRule+")") {
			continue
		}
		d.Unique(seen, m, s.object, "materials", "material %s is named twice (first at line %d)")
	}
	if s.Materials.Set() && !s.Materials.Bad && len(s.Materials.V) == 0 {
		d.Add(s.Materials.Line, s.object, "materials", "must list at least one material (or leave the key out)")
	}
}

// materials decodes a step's list of material ids.
func (d *decoder) materials(m *mapping, object string) value[[]value[string]] {
	return yamlfile.List(&d.Decoder, m, "materials", func(n *yaml.Node, _ int) value[string] {
		s, bad := d.Scalar(n, object, "materials", "a material id")
		return value[string]{V: s, Line: n.Line, Bad: bad}
	})
}
