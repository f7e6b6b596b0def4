package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// newRepairServer serves testdata/repairs.yaml with its first plan made, and a finished scarf
// whose serial it returns.
func newRepairServer(t *testing.T) (*testServer, string) {
	t.Helper()
	ts := newTestServerOf(t, "testdata/repairs.yaml", nil)
	if r := ts.importCSV(t, "order_id,sku,quantity,customer\nS1,SCARF,1,Ana\n"); r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	var o struct {
		WorkOrder book.WorkOrder `json:"work_order"`
	}
	ts.do(t, "GET", "/api/v1/orders/S1", plannerToken, "", "").json(t, &o)
	for step := 0; step < 2; step++ {
		var d book.WorkOrderDetail
		ts.do(t, "GET", "/api/v1/work-orders/"+itoa(o.WorkOrder.ID), plannerToken, "", "").json(t, &d)
		op := d.Operations[step].ID
		for _, action := range []string{"start", "complete"} {
			if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/"+action, operatorToken, "application/json", "{}"); r.status != http.StatusOK {
				t.Fatalf("%s operation %d: %d %s", action, op, r.status, r.body)
			}
		}
	}
	units, err := ts.book.UnitsOfOrder(context.Background(), "S1")
	if err != nil || len(units) != 1 {
		t.Fatalf("units of S1: %v %v", units, err)
	}
	if err := ts.planner.Replan(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	return ts, units[0].Serial
}

// intake takes in a repair of serial at the counter.
func (ts *testServer) intake(t *testing.T, serial string) (book.Repair, string) {
	t.Helper()
	r := ts.do(t, "POST", "/api/v1/repairs", operatorToken, "application/json",
		`{"serial":"`+serial+`","customer":"Ana","contact":"ana@example.com","description":"a stain","checklist":{"stains":"yes"}}`)
	if r.status != http.StatusCreated {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	var got repairLinked
	r.json(t, &got)
	return got.Repair, got.Link
}

// diagnosisOp starts repair rep's diagnosis operation and returns it.
func (ts *testServer) diagnosisOp(t *testing.T, rep book.Repair) int64 {
	t.Helper()
	var d book.WorkOrderDetail
	ts.do(t, "GET", "/api/v1/work-orders/"+itoa(rep.DiagnosisWorkOrder), plannerToken, "", "").json(t, &d)
	op := d.Operations[0].ID
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/start", operatorToken, "application/json", "{}"); r.status != http.StatusOK {
		t.Fatalf("starting the diagnosis: %d %s", r.status, r.body)
	}
	return op
}

func (r response) errorField(t *testing.T) string {
	t.Helper()
	var e errorBody
	r.json(t, &e)
	return e.Error.Field
}

