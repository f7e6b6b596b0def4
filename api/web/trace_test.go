package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// TestTabletShowsAndRecordsLots: the tablet shows the lots of the job in hand (the yarn lot
// missing before it starts, the lot the bath made once it has), offers to record a missing
// lot while the job runs, and shows it once recorded.
func TestTabletShowsAndRecordsLots(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,customer\nw-1,SCARF,3,Zoë Quist\n")
	b := s.browser(t)
	b.signInPIN("dye-1", "ana", "1234")
	live := b.get("/tablet/dye-1/live")
	op := attr(t, live.body, "article", "data-op")
	if !strings.Contains(live.body, `<div data-material="yarn" class="missing"><dt>yarn</dt><dd>lot missing</dd></div>`) {
		t.Errorf("a queued dye job does not show its yarn lot missing:\n%s", live.body)
	}
	if strings.Contains(live.body, `data-action="lots"`) {
		t.Error("Record lots is offered on a job not started")
	}
	// Started as a machine starts it: no lots.
	if r := b.post("/api/v1/operations/"+op+"/start", `{}`, "k1", false); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	live = b.get("/tablet/dye-1/live")
	if !strings.Contains(live.body, `<div class="lot-made"><dt>Lot made</dt><dd class="code" data-lot>dye-`) {
		t.Errorf("the running bath does not show the lot it made:\n%s", live.body)
	}
	if !strings.Contains(live.body, `data-action="lots">Record lots…</button>`) {
		t.Errorf("Record lots is not offered on a running job with a lot missing:\n%s", live.body)
	}
	if r := b.post("/api/v1/operations/"+op+"/lots", `{"lots": {"yarn": "Y-<1>"}}`, "k2", false); r.status != http.StatusOK {
		t.Fatalf("record: %d %s", r.status, r.body)
	}
	live = b.get("/tablet/dye-1/live")
	if !strings.Contains(live.body, `<div data-material="yarn"><dt>yarn</dt><dd class="code" data-lot>Y-&lt;1&gt;</dd></div>`) || strings.Contains(live.body, `class="missing"`) {
		t.Errorf("the recorded lot is not shown, escaped, in place of the missing one:\n%s", live.body)
	}
}

// TestTracePage: planners, managers and admins find the work orders and customers of a lot on
// /manager/trace, with a link to its CSV; an operator may not; a lot no operation used says so.
func TestTracePage(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,customer\nw-1,SCARF,3,Zoë Quist\nw-2,SCARF,1,Bo\n")
	floor := s.browser(t)
	floor.signInPIN("dye-1", "ana", "1234")
	op := attr(t, floor.get("/tablet/dye-1/live").body, "article", "data-op")
	if r := floor.post("/api/v1/operations/"+op+"/start", `{"lots": {"yarn": "Y/7 A"}}`, "k1", false); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if r := floor.post("/api/v1/operations/"+op+"/complete", `{}`, "k2", false); r.status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	// w-1's three units are dyed; the third is lost at packing, the first two packed.
	d, err := s.book.WorkOrder(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	pack := d.Operations[1].ID
	packOp := strconv.FormatInt(pack, 10)
	for _, tr := range []book.TransitionRequest{{Action: book.ActionStart}, {Action: book.ActionScrap, Quantity: 1, Reason: "<uneven> dye"}} {
		tr.Operation, tr.Actor = pack, "person:ana"
		if _, err := s.book.Transition(context.Background(), tr); err != nil {
			t.Fatal(err)
		}
	}
	if r := floor.get("/manager/trace?lot=Y%2F7+A"); r.status != http.StatusForbidden {
		t.Errorf("an operator's trace page: %d, want 403", r.status)
	}
	manager := s.browser(t)
	manager.signIn("max", "loom-and-lantern")
	if r := manager.get("/manager"); !strings.Contains(r.body, `<a id="trace-link" href="/manager/trace">`) {
		t.Errorf("the dashboard does not link to the trace page")
	}
	r := manager.get("/manager/trace?lot=Y%2F7+A")
	if r.status != http.StatusOK {
		t.Fatalf("trace page: %d %s", r.status, r.body)
	}
	for _, want := range []string{
		`<tr data-work-order="1"><th scope="row" class="code">w-1</th><td>Zoë Quist</td><td>winter</td><td class="code">SCARF</td><td class="num">3</td><td class="num">1</td><td>open</td><td>consumed</td><td>yarn</td>`,
		`<td class="units"><details><summary>3 units</summary><ul class="serials"><li data-serial="w-1-1"><a class="code" href="/manager/units/w-1-1">w-1-1</a> live</li><li data-serial="w-1-2"><a class="code" href="/manager/units/w-1-2">w-1-2</a> live</li><li data-serial="w-1-3"><a class="code" href="/manager/units/w-1-3">w-1-3</a> scrapped at operation ` + packOp + `: &lt;uneven&gt; dye</li></ul></details></td></tr>`,
		`their <span id="trace-units">3</span> units carry the lot.`,
		`href="/api/v1/lots/Y%2F7%20A/trace?format=csv"`,
		`value="Y/7 A"`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the trace page lacks %s:\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, "w-2") {
		t.Errorf("the trace lists w-2, which never used the lot")
	}
	csv := manager.get("/api/v1/lots/Y%2F7%20A/trace?format=csv")
	if csv.status != http.StatusOK || csv.body != "lot,role,material,serial,unit state,order,customer,drop,sku,work order,work order state\n"+
		"Y/7 A,consumed,yarn,w-1-1,live,w-1,Zoë Quist,winter,SCARF,1,open\n"+
		"Y/7 A,consumed,yarn,w-1-2,live,w-1,Zoë Quist,winter,SCARF,1,open\n"+
		"Y/7 A,consumed,yarn,w-1-3,scrapped at operation "+packOp+": <uneven> dye,w-1,Zoë Quist,winter,SCARF,1,open\n" {
		t.Errorf("the CSV link: %d %q", csv.status, csv.body)
	}
	if r := manager.get("/manager/trace?lot=NOPE"); !strings.Contains(r.body, "No operation made or consumed lot NOPE.") {
		t.Errorf("an unknown lot's page does not say so:\n%s", r.body)
	}
	planner := s.browser(t)
	planner.signIn("pia", "weft-and-warp")
	if r := planner.get("/manager/trace?lot=Y%2F7+A"); r.status != http.StatusOK || !strings.Contains(r.body, "Zoë Quist") {
		t.Errorf("a planner's trace page: %d", r.status)
	}
}
