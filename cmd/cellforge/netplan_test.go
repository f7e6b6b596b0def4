package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
)

// This file holds TestNetwork's batch and the hand-made expectation of where the hub routes
// each of its orders first: the sites' places, the groups of orders with the rule that decides
// each, and the check of a first route against the expectation. The rules are the hub's
// (book/network's Rank): a site on time first, then the nearest to the customer (distances to
// 0.1 km), then the least loaded.

// netPlaces are the sites of testdata/net/hub.yaml and where they are; TestNetwork checks that
// the hub file agrees.
var netPlaces = map[string]network.Point{
	"porto":  {Lat: 41.1496, Lon: -8.6110},
	"lisbon": {Lat: 38.7223, Lon: -9.1393},
	"madrid": {Lat: 40.4168, Lon: -3.7038},
}

// netMakes is what each site makes of net-drop: madrid all but the coaster.
var netMakes = map[string][]string{
	"porto":  {"NET-COASTER", "NET-TAG", "NET-BOOKMARK"},
	"lisbon": {"NET-COASTER", "NET-TAG", "NET-BOOKMARK"},
	"madrid": {"NET-TAG", "NET-BOOKMARK"},
}

// The preload makes porto late for what is due soon: before the hub's batch, porto imports
// netPreloadOrders orders of netPreloadUnits bookmarks (2 minutes a unit), one for each of its
// looms, and the batch waits until the looms weave them. A loom is then busy for 48 hours by
// the planner's clock, which is the wall clock: whatever porto promises is at least a day and
// a half away, even when the simulated looms (at netSimSpeed, 1.1 simulated hours a second)
// have woven for half a minute before the hub asks. The looms finish the preload in about 45 s
// of wall time, and porto's share of the batch then.
const (
	netPreloadOrders = 3
	netPreloadUnits  = 1440
	netPreloadSKU    = "NET-BOOKMARK"
)

// Due dates, after the import. netDueLater is far beyond every promise (porto's, after the
// preload, is within three days); netDueSoon is beyond every promise of lisbon and madrid for
// the whole batch (at most 300 orders of 2 units, about 4 hours of work a loom) and well
// before porto's.
const (
	netDueLater = 30 * 24 * time.Hour
	netDueSoon  = 12 * time.Hour
)

// netRule is the rule of the hub's ranking that decides a group of orders.
type netRule int

const (
	// nearestOnTime: every site that makes the SKU is on time; the nearest wins.
	nearestOnTime netRule = iota
	// nearestIsLate: the nearest site (porto, preloaded) would make the order late; the
	// nearest of those on time wins.
	nearestIsLate
	// notMadeThere: the nearest site (madrid) does not make the SKU; the nearest of those
	// that do wins.
	notMadeThere
	// tieLeastLoaded: two sites are as near (to 0.1 km) and on time; the less loaded wins
	// (porto is the more loaded: its preload is far more hours per loom than the batch gives
	// any site).
	tieLeastLoaded
)

func (r netRule) String() string {
	return [...]string{"nearest on time", "the nearest is late", "the nearest does not make it", "as near, less loaded"}[r]
}

// netGroup is a group of the hub's batch: orders whose customers are in the same places, for
// the same SKUs and due alike, which the expectation routes to one site by one rule.
type netGroup struct {
	name   string
	n      int
	places []network.Point // the customers' places, taken in turn
	skus   []string        // the SKUs, taken in turn
	due    time.Duration   // after the import
	want   string          // the site of the first route
	rule   netRule
	// other, for tieLeastLoaded, is the site as near as want.
	other string
}

