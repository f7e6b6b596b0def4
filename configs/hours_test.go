package configs_test

import (
	"testing"
	"time"

	"github.com/cellforge/cellforge/configs"
)

func TestHours(t *testing.T) {
	raw := []byte(`site: tiny
hours:
  timezone: Europe/Lisbon
  days: [mon, tue, wed, thu, fri]
  open: "08:00"
  close: "18:00"
cells:
  - id: weave-1
    capabilities: [weave]
  - id: dye-1
    capabilities: [dye]
    hours: {days: [mon, tue, wed, thu, fri, sat, sun], open: "00:00", close: "24:00"}
products:
  - sku: RUG-1
    routing:
      - capability: weave
        unit_time: 20m
`)
	f, err := configs.Parse("hours.yaml", raw, builtin(t))
	if err != nil {
		t.Fatal(err)
	}
	weave, dye := f.CellHours("weave-1"), f.CellHours("dye-1")
	if weave == nil || weave != f.Hours || dye == nil || dye == f.Hours || f.CellHours("nope") != nil {
		t.Fatalf("CellHours: weave %v, dye %v; want the factory's and the cell's own", weave, dye)
	}
	lisbon, err := time.LoadLocation("Europe/Lisbon")
	if err != nil {
		t.Fatal(err)
	}
	// Friday noon to Tuesday noon, over the night the clocks go back (Sunday 25 October 2026).
	from := time.Date(2026, 10, 23, 12, 0, 0, 0, lisbon)
	to := time.Date(2026, 10, 27, 12, 0, 0, 0, lisbon)
	got := weave.Windows(from, to)
	want := [][2]time.Time{
		{from, time.Date(2026, 10, 23, 18, 0, 0, 0, lisbon)},
		{time.Date(2026, 10, 26, 8, 0, 0, 0, lisbon), time.Date(2026, 10, 26, 18, 0, 0, 0, lisbon)},
		{time.Date(2026, 10, 27, 8, 0, 0, 0, lisbon), to},
	}
	if len(got) != len(want) {
		t.Fatalf("windows %v, want %v", got, want)
	}
	for i := range want {
		if !got[i][0].Equal(want[i][0]) || !got[i][1].Equal(want[i][1]) {
			t.Errorf("window %d = %v, want %v", i, got[i], want[i])
		}
	}
	// Monday's 08:00 after the change is an hour later in UTC than Friday's.
	if h := want[1][0].UTC().Hour(); h != 8 {
		t.Errorf("Monday 08:00 in Lisbon is %02d:00 UTC, want 08:00 (winter time)", h)
	}
	// Around the clock every day: one window per day, back to back.
	all := dye.Windows(from, to)
	if len(all) != 5 || !all[0][0].Equal(from) || !all[4][1].Equal(to) {
		t.Errorf("dye windows %v, want five back to back from %v to %v", all, from, to)
	}
	for i := 1; i < len(all); i++ {
		if !all[i][0].Equal(all[i-1][1]) {
			t.Errorf("gap between %v and %v", all[i-1], all[i])
		}
	}
}
