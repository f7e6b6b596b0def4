package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
)

// This file holds TestNetwork's checks of what the hub and the sites say against what the test
// expects: an order's first route against the hand-made expectation, and the end state of an
// order at the hub against the books of the sites.

// netWhy is a phrase the sentence of a first route says for each rule.
var netWhy = map[netRule]string{
	nearestOnTime:  "nearest",
	nearestIsLate:  "on time",
	notMadeThere:   "nearest",
	tieLeastLoaded: "less loaded",
}

// checkFirstRoute checks an order as the hub holds it and its routes against the expectation:
// the customer's place and due time as imported, and a first route (cause "new") to the
// expected site, ranked first on time, with the ranking and the sentence of the group's rule.
// It returns every problem found.
func checkFirstRoute(e netExpected, o network.Order, routes []network.Route) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	if o.Location != e.place || !o.Due.Equal(e.due) || o.SKU != e.sku || o.Quantity != e.units {
		fail("the hub holds %s x%d at %v due %v, the batch said %s x%d at %v due %v", o.SKU, o.Quantity, o.Location, o.Due, e.sku, e.units, e.place, e.due)
	}
	if len(routes) == 0 {
		fail("no route")
		return bad
	}
	r := routes[0]
	g := e.group
	if r.N != 1 || r.Site != g.want || r.Cause != "new" {
		fail("first route %d (%s) to %s, want route 1 (new) to %s (%s); why: %s", r.N, r.Cause, r.Site, g.want, g.rule, r.Why)
		return bad
	}
	if !strings.HasPrefix(r.Why, g.want+" ") || !strings.Contains(r.Why, netWhy[g.rule]) {
		fail("the route's reason %q does not name %s and say %q", r.Why, g.want, netWhy[g.rule])
	}
	choices := map[string]network.Choice{}
	for _, c := range r.Ranking {
		choices[c.Site] = c
	}
	w := choices[g.want]
	if w.Rank != 1 || !w.OnTime || w.Excluded != "" || w.Promise.After(e.due) || w.DistanceKm != netKm(e.place, netPlaces[g.want]) {
		fail("%s is ranked %+v; want rank 1, on time by %v, %v km", g.want, w, e.due, netKm(e.place, netPlaces[g.want]))
	}
	return append(bad, checkRanking(e, w, choices)...)
}

// checkRanking checks the other sites of a first route's ranking against the group's rule;
// w is the chosen site's choice.
func checkRanking(e netExpected, w network.Choice, choices map[string]network.Choice) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	for site, c := range choices {
		if site == w.Site || c.Excluded != "" {
			continue
		}
		switch e.group.rule {
		case nearestOnTime, notMadeThere:
			if c.OnTime && c.DistanceKm <= w.DistanceKm {
				fail("%s is on time and as near (%v km) as %s (%v km)", site, c.DistanceKm, w.Site, w.DistanceKm)
			}
		case nearestIsLate:
			if site == "porto" && (c.OnTime || !c.Promise.After(e.due) || c.DistanceKm >= w.DistanceKm) {
				fail("porto should be nearer (%v km against %v) and late (promise %v, due %v): %+v", c.DistanceKm, w.DistanceKm, c.Promise, e.due, c)
			}
		case tieLeastLoaded:
			if site == e.group.other && (!c.OnTime || c.DistanceKm != w.DistanceKm || c.LoadHours <= w.LoadHours) {
				fail("%s should be on time, as near (%v km) and more loaded (%v h) than %s (%v h): %+v", site, w.DistanceKm, c.LoadHours, w.Site, w.LoadHours, c)
			}
		}
	}
	porto, ranked := choices["porto"]
	if e.group.rule == nearestIsLate && (!ranked || porto.Excluded != "") {
		fail("porto is not ranked as a late site: %+v", porto)
	}
	if other, ok := choices[e.group.other]; e.group.rule == tieLeastLoaded && (!ok || other.Excluded != "") {
		fail("%s is not ranked beside %s: %+v", e.group.other, w.Site, other)
	}
	if m, ok := choices["madrid"]; e.group.rule == notMadeThere && ok && m.Excluded == "" {
		fail("madrid does not make %s but was ranked %+v", e.sku, m)
	}
	return bad
}

// netSiteOrder is what a site's book says of one network order: its state, the units its work
// orders finished at their last operation, the good units, and whether it withdrew it.
type netSiteOrder struct {
	State     string
	Made      int
	Good      int
	Withdrawn bool
}