// TestRepairIntakeOverHTTP: a counter intake answers 201 with the repair received and its
// customer link, which opens it; bad input is 422 naming its field, an unknown serial 404, and
// neither stores a repair.
func TestRepairIntakeOverHTTP(t *testing.T) {
	ts, serial := newRepairServer(t)
	rep, link := ts.intake(t, serial)
	if rep.State != book.RepairReceived || rep.Serial != serial || rep.Kind != "textile" || rep.DiagnosisWorkOrder == 0 ||
		rep.Checklist["stains"] != "yes" || rep.Source != book.SourceCounter {
		t.Errorf("repair = %+v, want received, of %s, a textile, with its diagnosis work order", rep, serial)
	}
	if !strings.HasPrefix(link, "/r/") {
		t.Fatalf("link %q, want /r/{token}", link)
	}
	if got, err := ts.book.RepairByLink(context.Background(), strings.TrimPrefix(link, "/r/")); err != nil || got.ID != rep.ID {
		t.Errorf("the link opens %+v, %v; want %s", got, err, rep.ID)
	}
	var one book.Repair
	ts.do(t, "GET", "/api/v1/repairs/"+rep.ID, plannerToken, "", "").json(t, &one)
	if one.ID != rep.ID || strings.Contains(string(ts.do(t, "GET", "/api/v1/repairs/"+rep.ID, plannerToken, "", "").body), strings.TrimPrefix(link, "/r/")) {
		t.Errorf("GET the repair: %+v, or it tells the link", one)
	}

	tests := []struct {
		name, body string
		status     int
		field      string
	}{
		{name: "unknown serial", body: `{"serial":"NOPE-1","customer":"Ana"}`, status: http.StatusNotFound},
		{name: "no customer", body: `{"serial":"` + serial + `","customer":" "}`, status: http.StatusUnprocessableEntity, field: "customer"},
		{name: "unknown checklist item", body: `{"serial":"` + serial + `","customer":"Ana","checklist":{"fringe":"yes"}}`,
			status: http.StatusUnprocessableEntity, field: "checklist.fringe"},
		{name: "a box answered with text", body: `{"serial":"` + serial + `","customer":"Ana","checklist":{"stains":"lots"}}`,
			status: http.StatusUnprocessableEntity, field: "checklist.stains"},
		{name: "an item without its kind", body: `{"item":"an old ring","customer":"Ana"}`, status: http.StatusUnprocessableEntity, field: "kind"},
		{name: "a field the intake does not know", body: `{"serial":"` + serial + `","customer":"Ana","photos":[]}`, status: http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", "/api/v1/repairs", operatorToken, "application/json", tc.body)
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.field != "" {
				if got := r.errorField(t); got != tc.field || !strings.Contains(string(r.body), tc.field) {
					t.Errorf("field %q in %s, want %q named", got, r.body, tc.field)
				}
			}
		})
	}
	var list struct {
		Repairs []book.Repair `json:"repairs"`
	}
	ts.do(t, "GET", "/api/v1/repairs?serial="+serial, plannerToken, "", "").json(t, &list)
	if len(list.Repairs) != 1 || list.Repairs[0].ID != rep.ID {
		t.Errorf("repairs of %s = %+v, want only %s: a refused intake stores nothing", serial, list.Repairs, rep.ID)
	}
	// Pages by id: a second repair of the unit is on the next page.
	second, _ := ts.intake(t, serial)
	var page struct {
		Repairs []book.Repair `json:"repairs"`
		Next    string        `json:"next_after"`
	}
	ts.do(t, "GET", "/api/v1/repairs?state=received&limit=1", plannerToken, "", "").json(t, &page)
	if len(page.Repairs) != 1 || page.Repairs[0].ID != rep.ID || page.Next != rep.ID {
		t.Errorf("the first page = %+v", page)
	}
	ts.do(t, "GET", "/api/v1/repairs?state=received&limit=1&after="+page.Next, plannerToken, "", "").json(t, &page)
	if len(page.Repairs) != 1 || page.Repairs[0].ID != second.ID {
		t.Errorf("the second page = %+v, want %s", page, second.ID)
	}
	if r := ts.do(t, "GET", "/api/v1/repairs?after=nope", plannerToken, "", ""); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "after") {
		t.Errorf("after=nope: %d %s, want 400 naming after", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/repairs?state=lost", plannerToken, "", ""); r.status != http.StatusBadRequest {
		t.Errorf("state=lost: %d %s, want 400", r.status, r.body)
	}
}

