package hub

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

func TestSites(t *testing.T) {
	e := newEnv(t)
	e.hello("madrid")
	e.importGood()
	e.route()
	e.clock.Advance(100 * time.Second) // past online_within for lisbon
	e.say("porto", network.KindStatus, network.Status{Load: network.Load{Hours: 9, Cells: 3, OpenWorkOrders: 4}})
	e.clock.Advance(7 * time.Second)

	var got struct{ Sites []SiteView }
	e.do("GET", "/api/v1/network/sites", roleTokens[configs.RoleManager], "", "").decode(t, 200, &got)
	byID := map[string]SiteView{}
	for _, s := range got.Sites {
		byID[s.ID] = s
	}
	if len(byID) != 3 {
		t.Fatalf("sites: %+v", got.Sites)
	}
	porto, lisbon, madrid := byID["porto"], byID["lisbon"], byID["madrid"]
	if !porto.Online || porto.LastWordAgeS == nil || *porto.LastWordAgeS != 7 || porto.Condition() != "online" {
		t.Errorf("porto: %+v, want online with its last word 7 s old", porto)
	}
	if porto.Load.OpenWorkOrders != 4 || porto.LoadPerCell != 3 || porto.Name != "Porto loom studio" || porto.Location.Lat != 41.15 {
		t.Errorf("porto's load, name or place: %+v", porto)
	}
	if len(porto.Makes["winter"]) != 2 {
		t.Errorf("porto makes %v", porto.Makes)
	}
	if lisbon.Online || lisbon.LastWordAgeS == nil || *lisbon.LastWordAgeS != 107 || lisbon.Condition() != "cut off" {
		t.Errorf("lisbon: %+v, want cut off, its last word 107 s old", lisbon)
	}
	if madrid.Online || madrid.LastWordAgeS != nil || madrid.Condition() != "never heard from" {
		t.Errorf("madrid: %+v, want never heard from", madrid)
	}
	// Madrid was never heard from: N-3 (in Madrid) went to porto, the nearer of the others.
	if porto.Orders[network.Routed] != 1 || lisbon.Orders[network.Routed] != 2 || len(madrid.Orders) != 0 {
		t.Errorf("orders: porto %v, lisbon %v, madrid %v; want 1, 2 and none routed", porto.Orders, lisbon.Orders, madrid.Orders)
	}
	routedAt := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if p := porto.Promises; p.Orders != 1 || p.Late != 0 || !p.Last.Equal(routedAt.Add(48*time.Hour)) {
		t.Errorf("porto's promises: %+v", p)
	}
	if p := lisbon.Promises; p.Orders != 2 || p.Late != 0 || !p.Last.Equal(routedAt.Add(24*time.Hour)) {
		t.Errorf("lisbon's promises: %+v", p)
	}
	e.do("GET", "/api/v1/network/sites", "", "", "").refusal(t, 401, "unauthorized")
}

func TestPromisesAdd(t *testing.T) {
	due := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		promises []time.Time
		want     Promises
	}{
		{"none", nil, Promises{}},
		{"no promise given", []time.Time{{}}, Promises{}},
		{"on time", []time.Time{due.Add(-time.Hour), due}, Promises{Orders: 2, Last: due}},
		{"one late", []time.Time{due.Add(time.Hour), due.Add(-time.Hour)}, Promises{Orders: 2, Late: 1, Last: due.Add(time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Promises
			for _, at := range tt.promises {
				p.add(network.Order{Due: due, Promise: at})
			}
			if p != tt.want {
				t.Errorf("%+v, want %+v", p, tt.want)
			}
		})
	}
}

func TestMarkGone(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	e.route()
	path := "/api/v1/network/sites/lisbon/gone"
	e.do("POST", path, roleTokens[configs.RolePlanner], "", "").refusal(t, 403, "forbidden")
	e.do("POST", path, roleTokens[configs.RoleManager], "", "").refusal(t, 403, "forbidden")
	e.do("POST", "/api/v1/network/sites/faro/gone", roleTokens[configs.RoleAdmin], "", "").refusal(t, 404, "not_found")
	var got goneAnswer
	e.do("POST", path, roleTokens[configs.RoleAdmin], "", "").decode(t, 200, &got)
	if got.Site != "lisbon" || got.Rerouted != 2 {
		t.Errorf("gone: %+v, want lisbon's 2 orders routed again", got)
	}
	if w := e.links.sent("lisbon", network.KindWithdraw); len(w) != 1 {
		t.Errorf("lisbon was sent %d withdrawals, want 1", len(w))
	}
	var sites struct{ Sites []SiteView }
	e.do("GET", "/api/v1/network/sites", roleTokens[configs.RoleManager], "", "").decode(t, 200, &sites)
	for _, s := range sites.Sites {
		if s.ID == "lisbon" && (!s.Gone || s.Condition() != "gone" || s.Orders[network.Routed] != 0) {
			t.Errorf("lisbon after gone: %+v", s)
		}
	}
}

