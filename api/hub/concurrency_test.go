package hub

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

// TestTwentyAtOnce sends the same batch twenty times at once, with one idempotency key and
// without, then the same move twenty times at once, then the same "mark gone" twenty times at
// once: every answer is a success, the batch is stored once, the order moved once and the
// site's orders taken back from it once.
func TestTwentyAtOnce(t *testing.T) {
	e := newEnv(t)
	e.hello()
	planner := roleTokens[configs.RolePlanner]
	answers := make([]answer, 40)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var headers []string
			if i%2 == 0 {
				headers = []string{"Idempotency-Key", "twenty"}
			}
			answers[i] = e.do("POST", batchPath, planner, "text/csv", goodCSV, headers...)
		}()
	}
	wg.Wait()
	// The keyed answers are all the first keyed one, each but that one replayed; with the
	// others, 3 orders are created in all.
	created, keyed, fresh := 0, -1, 0
	for i, a := range answers {
		if i%2 == 0 && a.header.Get("Idempotent-Replayed") != "true" {
			fresh++
		}
		if i%2 == 0 && string(a.body) != string(answers[0].body) {
			t.Errorf("answer %d with the key: %s, want the first keyed answer %s", i, a.body, answers[0].body)
		}
		var res network.ImportResult
		a.decode(t, 201, &res)
		if res.Created+res.Unchanged != 3 {
			t.Errorf("answer %d: %+v, want 3 orders created or unchanged", i, res)
		}
		switch {
		case i%2 == 1:
			created += res.Created
		case keyed == -1:
			keyed = res.Created
		case res.Created != keyed:
			t.Errorf("answer %d with the key created %d, the first with it %d", i, res.Created, keyed)
		}
	}
	if fresh != 1 {
		t.Errorf("%d answers with the key were not replayed, want the first only", fresh)
	}
	if created+keyed != 3 {
		t.Errorf("the answers created %d orders in all, want 3", created+keyed)
	}
	if n := len(e.orders(t, "")); n != 3 {
		t.Fatalf("the book holds %d orders after 40 imports of 3, want 3", n)
	}
	if n := e.route(); n != 3 {
		t.Fatalf("routed %d orders, want 3", n)
	}

	// N-3 is routed to madrid: move it to lisbon twenty times at once.
	moves := make([]answer, 20)
	for i := range moves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			moves[i] = e.do("POST", "/api/v1/network/orders/N-3/move", planner, "application/json", `{"site":"lisbon"}`)
		}()
	}
	wg.Wait()
	for i, a := range moves {
		var o network.Order
		a.decode(t, 200, &o)
		if o.Site != "lisbon" || o.Route != 2 {
			t.Errorf("move %d answered the order at %q on route %d, want lisbon on route 2", i, o.Site, o.Route)
		}
	}
	var view orderView
	e.do("GET", "/api/v1/network/orders/N-3", planner, "", "").decode(t, 200, &view)
	if len(view.Routes) != 2 || view.Routes[1].Site != "lisbon" {
		t.Errorf("N-3 has %d routes (%+v), want madrid then lisbon", len(view.Routes), view.Routes)
	}
	if n := len(e.links.sent("madrid", network.KindWithdraw)); n != 1 {
		t.Errorf("madrid was told %d times to give N-3 up, want once", n)
	}
	if n := len(e.links.sent("lisbon", network.KindRoute)); n < 1 {
		t.Errorf("lisbon was never sent N-3")
	}

	markGoneTwentyAtOnce(t, e)
}

// markGoneTwentyAtOnce marks lisbon, which holds every order, gone twenty times at once: one
// answer sends its three orders back to be routed, the others find nothing more to do, and
// lisbon is told once to give each up.
func markGoneTwentyAtOnce(t *testing.T, e *testEnv) {
	t.Helper()
	for _, o := range e.orders(t, "") {
		if o.Site != "lisbon" {
			t.Fatalf("order %s is at %q before lisbon is marked gone, want lisbon", o.OrderID, o.Site)
		}
	}
	gone := make([]answer, 20)
	var wg sync.WaitGroup
	for i := range gone {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gone[i] = e.do("POST", "/api/v1/network/sites/lisbon/gone", roleTokens[configs.RoleAdmin], "", "")
		}()
	}
	wg.Wait()
	rerouted := 0
	for i, a := range gone {
		var g goneAnswer
		a.decode(t, 200, &g)
		if g.Site != "lisbon" || (g.Rerouted != 0 && g.Rerouted != 3) {
			t.Errorf("mark gone %d answered %+v, want lisbon with 3 or 0 rerouted", i, g)
		}
		rerouted += g.Rerouted
	}
	if rerouted != 3 {
		t.Errorf("the answers sent %d orders back in all, want 3", rerouted)
	}
	told := map[string]int{}
	for _, b := range e.links.sent("lisbon", network.KindWithdraw) {
		var w network.WithdrawOrders
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		for _, o := range w.Orders {
			told[o.OrderID]++
		}
	}
	for _, id := range []string{"N-1", "N-2", "N-3"} {
		if told[id] != 1 {
			t.Errorf("lisbon was told %d times to give %s up, want once", told[id], id)
		}
	}
	if got := e.orders(t, "state=waiting"); len(got) != 3 {
		t.Errorf("%d orders wait to be routed again, want 3", len(got))
	}
	var sites struct {
		Sites []SiteView `json:"sites"`
	}
	e.do("GET", "/api/v1/network/sites", roleTokens[configs.RoleManager], "", "").decode(t, 200, &sites)
	for _, s := range sites.Sites {
		if (s.ID == "lisbon") != s.Gone {
			t.Errorf("site %s: gone %v", s.ID, s.Gone)
		}
	}
}
