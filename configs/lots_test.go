package configs_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

// lotsFactory is a studio whose dye step makes lots from yarn and whose weave step consumes
// warp; section is put before its cells (a provenance or hours section).
func lotsFactory(section string) string {
	return "site: tiny\n" + section + `cells:
  - id: vat-1
    capabilities: [dye]
  - id: loom-1
    capabilities: [weave]
products:
  - sku: RUG-1
    routing:
      - capability: dye
        makes_lot: true
        materials: [yarn]
        unit_time: 1h
      - capability: weave
        materials: [warp, weft-extra]
        unit_time: 1h
`
}

// TestParseLots reads the steps' materials and lots and the pattern of made lots' ids, and
// formats ids in the studio's time zone.
func TestParseLots(t *testing.T) {
	// 23:30 UTC on the 6th is already the 7th in Tokyo (UTC+9).
	at := time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		name, section string
		wantID        string
		wantLine      int
	}{
		{name: "the default pattern", wantID: "dye-20261206-007"},
		{name: "a pattern without a signing key", section: "provenance:\n  lot: \"LOT/{cell}/{date}/{seq:5}\"\n",
			wantID: "LOT/vat-1/20261206/00007", wantLine: 3},
		{name: "a sequence without width", section: "provenance:\n  lot: \"{capability}{seq}\"\n", wantID: "dye7", wantLine: 3},
		{name: "the studio's time zone", section: "hours:\n  timezone: Asia/Tokyo\n  days: [mon, tue, wed, thu, fri, sat, sun]\n  open: \"00:00\"\n  close: \"23:59\"\n",
			wantID: "dye-20261207-007"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := configs.Parse("factory.yaml", []byte(lotsFactory(tc.section)), builtin(t))
			if err != nil {
				t.Fatal(err)
			}
			dye, weave := f.Products[0].Routing[0], f.Products[0].Routing[1]
			if !dye.MakesLot || !slices.Equal(dye.Materials, []string{"yarn"}) {
				t.Errorf("dye step: makes lot %v, materials %q; want true, [yarn]", dye.MakesLot, dye.Materials)
			}
			if weave.MakesLot || !slices.Equal(weave.Materials, []string{"warp", "weft-extra"}) {
				t.Errorf("weave step: makes lot %v, materials %q; want false, [warp weft-extra]", weave.MakesLot, weave.Materials)
			}
			if got := f.LotID("dye", "vat-1", at, 7); got != tc.wantID {
				t.Errorf("LotID = %q, want %q", got, tc.wantID)
			}
			if f.Provenance.SigningKey != "" || f.Provenance.LotLine != tc.wantLine {
				t.Errorf("provenance = %+v: want no signing key and the lot pattern at line %d", f.Provenance, tc.wantLine)
			}
		})
	}
}

// TestLotPatternWidth checks that a sequence past its width grows instead of being cut, so
// that ids stay unique.
func TestLotPatternWidth(t *testing.T) {
	p, err := configs.ParseLotPattern("L{seq:3}")
	if err != nil {
		t.Fatal(err)
	}
	for seq, want := range map[int64]string{1: "L001", 999: "L999", 1000: "L1000"} {
		if got := p.Format("dye", "vat-1", time.Time{}, seq); got != want {
			t.Errorf("Format(seq %d) = %q, want %q", seq, got, want)
		}
	}
}