func TestMoveOrder(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	e.route()
	planner := roleTokens[configs.RolePlanner]
	move := func(id, body, token string) answer {
		return e.do("POST", "/api/v1/network/orders/"+id+"/move", token, "application/json", body)
	}
	var o network.Order
	move("N-1", `{"site":"porto"}`, planner).decode(t, 200, &o)
	if o.Site != "porto" || o.State != network.Routed || o.Route != 2 {
		t.Fatalf("moved: %+v", o)
	}
	var view orderView
	e.do("GET", "/api/v1/network/orders/N-1", planner, "", "").decode(t, 200, &view)
	if len(view.Routes) != 2 || view.Routes[0].EndCause == "" || view.Routes[1].Cause != "moved by planner-bot" {
		t.Errorf("N-1's routes after the move: %+v", view.Routes)
	}
	if len(e.links.sent("porto", network.KindRoute)) == 0 || len(e.links.sent("lisbon", network.KindWithdraw)) != 1 {
		t.Errorf("the move sent no route to porto or no withdrawal to lisbon")
	}

	// N-3 starts at madrid.
	e.say("madrid", network.KindAck, network.Acks{Orders: []network.Ack{{OrderID: "N-3", Route: 1, Taken: true}}})
	e.say("madrid", network.KindProgress, network.Progresses{Orders: []network.Progress{
		{OrderID: "N-3", Route: 1, State: network.Started, Made: 0, Version: 5, At: e.clock.Now()}}})
	if _, err := e.hub.MarkGone(e.ctx, "lisbon", "test"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, body, token string
		status                int
		code                  string
	}{
		{"a manager", "N-2", `{"site":"porto"}`, roleTokens[configs.RoleManager], 403, "forbidden"},
		{"no token", "N-2", `{"site":"porto"}`, "", 401, "unauthorized"},
		{"started", "N-3", `{"site":"porto"}`, planner, 409, "started"},
		{"unknown order", "N-9", `{"site":"porto"}`, planner, 404, "not_found"},
		{"unknown site", "N-2", `{"site":"faro"}`, planner, 404, "not_found"},
		{"a site gone", "N-2", `{"site":"lisbon"}`, planner, 422, "site_gone"},
		{"a site that does not make the SKU", "N-2", `{"site":"madrid"}`, planner, 422, "cannot_make"},
		{"no site", "N-2", `{}`, planner, 400, "invalid_request"},
		{"not JSON", "N-2", `site=porto`, planner, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := move(tt.id, tt.body, tt.token).refusal(t, tt.status, tt.code)
			if tt.status != 401 && tt.status != 403 && b.Error.Message == "" {
				t.Error("no message")
			}
		})
	}
	e.do("GET", "/api/v1/network/orders/N-3", planner, "", "").decode(t, 200, &view)
	if view.Order.Site != "madrid" || view.Order.State != network.Started {
		t.Errorf("N-3 after the refused move: %+v", view.Order)
	}
}

func TestDrops(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	e.do("POST", batchPath, roleTokens[configs.RoleAdmin], "text/csv", "order_id,sku,quantity,lat,lon\nW-1,SCARF,5,0,0\n").decode(t, 201, nil)
	e.hub.MarkGone(e.ctx, "porto", "test")
	e.hub.MarkGone(e.ctx, "lisbon", "test")
	e.route() // madrid takes the rugs; the scarves wait
	e.say("madrid", network.KindProgress, network.Progresses{Orders: []network.Progress{
		{OrderID: "N-3", Route: 1, State: network.Done, Made: 1, Good: 1, Version: 9, At: e.clock.Now()}}})

	var got struct{ Drops []DropView }
	e.do("GET", "/api/v1/network/drops", roleTokens[configs.RoleManager], "", "").decode(t, 200, &got)
	if len(got.Drops) != 1 {
		t.Fatalf("drops: %+v", got.Drops)
	}
	d := got.Drops[0]
	if d.Drop != "winter" || d.Orders != 4 || d.Units != 9 || d.Made != 1 || d.Good != 1 {
		t.Errorf("winter: %+v", d.Progress)
	}
	if len(d.Sites) != 2 || d.Sites[0].Site != "" || d.Sites[1].Site != "madrid" {
		t.Fatalf("winter's sites: %+v", d.Sites)
	}
	if w := d.Sites[0]; w.Orders != 2 || w.Units != 6 || w.ByState[network.Waiting] != 2 {
		t.Errorf("waiting: %+v", w)
	}
	if m := d.Sites[1]; m.Orders != 2 || m.ByState[network.Done] != 1 || m.ByState[network.Routed] != 1 || m.Made != 1 {
		t.Errorf("madrid: %+v", m)
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	a := e.do("GET", "/healthz", "", "", "")
	if a.status != http.StatusOK {
		t.Fatalf("healthz: %d %s", a.status, a.body)
	}
	e.store.Close()
	if a := e.do("GET", "/healthz", "", "", ""); a.status != http.StatusServiceUnavailable {
		t.Errorf("healthz with the store closed: %d %s", a.status, a.body)
	}
}

func TestDoor(t *testing.T) {
	e := newEnv(t)
	// A name the hub does not answer to (DNS rebinding) is refused before anything else.
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/network/sites", nil)
	req.Host = "evil.example"
	req.Header.Set("Authorization", "Bearer "+roleTokens[configs.RoleAdmin])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("Host evil.example: %d, want 421", resp.StatusCode)
	}

	// A batch past MaxBatchBytes is refused whole.
	h, err := New(Config{Hub: e.hub, Tokens: []configs.Token{{Name: "p", Role: configs.RolePlanner, Token: "small-planner-token-001"}}, MaxBatchBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h) // the first is closed by its own cleanup
	t.Cleanup(e.srv.Close)
	e.do("POST", batchPath, "small-planner-token-001", "text/csv", goodCSV).refusal(t, 413, "payload_too_large")
	if orders, _ := e.hub.Orders(e.ctx, network.OrderFilter{}); len(orders) != 0 {
		t.Errorf("a batch too large stored %d orders", len(orders))
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without the hub's rules: no error")
	}
}