// TestRepairStatesOverHTTP: receiving a repair received at the counter, and returning one
// being diagnosed, are refused with 409 and change nothing; a new link replaces the old one.
func TestRepairStatesOverHTTP(t *testing.T) {
	ts, serial := newRepairServer(t)
	rep, link := ts.intake(t, serial)
	for _, action := range []string{"receive", "return"} {
		t.Run(action, func(t *testing.T) {
			r := ts.do(t, "POST", "/api/v1/repairs/"+rep.ID+"/"+action, operatorToken, "application/json", "")
			if r.status != http.StatusConflict || r.errorCode(t) != codeIllegal || !strings.Contains(string(r.body), "received") {
				t.Errorf("%s: %d %s, want 409 saying it is received", action, r.status, r.body)
			}
		})
	}
	if r := ts.do(t, "POST", "/api/v1/repairs/R-999999/receive", operatorToken, "application/json", ""); r.status != http.StatusNotFound {
		t.Errorf("receiving an unknown repair: %d %s, want 404", r.status, r.body)
	}
	r := ts.do(t, "POST", "/api/v1/repairs/"+rep.ID+"/link", operatorToken, "application/json", "")
	var fresh struct {
		Link string `json:"link"`
	}
	r.json(t, &fresh)
	if r.status != http.StatusCreated || !strings.HasPrefix(fresh.Link, "/r/") || fresh.Link == link {
		t.Fatalf("new link: %d %s", r.status, r.body)
	}
	if _, err := ts.book.RepairByLink(context.Background(), strings.TrimPrefix(link, "/r/")); err == nil {
		t.Error("the old link still opens the repair")
	}
}

