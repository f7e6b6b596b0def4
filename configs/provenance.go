package configs

import (
	"strings"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The provenance section names the studio's signing key when the studio keeps it outside the
// daemon's data directory, and the pattern of its units' serials:
//
//	provenance:
//	  signing_key: /etc/cellforge/signing-key.pem
//	  serial: "{drop}-{seq:6}"
//	  lot: "{capability}-{date}-{seq:3}"
//
// The file is an Ed25519 key, PKCS#8 in PEM; a relative path is read from the directory of the
// factory config. Without signing_key the daemon keeps its key in the keys directory of its
// data directory, made at its first start. Without serial a unit's serial is DefaultSerial
// (see SerialPattern); without lot a made lot's id is DefaultLotPattern (see LotPattern). The
// section names one of them at least.

// Provenance configures the studio's signing key of units' certificates and the serials of its
// units.
type Provenance struct {
	// SigningKey is the path of the signing key's file as the config names it; empty for
	// the key ring of the data directory.
	SigningKey string
	// Line is the line of signing_key in the file, where a key that cannot be read is
	// reported.
	Line int
	// Serial is the pattern of units' serials; the zero value is DefaultSerial.
	Serial SerialPattern
	// Lot is the pattern of made lots' ids (see LotPattern), nil for DefaultLotPattern;
	// LotLine is its line.
	Lot     *LotPattern
	LotLine int
}

// provenance decodes and checks the optional provenance section.
func (d *decoder) provenance(m *mapping, key string) value[*Provenance] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*Provenance]{}
	}
	v := value[*Provenance]{Line: e.Key.Line}
	const object = "provenance"
	pm, ok := d.Mapping(e.Val, object, "", "signing_key", "serial", "lot")
	if !ok {
		v.Bad = true
		return v
	}
	p := Provenance{Line: e.Key.Line}
	serial := d.Str(pm, "serial")
	switch {
	case serial.Bad:
		v.Bad = true
	case serial.Line > 0:
		sp, err := ParseSerialPattern(serial.V)
		if err != nil {
			d.Add(serial.Line, object, "serial", "%s", err)
			v.Bad = true
		}
		p.Serial = sp
	}
	var lotBad bool
	p.Lot, p.LotLine, lotBad = d.lotPattern(pm, object)
	v.Bad = v.Bad || lotBad
	sv := d.Str(pm, "signing_key")
	switch {
	case sv.Bad:
		v.Bad = true
	case sv.Line == 0 && serial.Line == 0 && p.LotLine == 0:
		d.Add(e.Key.Line, object, "signing_key", "is missing: name the signing key's file or the serial pattern, or leave the section out for the data directory's key and the default serials")
		v.Bad = true
	case sv.Line == 0:
		// Only the serial or the lot pattern: the data directory's key.
	case strings.TrimSpace(sv.V) == "":
		d.Add(sv.Line, object, "signing_key", "is empty: name the signing key's file, or leave the section out for the data directory's key")
		v.Bad = true
	}
	p.SigningKey = sv.V
	if sv.Line > 0 {
		p.Line = sv.Line
	}
	v.V = &p
	return v
}
