package network_test

import (
	"github.com/cellforge/cellforge/book/intake"
	. "github.com/cellforge/cellforge/book/network"
	"reflect"
	"strings"
	"testing"
	"time"
)

var threeSites = []Site{
	{ID: "porto", Name: "Porto loom studio", Location: porto},
	{ID: "lisbon-a", Name: "Lisbon looms", Location: lisbon},
	{ID: "lisbon-b", Name: "Lisbon dye kitchen", Location: lisbon}, // the same building
}

var threeMakes = map[string]map[string][]string{
	"porto":    {"winter": {"RUG", "SCARF", "HAT"}},
	"lisbon-a": {"winter": {"RUG", "SCARF", "HAT"}},
	"lisbon-b": {"winter": {"RUG", "SCARF"}},
}

// TestRoutingByHand routes a dozen orders across three sites as worked out by hand: on time
// first, then the nearest to the customer, then the least loaded counting the hours routed in
// the round (lisbon-a starts at 5 h per cell, lisbon-b at 2, each order adds 2 h there).
func TestRoutingByHand(t *testing.T) {
	e := newEnv(t, threeSites, threeMakes)
	e.loads = map[string]Load{"porto": {Hours: 0, Cells: 2}, "lisbon-a": {Hours: 10, Cells: 2}, "lisbon-b": {Hours: 4, Cells: 2}}
	now := e.clock.Now()
	onTime, late := now.Add(48*time.Hour), testDrop.Date.Add(24*time.Hour)
	orders := []struct {
		id, sku string
		at      Point
		late    []string // the sites that promise it late
		want    string   // the site it goes to; "" stays waiting
	}{
		{"N01", "RUG", porto, nil, "porto"},                                           // nearest
		{"N02", "RUG", porto, []string{"porto"}, "lisbon-b"},                          // on time first; lisbons tie, b less loaded (2 < 5)
		{"N03", "SCARF", lisbon, nil, "lisbon-b"},                                     // b 4 < a 5
		{"N04", "SCARF", lisbon, nil, "lisbon-a"},                                     // a 5 < b 6
		{"N05", "HAT", lisbon, nil, "lisbon-a"},                                       // b does not make hats
		{"N06", "RUG", lisbon, nil, "lisbon-b"},                                       // b 6 < a 9
		{"N07", "RUG", lisbon, []string{"lisbon-a", "lisbon-b"}, "porto"},             // the only one on time
		{"N08", "RUG", lisbon, []string{"porto", "lisbon-a", "lisbon-b"}, "lisbon-b"}, // all late: nearest, b 8 < a 9
		{"N09", "RUG", faro, nil, "lisbon-a"},                                         // lisbon nearer than porto; a 9 < b 10
		{"N10", "SCARF", braga, nil, "porto"},                                         // nearest
		{"N11", "HAT", madrid, nil, "porto"},                                          // porto nearer Madrid than lisbon-a
		{"N12", "RUG", lisbon, nil, ""},                                               // no promise from anyone
	}
	lateFor := map[string][]string{}
	var rows []intake.Row
	for i, o := range orders {
		rows = append(rows, row(i+2, o.id, o.sku, o.at))
		lateFor[o.id] = o.late
	}
	e.promise = func(site string, o RoutedOrder) (time.Time, float64, bool) {
		if o.OrderID == "N12" {
			return time.Time{}, 0, false
		}
		hours := 0.0
		if strings.HasPrefix(site, "lisbon") {
			hours = 2
		}
		for _, s := range lateFor[o.OrderID] {
			if s == site {
				return late, hours, true
			}
		}
		return onTime, hours, true
	}
	if res := e.importRows(rows...); res.Created != 12 {
		t.Fatalf("import: %+v", res)
	}
	if n := e.route(); n != 11 {
		t.Errorf("routed %d orders, want 11", n)
	}
	msgs := e.links.take()

	asked := map[string]int{}
	for _, m := range msgs {
		if m.kind == KindPromiseRequest {
			var req PromiseRequest
			mustUnmarshal(t, m.body, &req)
			asked[m.to] = len(req.Orders)
		}
	}
	if want := map[string]int{"porto": 12, "lisbon-a": 12, "lisbon-b": 10}; !reflect.DeepEqual(asked, want) {
		t.Errorf("promise requests: %v, want one per site holding what it makes %v", asked, want)
	}
	want := map[string][]string{}
	for _, o := range orders {
		if o.want != "" {
			want[o.want] = append(want[o.want], o.id)
		}
	}
	if got := routesTo(t, msgs, KindRoute); !reflect.DeepEqual(got, want) {
		t.Errorf("routes sent:\n got %v\nwant %v", got, want)
	}
	for _, o := range orders {
		got, routes := e.order(o.id)
		if o.want == "" {
			if got.State != Waiting || len(routes) != 0 {
				t.Errorf("%s: %s with %d routes, want waiting", o.id, got.State, len(routes))
			}
			continue
		}
		if got.State != Routed || got.Site != o.want || got.Route != 1 || !got.AckBy.Equal(now.Add(2*time.Minute)) {
			t.Errorf("%s: %s at %q route %d ack by %v", o.id, got.State, got.Site, got.Route, got.AckBy)
		}
		if len(routes) != 1 || routes[0].Cause != "new" || !strings.HasPrefix(routes[0].Why, o.want+" ") ||
			len(routes[0].Ranking) != 3 || routes[0].Ranking[0].Site != o.want {
			t.Errorf("%s: routes %+v", o.id, routes)
		}
	}
	if _, routes := e.order("N05"); routes[0].Ranking[2].Excluded != "it does not make HAT in drop winter" {
		t.Errorf("N05's ranking: %+v", routes[0].Ranking)
	}
}