// checkAtTheEnd checks one order at the end: done at the hub at one site, with the units that
// site's book says, and done there and nowhere else (another site may hold it only withdrawn).
// at maps each site to its book's view of the order (absent: the site never held it).
func checkAtTheEnd(o network.Order, at map[string]netSiteOrder) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	if o.State != network.Done || o.DoneAt.IsZero() {
		fail("the hub holds it %s at %s", o.State, o.Site)
	}
	here, ok := at[o.Site]
	switch {
	case !ok:
		fail("the hub says %s has it; %s's book does not hold it", o.Site, o.Site)
	case here.State != "done" || here.Withdrawn:
		fail("%s's book holds it %s (withdrawn: %v), the hub %s", o.Site, here.State, here.Withdrawn, o.State)
	case here.Made != o.Made || here.Good != o.Good || here.Good != o.Quantity:
		fail("%s's book made %d, %d good; the hub holds %d, %d good, of %d ordered", o.Site, here.Made, here.Good, o.Made, o.Good, o.Quantity)
	}
	for site, s := range at {
		if site != o.Site && !s.Withdrawn {
			fail("%s's book also holds it, %s, not withdrawn", site, s.State)
		}
	}
	return bad
}

// netLastWord is a site as the hub's API lists it, as far as TestNetwork reads it.
type netLastWord struct {
	ID       string    `json:"id"`
	Online   bool      `json:"online"`
	LastWord time.Time `json:"last_word"`
	AgeS     *int64    `json:"last_word_age_s"`
}

// netGoodRoute returns the order the hub should hold for e and a first route that satisfies
// the expectation: the expected site first, on time, and the others ranked by e's rule.
func netGoodRoute(e netExpected) (network.Order, []network.Route) {
	g := e.group
	o := network.Order{OrderID: "x", SKU: e.sku, Quantity: e.units, Due: e.due, Location: e.place, State: network.Routed, Site: g.want, Route: 1}
	onTime, late := e.due.Add(-time.Hour), e.due.Add(time.Hour)
	km := func(site string) float64 { return netKm(e.place, netPlaces[site]) }
	ranking := []network.Choice{{Site: g.want, Rank: 1, Promise: onTime, OnTime: true, DistanceKm: km(g.want), LoadHours: 1}}
	for _, site := range []string{"porto", "lisbon", "madrid"} {
		c := network.Choice{Site: site, Promise: onTime, OnTime: true, DistanceKm: km(site), LoadHours: 40, Rank: len(ranking) + 1}
		switch {
		case site == g.want:
			continue
		case !strings.Contains(strings.Join(netMakes[site], " "), e.sku):
			c = network.Choice{Site: site, DistanceKm: km(site), Excluded: "it does not make " + e.sku}
		case g.rule == nearestIsLate && site == "porto":
			c.Promise, c.OnTime = late, false
		}
		ranking = append(ranking, c)
	}
	why := map[netRule]string{nearestOnTime: " is the nearest to the customer", nearestIsLate: " is the only site that can make the order on time",
		notMadeThere: " is the nearest to the customer", tieLeastLoaded: " is as near to the customer as porto, both on time, and less loaded"}[g.rule]
	return o, []network.Route{{OrderID: "x", N: 1, Site: g.want, Cause: "new", Why: g.want + why, Ranking: ranking}}
}

