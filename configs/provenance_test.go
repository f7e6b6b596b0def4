package configs_test

import (
	"testing"

	"github.com/cellforge/cellforge/configs"
)

// TestParseProvenance reads the provenance section: without it the daemon keeps its key in its
// data directory and makes the default serials; with it, the key file and the serial pattern
// it names.
func TestParseProvenance(t *testing.T) {
	tests := []struct {
		name, section string
		key           string
		line          int
		serial        string
	}{
		{name: "no section", serial: configs.DefaultSerial},
		{name: "an empty section", section: "provenance:\n", serial: configs.DefaultSerial},
		{name: "a key file", section: "provenance:\n  signing_key: keys/studio.pem\n",
			key: "keys/studio.pem", line: 3, serial: configs.DefaultSerial}, // the line of signing_key
		{name: "a serial pattern without a key", section: "provenance:\n  serial: \"{drop}-{seq:6}\"\n",
			line: 2, serial: "{drop}-{seq:6}"}, // the section's line
		{name: "both", section: "provenance:\n  serial: R{year}.{seq}\n  signing_key: k.pem\n",
			key: "k.pem", line: 4, serial: "R{year}.{seq}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := "site: tiny\n" + tc.section + minimal[len("site: tiny\n"):]
			f, err := configs.Parse("factory.yaml", []byte(data), builtin(t))
			if err != nil {
				t.Fatal(err)
			}
			p := f.Provenance
			if p.SigningKey != tc.key || p.Line != tc.line || p.Serial.String() != tc.serial {
				t.Errorf("provenance = key %q at line %d, serial %q; want key %q at line %d, serial %q",
					p.SigningKey, p.Line, p.Serial, tc.key, tc.line, tc.serial)
			}
		})
	}
}
