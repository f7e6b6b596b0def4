package network_test

import (
	. "github.com/cellforge/cellforge/book/network"
	"strings"
	"testing"
	"time"
)

func TestRank(t *testing.T) {
	due := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)
	early := due.Add(-48 * time.Hour)
	late := due.Add(6 * time.Hour)
	o := Order{OrderID: "A-1", Due: due, Location: Point{Lat: 0, Lon: 0}}
	// On the equator a tenth of a degree of longitude is 11.1 km; 0.1002 degrees rounds to the
	// same 11.1 km, 0.2 degrees is 22.2 km.
	near, nearToo, far := Point{Lon: 0.1}, Point{Lon: 0.1002}, Point{Lon: 0.2}
	tests := []struct {
		name  string
		cands []Candidate
		order []string // the sites, best first
		ranks []int
		why   string
	}{
		{
			name: "on time beats nearer",
			cands: []Candidate{
				{Site: "near", Location: near, Promise: late},
				{Site: "far", Location: far, Promise: early},
			},
			order: []string{"far", "near"}, ranks: []int{1, 2},
			why: "far is the only site that can make the order on time (promise 2026-12-16 00:00 UTC, due 2026-12-18 00:00 UTC), 22.2 km from the customer",
		},
		{
			name: "both on time: the nearer",
			cands: []Candidate{
				{Site: "far", Location: far, Promise: early},
				{Site: "near", Location: near, Promise: due, LoadHours: 50},
			},
			order: []string{"near", "far"}, ranks: []int{1, 2},
			why: "near is the nearest to the customer of the 2 sites that can make the order on time (11.1 km; next far at 22.2 km; promise 2026-12-18 00:00 UTC, due 2026-12-18 00:00 UTC)",
		},
		{
			name: "same distance to 0.1 km: the less loaded",
			cands: []Candidate{
				{Site: "a", Location: near, Promise: early, LoadHours: 8},
				{Site: "b", Location: nearToo, Promise: early, LoadHours: 3.5},
			},
			order: []string{"b", "a"}, ranks: []int{1, 2},
			why: "b is as near to the customer as a (11.1 km), both on time, and less loaded (3.5 h per cell against 8.0 h; promise 2026-12-16 00:00 UTC, due 2026-12-18 00:00 UTC)",
		},
		{
			name: "same distance and load: by site id",
			cands: []Candidate{
				{Site: "b", Location: nearToo, Promise: early, LoadHours: 2},
				{Site: "a", Location: near, Promise: early.Add(time.Hour), LoadHours: 2},
			},
			order: []string{"a", "b"}, ranks: []int{1, 2},
			why: "a ties with b on time, distance (11.1 km) and load (2.0 h per cell) and comes first by site id (promise 2026-12-16 01:00 UTC, due 2026-12-18 00:00 UTC)",
		},
		{
			name: "all late: the nearest",
			cands: []Candidate{
				{Site: "far", Location: far, Promise: late},
				{Site: "near", Location: near, Promise: late.Add(time.Hour)},
			},
			order: []string{"near", "far"}, ranks: []int{1, 2},
			why: "near is the nearest to the customer of the 2 sites that can make the order only late (11.1 km; next far at 22.2 km; promise 2026-12-18 07:00 UTC, due 2026-12-18 00:00 UTC)",
		},
		{
			name: "excluded and silent sites last, unranked",
			cands: []Candidate{
				{Site: "a", Location: o.Location, Excluded: "it is gone"},
				{Site: "b", Location: o.Location},
				{Site: "c", Location: far, Promise: late},
			},
			order: []string{"c", "a", "b"}, ranks: []int{1, 0, 0},
			why: "c is the only site that can take the order (late: promise 2026-12-18 06:00 UTC, due 2026-12-18 00:00 UTC), 22.2 km from the customer",
		},
		{
			name: "nobody",
			cands: []Candidate{
				{Site: "a", Location: near, Excluded: "it does not make X in drop d"},
				{Site: "b", Location: near},
			},
			order: []string{"a", "b"}, ranks: []int{0, 0},
			why: "no site can take the order: 2 site(s) excluded",
		},
		{
			name:  "no site at all",
			cands: nil,
			why:   "no site makes the order's SKU in its drop",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ranking, why := Rank(o, tt.cands)
			if why != tt.why {
				t.Errorf("why:\n got %q\nwant %q", why, tt.why)
			}
			if len(ranking) != len(tt.order) {
				t.Fatalf("ranking has %d sites, want %d", len(ranking), len(tt.order))
			}
			for i, c := range ranking {
				if c.Site != tt.order[i] || c.Rank != tt.ranks[i] {
					t.Errorf("place %d: %s rank %d, want %s rank %d", i, c.Site, c.Rank, tt.order[i], tt.ranks[i])
				}
				if (c.Rank == 0) == (c.Excluded == "") {
					t.Errorf("%s: rank %d with exclusion %q", c.Site, c.Rank, c.Excluded)
				}
			}
		})
	}
}

func TestRankRecordsEachChoice(t *testing.T) {
	due := time.Date(2026, 12, 18, 0, 0, 0, 0, time.UTC)
	o := Order{OrderID: "A-1", Due: due}
	ranking, _ := Rank(o, []Candidate{
		{Site: "a", Location: Point{Lon: 0.1}, Promise: due.Add(time.Minute), LoadHours: 1.25},
		{Site: "b", Location: Point{Lon: 0.2}},
	})
	a, b := ranking[0], ranking[1]
	if a.Site != "a" || a.OnTime || a.DistanceKm != 11.1 || a.LoadHours != 1.25 || !a.Promise.Equal(due.Add(time.Minute)) {
		t.Errorf("a: %+v", a)
	}
	if b.Site != "b" || !strings.Contains(b.Excluded, "no promise") || b.DistanceKm != 22.2 {
		t.Errorf("b: %+v", b)
	}
}
