package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

// TestSerialTakenIsAConflict: a completion whose units would take another unit's serial is
// refused with 409 serial_taken, naming the units and what to change, and changes nothing.
func TestSerialTakenIsAConflict(t *testing.T) {
	ts := newTestServer(t)
	b := ts.firstOp(t, "B")
	a := ts.firstOp(t, "A")
	// Fault injection: B's first unit holds the serial A's first unit is to get, as a pattern
	// that cannot tell orders apart would make it.
	op, err := ts.book.Operation(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.store.Write(context.Background(), func(tx book.Tx) error {
		return tx.InsertUnits([]book.Unit{{WorkOrder: op.WorkOrder, Number: 1, OrderUnit: 1, Serial: "A-1", Seq: 1, CreatedAt: time.Now()}})
	}); err != nil {
		t.Fatal(err)
	}
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(a)+"/start", operatorToken, "application/json", "{}"); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	r := ts.do(t, "POST", "/api/v1/operations/"+itoa(a)+"/complete", operatorToken, "application/json", "{}")
	if r.status != http.StatusConflict || r.errorCode(t) != codeSerialTaken ||
		!strings.Contains(string(r.body), `serial \"A-1\" is unit 1 of work order`) || !strings.Contains(string(r.body), "provenance.serial") {
		t.Errorf("complete = %d %s, want 409 serial_taken naming the serial and the pattern", r.status, r.body)
	}
	if got, _ := ts.book.Operation(context.Background(), a); got.State != book.Running {
		t.Errorf("the refused completion left the operation %s", got.State)
	}
}

// TestUnitGenealogy: any role reads a unit's genealogy, with its customer, the lots of its
// steps and who acted; an unknown serial is 404, a serial with a control character 400, and a
// hostile serial or customer name comes back escaped as JSON text.
func TestUnitGenealogy(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.importCSV(t, "order_id,sku,quantity,customer\n<o>,SCARF,1,<script>alert(1)</script> Quist\n"); r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	var got struct {
		WorkOrder book.WorkOrder `json:"work_order"`
	}
	ts.do(t, "GET", "/api/v1/orders/%3Co%3E", plannerToken, "", "").json(t, &got)
	var d book.WorkOrderDetail
	ts.do(t, "GET", "/api/v1/work-orders/"+itoa(got.WorkOrder.ID), plannerToken, "", "").json(t, &d)
	op := "/api/v1/operations/" + itoa(d.Operations[0].ID)
	if r := ts.do(t, "POST", op+"/start", operatorToken, "application/json", `{"lots": {"warp": "W<1>"}}`); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", op+"/complete", operatorToken, "", ""); r.status != http.StatusOK {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	for _, token := range []string{operatorToken, plannerToken, managerToken} {
		r := ts.do(t, "GET", "/api/v1/units/%3Co%3E-1", token, "", "")
		var g UnitGenealogy
		r.json(t, &g)
		if r.status != http.StatusOK || g.Unit.Serial != "<o>-1" || g.State != book.UnitLive || g.Order.Customer != "<script>alert(1)</script> Quist" ||
			len(g.Steps) != 1 || len(g.Steps[0].Lots) != 1 || g.Steps[0].Lots[0].Lot != "W<1>" || len(g.Steps[0].Acts) != 2 ||
			g.Certificate.Page != "/u/%3Co%3E-1" || g.Certificate.Revisions != 0 || g.Remakes == nil || g.Notes == nil {
			t.Errorf("genealogy: %d %s", r.status, r.body)
		}
		if strings.Contains(string(r.body), "<script>") {
			t.Errorf("the customer's name comes back unescaped: %s", r.body)
		}
	}
	for _, tc := range []struct {
		name, path string
		status     int
	}{
		{"unknown", "/api/v1/units/%3Co%3E-2", http.StatusNotFound},
		{"a hostile unknown serial", "/api/v1/units/%3Cimg%20src%3Dx%3E", http.StatusNotFound},
		{"a line break", "/api/v1/units/a%0Ab", http.StatusBadRequest},
		{"129 characters", "/api/v1/units/" + strings.Repeat("x", 129), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "GET", tc.path, managerToken, "", "")
			if r.status != tc.status || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || strings.Contains(string(r.body), "<img") {
				t.Errorf("%s: %d %s %s, want %d in JSON", tc.path, r.status, r.header.Get("Content-Type"), r.body, tc.status)
			}
		})
	}
	if r := ts.do(t, "GET", "/api/v1/units/%3Co%3E-1", "", "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("without credentials: %d", r.status)
	}
}
