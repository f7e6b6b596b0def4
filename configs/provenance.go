package configs

import (
	"strings"

	"github.com/cellforge/cellforge/configs/internal/yamlfile"
)

// The provenance section names the studio's signing key when the studio keeps it outside the
// daemon's data directory:
//
//	provenance:
//	  signing_key: /etc/cellforge/signing-key.pem
//
// The file is an Ed25519 key, PKCS#8 in PEM; a relative path is read from the directory of the
// factory config. Without the section the daemon keeps its key in the keys directory of its
// data directory, made at its first start.

// Provenance configures the studio's signing key of units' certificates.
type Provenance struct {
	// SigningKey is the path of the signing key's file as the config names it; empty for
	// the key ring of the data directory.
	SigningKey string
	// Line is the line of signing_key in the file, where a key that cannot be read is
	// reported.
	Line int
}

// provenance decodes and checks the optional provenance section.
func (d *decoder) provenance(m *mapping, key string) value[*Provenance] {
	e, ok := m.Entries[key]
	if !ok || yamlfile.IsNull(e.Val) {
		return value[*Provenance]{}
	}
	v := value[*Provenance]{Line: e.Key.Line}
	const object = "provenance"
	pm, ok := d.Mapping(e.Val, object, "", "signing_key")
	if !ok {
		v.Bad = true
		return v
	}
	p := Provenance{Line: e.Key.Line}
	sv := d.Str(pm, "signing_key")
	switch {
	case sv.Bad:
		v.Bad = true
	case sv.Line == 0:
		d.Add(e.Key.Line, object, "signing_key", "is missing: name the signing key's file, or leave the section out for the data directory's key")
		v.Bad = true
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
