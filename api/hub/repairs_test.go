package hub

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

const repairsPath = "/api/v1/network/repairs"

// goodRepair is a repair of a rug near Braga; porto and lisbon repair rugs.
const goodRepair = `{"id":"NR-1","serial":"LIS-0042","kind":"rug","customer":"Ana Braga","contact":"ana@example.com",` +
	`"description":"a moth hole","lat":41.55,"lon":-8.42}`

// repairHello makes porto and lisbon say they repair rugs, madrid scarves.
func (e *testEnv) repairHello() {
	e.t.Helper()
	e.hello()
	for site, kinds := range map[string][]string{"porto": {"rug"}, "lisbon": {"rug"}, "madrid": {"scarf"}} {
		e.say(site, network.KindHello, network.Hello{Makes: map[string][]string{"winter": makes[site]}, Repairs: kinds, Cells: 2})
	}
}

// TestSubmitRepairAPI: a planner's or admin's request is stored once (201, then 200 for the
// same), other content under the id is a conflict, a bad field is named, and a manager or a
// caller without a token is refused.
func TestSubmitRepairAPI(t *testing.T) {
	e := newEnv(t)
	planner, admin, manager := roleTokens[configs.RolePlanner], roleTokens[configs.RoleAdmin], roleTokens[configs.RoleManager]
	var r network.Repair
	e.do("POST", repairsPath, planner, "application/json", goodRepair).decode(t, 201, &r)
	if r.ID != "NR-1" || r.State != network.Waiting || r.Kind != "rug" {
		t.Fatalf("stored %+v", r)
	}
	e.do("POST", repairsPath, admin, "application/json", goodRepair).decode(t, 200, &r)
	other := `{"id":"NR-1","serial":"LIS-0042","kind":"rug","customer":"Bo","lat":41.55,"lon":-8.42}`
	e.do("POST", repairsPath, planner, "application/json", other).refusal(t, 409, "repair_conflict")
	for _, tc := range []struct{ name, body, field string }{
		{"no kind", `{"id":"NR-2","serial":"S-1","customer":"Ana","lat":41,"lon":-8}`, "kind"},
		{"no serial nor item", `{"id":"NR-2","kind":"rug","customer":"Ana","lat":41,"lon":-8}`, "serial"},
		{"a latitude off the Earth", `{"id":"NR-2","serial":"S-1","kind":"rug","customer":"Ana","lat":95,"lon":-8}`, "lat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do("POST", repairsPath, planner, "application/json", tc.body)
			var b struct {
				Error struct{ Code, Field string } `json:"error"`
			}
			a.decode(t, 422, &b)
			if b.Error.Field != tc.field {
				t.Errorf("field %q, want %q: %s", b.Error.Field, tc.field, a.body)
			}
		})
	}
	e.do("POST", repairsPath, planner, "application/json", `{"id":"NR-3","colour":"red"}`).refusal(t, 400, "invalid_request")
	e.do("POST", repairsPath, manager, "application/json", goodRepair).refusal(t, 403, "forbidden")
	e.do("POST", repairsPath, "", "application/json", goodRepair).refusal(t, 401, "unauthorized")
	var page repairsPage
	e.do("GET", repairsPath, manager, "", "").decode(t, 200, &page)
	if len(page.Repairs) != 1 {
		t.Errorf("repairs listed: %+v", page)
	}
}

// TestRepairRoutesReadsAndMove: a repair routed is read with its route and ranking, listed by
// site, moved while not opened, refused a move once its site opened it, and shown on the
// dashboard by site.
func TestRepairRoutesReadsAndMove(t *testing.T) {
	e := newEnv(t)
	e.repairHello()
	planner := roleTokens[configs.RolePlanner]
	e.do("POST", repairsPath, planner, "application/json", goodRepair).decode(t, 201, nil)
	if n, err := e.hub.RouteWaitingRepairs(e.ctx); err != nil || n != 1 {
		t.Fatalf("routed %d, %v", n, err)
	}
	var v repairView
	e.do("GET", repairsPath+"/NR-1", planner, "", "").decode(t, 200, &v)
	if v.Repair.Site != "porto" || len(v.Routes) != 1 || v.Routes[0].Why == "" || len(v.Routes[0].Ranking) != 3 {
		t.Fatalf("NR-1: %+v", v)
	}
	e.do("GET", repairsPath+"/NR-9", planner, "", "").refusal(t, 404, "not_found")
	var page repairsPage
	e.do("GET", repairsPath+"?site=porto&state=routed", planner, "", "").decode(t, 200, &page)
	if len(page.Repairs) != 1 || page.Repairs[0].ID != "NR-1" {
		t.Errorf("porto's routed repairs: %+v", page)
	}
	e.do("GET", repairsPath+"?state=lost", planner, "", "").refusal(t, 400, "invalid_request")
	e.do("POST", repairsPath+"/NR-1/move", planner, "application/json", `{"site":"madrid"}`).refusal(t, 422, "cannot_repair")
	var moved network.Repair
	e.do("POST", repairsPath+"/NR-1/move", planner, "application/json", `{"site":"lisbon"}`).decode(t, 200, &moved)
	if moved.Site != "lisbon" || moved.Route != 2 {
		t.Fatalf("moved: %+v", moved)
	}
	ack, _ := json.Marshal(network.RepairAcks{Repairs: []network.RepairAck{{RepairID: "NR-1", Route: 2, Taken: true, SiteRepair: "R-000003"}}})
	if err := e.hub.Receive(e.ctx, "lisbon", network.KindRepairAck, ack); err != nil {
		t.Fatal(err)
	}
	e.do("POST", repairsPath+"/NR-1/move", planner, "application/json", `{"site":"porto"}`).refusal(t, 409, "repair_opened")

	doc := e.page(t, "/network", e.signIn(t, configs.RolePlanner), 200)
	rows := byAttr(doc, "data-repair", "NR-1")
	if len(rows) != 1 {
		t.Fatalf("the dashboard shows NR-1 in %d rows", len(rows))
	}
	got := text(rows[0])
	for _, want := range []string{"lisbon", "R-000003", "accepted"} {
		if !strings.Contains(got, want) {
			t.Errorf("the dashboard's row of NR-1 %q does not say %q", got, want)
		}
	}
}