// Places of customers (decimal degrees).
var (
	nearPorto  = []network.Point{{Lat: 41.5454, Lon: -8.4265}, {Lat: 40.6405, Lon: -8.6538}, {Lat: 41.6932, Lon: -8.8329}, {Lat: 41.4425, Lon: -8.2918}} // Braga, Aveiro, Viana do Castelo, Guimarães
	nearLisbon = []network.Point{{Lat: 38.5244, Lon: -8.8882}, {Lat: 38.8029, Lon: -9.3817}, {Lat: 38.5714, Lon: -7.9135}, {Lat: 39.2362, Lon: -8.6868}} // Setúbal, Sintra, Évora, Santarém
	nearMadrid = []network.Point{{Lat: 39.8628, Lon: -4.0273}, {Lat: 40.6326, Lon: -3.1601}, {Lat: 40.9429, Lon: -4.1088}, {Lat: 40.6566, Lon: -4.6818}} // Toledo, Guadalajara, Segovia, Ávila
	// Castile, west of Madrid: madrid is nearest, then porto, then lisbon.
	westOfMadrid = []network.Point{{Lat: 41.6523, Lon: -4.7245}, {Lat: 40.9701, Lon: -5.6635}, {Lat: 40.9429, Lon: -4.1088}} // Valladolid, Salamanca, Segovia
	// On the bisector of porto and madrid (found by bisection on the haversine distance, to
	// 1e-4 degrees): as near to both to 0.1 km, lisbon over 100 km farther.
	portoMadridTie = []network.Point{{Lat: 40.5, Lon: -6.2241}, {Lat: 40.8, Lon: -6.1463}, {Lat: 41.1, Lon: -6.0677}}
	// On the bisector of porto and lisbon: madrid over 300 km farther.
	portoLisbonTie = []network.Point{{Lat: 39.7, Lon: -7.1404}, {Lat: 39.8, Lon: -7.8521}, {Lat: 39.9, Lon: -8.5992}}
)

// netGroups is the hand-made expectation: 300 orders in seven groups.
var netGroups = []netGroup{
	// Every site is on time for a date a month away: the customer's nearest site gets the order.
	{name: "porto-near", n: 60, places: nearPorto, skus: netMakes["porto"], due: netDueLater, want: "porto", rule: nearestOnTime},
	{name: "lisbon-near", n: 60, places: nearLisbon, skus: netMakes["lisbon"], due: netDueLater, want: "lisbon", rule: nearestOnTime},
	{name: "madrid-near", n: 50, places: nearMadrid, skus: netMakes["madrid"], due: netDueLater, want: "madrid", rule: nearestOnTime},
	// Coasters for Castile: madrid is the nearest but does not make them; porto is the next
	// nearest, on time for a date a month away despite its preload.
	{name: "coasters-for-castile", n: 30, places: westOfMadrid, skus: []string{"NET-COASTER"}, due: netDueLater, want: "porto", rule: notMadeThere},
	// Due in 12 hours near porto: porto's looms are taken for 48 hours by the preload, so it
	// is late; lisbon and madrid are on time and lisbon is the nearer.
	{name: "porto-near-soon", n: 40, places: nearPorto, skus: netMakes["porto"], due: netDueSoon, want: "lisbon", rule: nearestIsLate},
	// As near to porto as to madrid, a month away: both on time; madrid is the less loaded.
	{name: "porto-madrid-tie", n: 30, places: portoMadridTie, skus: []string{"NET-TAG", "NET-BOOKMARK"}, due: netDueLater, want: "madrid", rule: tieLeastLoaded, other: "porto"},
	// As near to porto as to lisbon, coasters (madrid does not make them), a month away:
	// lisbon is the less loaded.
	{name: "porto-lisbon-tie", n: 30, places: portoLisbonTie, skus: []string{"NET-COASTER"}, due: netDueLater, want: "lisbon", rule: tieLeastLoaded, other: "porto"},
}

// netExpected is the expectation for one order of the batch.
type netExpected struct {
	group *netGroup
	due   time.Time
	place network.Point
	sku   string
	units int
}

// netBatch returns the hub's batch for groups as CSV (with the customers' lat and lon and
// RFC 3339 due times counted from now) and the expectation of each order by id. Orders of a
// group are numbered from 1 after the group's name; quantities alternate 1 and 2.
func netBatch(groups []netGroup, now time.Time) (string, map[string]netExpected) {
	var csv strings.Builder
	csv.WriteString("order_id,sku,quantity,customer,due,lat,lon\n")
	want := make(map[string]netExpected)
	for gi := range groups {
		g := &groups[gi]
		due := now.Add(g.due).UTC().Truncate(time.Second)
		for i := range g.n {
			e := netExpected{group: g, due: due, place: g.places[i%len(g.places)], sku: g.skus[i%len(g.skus)], units: 1 + i%2}
			id := fmt.Sprintf("%s-%03d", g.name, i+1)
			want[id] = e
			fmt.Fprintf(&csv, "%s,%s,%d,customer %s,%s,%.4f,%.4f\n", id, e.sku, e.units, id, due.Format(time.RFC3339), e.place.Lat, e.place.Lon)
		}
	}
	return csv.String(), want
}

