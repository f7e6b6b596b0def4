package configs_test

import (
	"testing"

	"github.com/cellforge/cellforge/configs"
)

// TestParseProvenance reads the provenance section: without it the daemon keeps its key in its
// data directory; with it, the key file it names.
func TestParseProvenance(t *testing.T) {
	tests := []struct {
		name, section string
		want          configs.Provenance
	}{
		{name: "no section", want: configs.Provenance{}},
		{name: "an empty section", section: "provenance:\n", want: configs.Provenance{}},
		{name: "a key file", section: "provenance:\n  signing_key: keys/studio.pem\n",
			want: configs.Provenance{SigningKey: "keys/studio.pem", Line: 3}}, // the line of signing_key
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := "site: tiny\n" + tc.section + minimal[len("site: tiny\n"):]
			f, err := configs.Parse("factory.yaml", []byte(data), builtin(t))
			if err != nil {
				t.Fatal(err)
			}
			if f.Provenance != tc.want {
				t.Errorf("provenance = %+v, want %+v", f.Provenance, tc.want)
			}
		})
	}
}