// TestRepairEstimateAndDiagnosisOverHTTP: the estimate preview prices the services with the
// planner's dates and stores nothing; a diagnosis retried with its Idempotency-Key estimates
// once, and another diagnosis is refused with 409.
func TestRepairEstimateAndDiagnosisOverHTTP(t *testing.T) {
	ts, serial := newRepairServer(t)
	rep, _ := ts.intake(t, serial)
	op := ts.diagnosisOp(t, rep)

	r := ts.do(t, "GET", "/api/v1/repairs/"+rep.ID+"/estimate?services=mend,clean", operatorToken, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("estimate: %d %s", r.status, r.body)
	}
	var e book.Estimate
	r.json(t, &e)
	// mend: 20 + 1h at 30 = 50.00; clean: 10 + 1.50 + 30m at 30 = 26.50.
	if len(e.Lines) != 2 || e.Lines[0].Service != "mend" || e.Lines[1].Service != "clean" || e.Subtotal != 7650 ||
		e.Standard.IsZero() || e.Currency != "EUR" {
		t.Errorf("estimate = %+v, want mend then clean, 76.50 EUR, with a standard date", e)
	}
	if e.Express != nil && (e.ExpressTotal != 7650+1913 || !e.Express.Before(e.Standard)) {
		t.Errorf("express %v at %d, want before %v at 95.63", e.Express, e.ExpressTotal, e.Standard)
	}
	for _, tc := range []struct {
		query  string
		status int
		field  string
	}{
		{query: "services=mend,mend", status: http.StatusUnprocessableEntity, field: "services[1]"},
		{query: "services=polish", status: http.StatusUnprocessableEntity, field: "services[0]"},
		{query: "services=", status: http.StatusUnprocessableEntity, field: "services"},
	} {
		r := ts.do(t, "GET", "/api/v1/repairs/"+rep.ID+"/estimate?"+tc.query, operatorToken, "", "")
		if r.status != tc.status || r.errorField(t) != tc.field {
			t.Errorf("%s: %d %s, want %d naming %s", tc.query, r.status, r.body, tc.status, tc.field)
		}
	}
	var still book.Repair
	ts.do(t, "GET", "/api/v1/repairs/"+rep.ID, plannerToken, "", "").json(t, &still)
	if still.State != book.RepairReceived || still.Estimate != nil {
		t.Fatalf("after the previews the repair is %s with estimate %+v: a preview stores nothing", still.State, still.Estimate)
	}

	body := `{"operation":` + itoa(op) + `,"findings":"a wine stain, a torn hem","services":["mend","clean"]}`
	var first book.Repair
	for i := range 2 {
		r := ts.do(t, "POST", "/api/v1/repairs/"+rep.ID+"/diagnosis", operatorToken, "application/json", body, "Idempotency-Key", "dlg-1")
		if r.status != http.StatusCreated {
			t.Fatalf("diagnosis %d: %d %s", i+1, r.status, r.body)
		}
		var got book.Repair
		r.json(t, &got)
		if got.State != book.RepairEstimated || got.Estimate == nil || strings.Join(got.Diagnosis.Services, ",") != "mend,clean" {
			t.Fatalf("diagnosis %d: %+v", i+1, got)
		}
		if i == 0 {
			first = got
		} else if r.header.Get("Idempotent-Replayed") != "true" || !got.Estimate.At.Equal(first.Estimate.At) {
			t.Errorf("the retry: replayed %q, estimate at %v, want the first answer (%v)", r.header.Get("Idempotent-Replayed"),
				got.Estimate.At, first.Estimate.At)
		}
	}
	events, err := ts.book.Events(context.Background(), book.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range events {
		if ev.Kind == book.EventRepairEstimated {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d repair.estimated events, want 1", n)
	}
	r = ts.do(t, "POST", "/api/v1/repairs/"+rep.ID+"/diagnosis", operatorToken, "application/json", body, "Idempotency-Key", "dlg-2")
	if r.status != http.StatusConflict || !strings.Contains(string(r.body), "estimated") {
		t.Errorf("a second diagnosis: %d %s, want 409 saying it is estimated", r.status, r.body)
	}
	if r := ts.do(t, "GET", "/api/v1/repairs/"+rep.ID+"/estimate?services=clean", operatorToken, "", ""); r.status != http.StatusConflict {
		t.Errorf("a preview of an estimated repair: %d %s, want 409", r.status, r.body)
	}
}

// TestCarePlansOverHTTP: a manager sells a care plan to a unit, which then covers its
// service; a plan the studio does not sell is 422 naming the plan, and operators may not sell.
func TestCarePlansOverHTTP(t *testing.T) {
	ts, serial := newRepairServer(t)
	tests := []struct {
		name, token, body string
		status            int
		field             string
	}{
		{name: "a plan the studio does not sell", token: managerToken, body: `{"plan":"care-forever","serial":"` + serial + `"}`,
			status: http.StatusUnprocessableEntity, field: "plan"},
		{name: "both a unit and a customer", token: managerToken, body: `{"plan":"care-year","serial":"` + serial + `","customer":"Ana"}`,
			status: http.StatusUnprocessableEntity, field: "customer"},
		{name: "an unknown unit", token: managerToken, body: `{"plan":"care-year","serial":"NOPE-1"}`, status: http.StatusNotFound},
		{name: "an operator", token: operatorToken, body: `{"plan":"care-year","serial":"` + serial + `"}`, status: http.StatusForbidden},
		{name: "sold", token: managerToken, body: `{"plan":"care-year","serial":"` + serial + `"}`, status: http.StatusCreated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", "/api/v1/care-plans", tc.token, "application/json", tc.body)
			if r.status != tc.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.field != "" && r.errorField(t) != tc.field {
				t.Errorf("%s names field %q, want %q", r.body, r.errorField(t), tc.field)
			}
		})
	}
	var got struct {
		CarePlans []book.CarePlanStanding `json:"care_plans"`
	}
	ts.do(t, "GET", "/api/v1/care-plans?serial="+serial, operatorToken, "", "").json(t, &got)
	if len(got.CarePlans) != 1 || !got.CarePlans[0].Active || got.CarePlans[0].Left["clean"] != 1 {
		t.Fatalf("care plans of %s = %+v, want one active covering a clean", serial, got.CarePlans)
	}
	rep, _ := ts.intake(t, serial)
	ts.diagnosisOp(t, rep)
	var e book.Estimate
	ts.do(t, "GET", "/api/v1/repairs/"+rep.ID+"/estimate?services=clean", operatorToken, "", "").json(t, &e)
	if len(e.Lines) != 1 || e.Lines[0].CoveredBy == nil || e.Subtotal != 0 {
		b, _ := json.Marshal(e)
		t.Errorf("estimate %s, want the clean covered by the plan", b)
	}
}