// netKm is the distance the hub ranks by: to 0.1 km.
func netKm(a, b network.Point) float64 { return math.Round(network.DistanceKm(a, b)*10) / 10 }

// netNearest returns the sites that make sku, nearest to p first (by netKm, then id), leaving
// out skip.
func netNearest(p network.Point, sku string, skip ...string) []string {
	var sites []string
	for id, skus := range netMakes {
		if slices.Contains(skus, sku) && !slices.Contains(skip, id) {
			sites = append(sites, id)
		}
	}
	slices.SortFunc(sites, func(a, b string) int {
		if da, db := netKm(p, netPlaces[a]), netKm(p, netPlaces[b]); da != db {
			return int(math.Copysign(1, da-db))
		}
		return strings.Compare(a, b)
	})
	return sites
}

// checkGeometry checks that the places of an order agree with the rule of its group: it
// returns what is wrong, or "".
func (e netExpected) checkGeometry() string {
	g := e.group
	makers := netNearest(e.place, e.sku)
	km := func(site string) float64 { return netKm(e.place, netPlaces[site]) }
	switch g.rule {
	case nearestOnTime:
		if makers[0] != g.want || km(makers[0]) == km(makers[1]) {
			return fmt.Sprintf("the nearest site that makes %s is %s (%v), not %s alone", e.sku, makers[0], km(makers[0]), g.want)
		}
	case nearestIsLate:
		rest := netNearest(e.place, e.sku, "porto")
		if makers[0] != "porto" || km("porto") == km(makers[1]) || rest[0] != g.want || len(rest) > 1 && km(rest[0]) == km(rest[1]) {
			return fmt.Sprintf("porto should be the nearest and %s the next: the order is %v", g.want, makers)
		}
	case notMadeThere:
		all := netNearest(e.place, "NET-TAG")
		if slices.Contains(netMakes["madrid"], e.sku) || all[0] != "madrid" || makers[0] != g.want || km(makers[0]) == km(makers[1]) {
			return fmt.Sprintf("madrid should be the nearest of all (%v) and not make %s, and %s the nearest that does (%v)", all, e.sku, g.want, makers)
		}
	case tieLeastLoaded:
		if km(g.want) != km(g.other) || len(makers) < 2 || !slices.Contains(makers[:2], g.want) || !slices.Contains(makers[:2], g.other) {
			return fmt.Sprintf("%s at %v km and %s at %v km should be the two nearest, as near (%v)", g.want, km(g.want), g.other, km(g.other), makers)
		}
		if len(makers) > 2 && km(makers[2]) < km(g.want)+50 {
			return fmt.Sprintf("%s is only %v km away against %v", makers[2], km(makers[2]), km(g.want))
		}
	}
	return ""
}

// TestNetExpectation checks the hand-made expectation of TestNetwork against the geometry: 300
// orders, each group's places as the group's rule says (its site the nearest, or the nearest
// after porto or madrid, or as near as the other site to 0.1 km), every SKU sold by net-drop.
func TestNetExpectation(t *testing.T) {
	csv, want := netBatch(netGroups, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	if len(want) != 300 || strings.Count(csv, "\n") != 301 {
		t.Fatalf("the batch has %d orders in %d lines, want 300", len(want), strings.Count(csv, "\n")-1)
	}
	sites := map[string]int{}
	for id, e := range want {
		if msg := e.checkGeometry(); msg != "" {
			t.Errorf("order %s (group %s, %s) at %v: %s", id, e.group.name, e.group.rule, e.place, msg)
		}
		if !slices.Contains(netMakes[e.group.want], e.sku) {
			t.Errorf("order %s: %s goes to %s, which does not make it", id, e.sku, e.group.want)
		}
		sites[e.group.want]++
	}
	for site := range netPlaces {
		if sites[site] < 60 {
			t.Errorf("%s gets %d orders of the batch; every site should get a share", site, sites[site])
		}
	}
}