// TestNetChecks checks TestNetwork's checks: a first route as the expectation says passes for
// an order of every group, and each way of getting it wrong is caught; so are the end states
// that are not one order done once at one site.
func TestNetChecks(t *testing.T) {
	_, want := netBatch(netGroups, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	for _, g := range netGroups {
		e := want[g.name+"-001"]
		o, routes := netGoodRoute(e)
		if bad := checkFirstRoute(e, o, routes); len(bad) > 0 {
			t.Errorf("%s: a good route is refused: %v", g.name, bad)
		}
	}
	checkRankedByTheHub(t, want, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	wrong := []struct {
		name  string
		group string
		spoil func(o *network.Order, r *network.Route)
	}{
		{"no route", "porto-near", func(o *network.Order, r *network.Route) { r.N = 0 }},
		{"another site", "porto-near", func(o *network.Order, r *network.Route) { r.Site = "lisbon" }},
		{"a later route", "porto-near", func(o *network.Order, r *network.Route) { r.N, r.Cause = 2, "ack timeout" }},
		{"another place", "porto-near", func(o *network.Order, r *network.Route) { o.Location.Lat += 0.01 }},
		{"another due", "porto-near", func(o *network.Order, r *network.Route) { o.Due = o.Due.Add(time.Hour) }},
		{"the reason of another rule", "porto-madrid-tie", func(o *network.Order, r *network.Route) { r.Why = "madrid is the nearest" }},
		{"the winner late", "porto-near", func(o *network.Order, r *network.Route) { r.Ranking[0].OnTime = false }},
		{"the winner's distance", "lisbon-near", func(o *network.Order, r *network.Route) { r.Ranking[0].DistanceKm += 0.1 }},
		{"another site as near", "madrid-near", func(o *network.Order, r *network.Route) { r.Ranking[1].DistanceKm = r.Ranking[0].DistanceKm }},
		{"porto on time", "porto-near-soon", func(o *network.Order, r *network.Route) { r.Ranking[1].OnTime = true }},
		{"porto not ranked", "porto-near-soon", func(o *network.Order, r *network.Route) { r.Ranking[1].Excluded = "gone" }},
		{"madrid ranked for a coaster", "coasters-for-castile", func(o *network.Order, r *network.Route) { r.Ranking[2].Excluded = "" }},
		{"porto less loaded", "porto-lisbon-tie", func(o *network.Order, r *network.Route) { r.Ranking[1].LoadHours = 0.5 }},
		{"porto farther", "porto-madrid-tie", func(o *network.Order, r *network.Route) { r.Ranking[1].DistanceKm += 0.1 }},
	}
	for _, w := range wrong {
		e := want[w.group+"-001"]
		o, routes := netGoodRoute(e)
		w.spoil(&o, &routes[0])
		if routes[0].N == 0 {
			routes = nil
		}
		if bad := checkFirstRoute(e, o, routes); len(bad) == 0 {
			t.Errorf("%s (%s): not caught", w.name, w.group)
		}
	}
	checkEnds(t)
}

// checkEnds is TestNetChecks' part for checkAtTheEnd.
func checkEnds(t *testing.T) {
	done := network.Order{OrderID: "x", Quantity: 2, State: network.Done, Site: "porto", Made: 2, Good: 2, DoneAt: time.Now()}
	good := map[string]netSiteOrder{"porto": {State: "done", Made: 2, Good: 2}, "lisbon": {State: "withdrawn", Withdrawn: true}}
	if bad := checkAtTheEnd(done, good); len(bad) > 0 {
		t.Errorf("an order done at porto, withdrawn at lisbon, is refused: %v", bad)
	}
	for name, c := range map[string]struct {
		o  func(o *network.Order)
		at map[string]netSiteOrder
	}{
		"not done at the hub":  {func(o *network.Order) { o.State = network.Started }, good},
		"elsewhere at the hub": {func(o *network.Order) { o.Site = "madrid" }, good},
		"other units":          {func(o *network.Order) { o.Made = 3 }, good},
		"short":                {func(o *network.Order) { o.Good, o.Made = 1, 1 }, map[string]netSiteOrder{"porto": {State: "done", Made: 1, Good: 1}}},
		"not done at the site": {func(*network.Order) {}, map[string]netSiteOrder{"porto": {State: "in_progress", Made: 2, Good: 2}}},
		"made twice":           {func(*network.Order) {}, map[string]netSiteOrder{"porto": good["porto"], "lisbon": {State: "done", Made: 2, Good: 2}}},
		"withdrawn where done": {func(*network.Order) {}, map[string]netSiteOrder{"porto": {State: "done", Made: 2, Good: 2, Withdrawn: true}}},
	} {
		o := done
		c.o(&o)
		if bad := checkAtTheEnd(o, c.at); len(bad) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
}

// checkRankedByTheHub ranks every order of the batch with the hub's own Rank, given the loads
// and promises TestNetwork sets up (porto loaded for 48 hours and promising after them, lisbon
// and madrid a few hours of work; madrid excluded for the coaster), and checks that each
// passes checkFirstRoute: the expectation is the hub's rules, not only geometry.
func checkRankedByTheHub(t *testing.T, want map[string]netExpected, imported time.Time) {
	t.Helper()
	for id, e := range want {
		o := network.Order{OrderID: id, SKU: e.sku, Quantity: e.units, Due: e.due, Location: e.place}
		var cands []network.Candidate
		for site, p := range netPlaces {
			c := network.Candidate{Site: site, Location: p, LoadHours: 2, Promise: imported.Add(4 * time.Hour)}
			if site == "porto" {
				c.LoadHours, c.Promise = float64(2*netPreloadUnits)/60, imported.Add(40*time.Hour)
			}
			if !strings.Contains(strings.Join(netMakes[site], " "), e.sku) {
				c = network.Candidate{Site: site, Location: p, Excluded: "it does not make " + e.sku}
			}
			cands = append(cands, c)
		}
		ranking, why := network.Rank(o, cands)
		route := network.Route{OrderID: id, N: 1, Site: ranking[0].Site, Cause: "new", Why: why, Ranking: ranking}
		if bad := checkFirstRoute(e, o, []network.Route{route}); len(bad) > 0 {
			t.Errorf("order %s (%s) as the hub ranks it: %v", id, e.group.name, bad)
		}
	}
}
