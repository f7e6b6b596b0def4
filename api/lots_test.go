package api

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

const managerToken = "manager-token-0000000001"

// TestStartWithBadLotRefused: a start whose lot id holds a control character, or is too long,
// or names a material the step does not consume, is refused with 400 naming the field, and
// nothing is stored: the operation is still queued, without lots.
func TestStartWithBadLotRefused(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{name: "a tab", body: `{"lots": {"warp": "W-1", "yarn": "Y\t1"}}`, want: "lots.yarn: the lot id holds the control character U+0009"},
		{name: "a line feed", body: `{"lots": {"warp": "W-1\nX"}}`, want: "lots.warp: the lot id holds the control character U+000A"},
		{name: "NUL", body: `{"lots": {"warp": "W\u00001"}}`, want: "U+0000"},
		{name: "a zero-width space", body: `{"lots": {"warp": "W-\u200b1"}}`, want: "lots.warp: the lot id holds the control character U+200B"},
		{name: "a direction override", body: `{"lots": {"warp": "\u202eW-1"}}`, want: "U+202E"},
		{name: "too long", body: `{"lots": {"warp": "` + strings.Repeat("w", 65) + `"}}`, want: "lots.warp: the lot id is 65 characters long"},
		{name: "empty", body: `{"lots": {"warp": ""}}`, want: "lots.warp: the lot id is empty"},
		{name: "a trailing space", body: `{"lots": {"warp": "W-1 "}}`, want: "begins or ends with a space"},
		{name: "another material", body: `{"lots": {"warp": "W-1", "dye": "D-1"}}`, want: `lots.dye: step "weave" does not consume "dye"`},
		{name: "not a string", body: `{"lots": {"warp": 7}}`, want: `field "lots": want a string`},
	}
	ts := newTestServer(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := ts.firstOp(t, "L"+itoa(int64(i)))
			r := ts.do(t, "POST", "/api/v1/operations/"+itoa(id)+"/start", operatorToken, "application/json", tc.body)
			var e errorBody
			r.json(t, &e)
			if r.status != http.StatusBadRequest || e.Error.Code != codeInvalid || !strings.Contains(e.Error.Message, tc.want) {
				t.Fatalf("start: %d %s; want 400 naming %q", r.status, r.body, tc.want)
			}
			var op book.Operation
			ts.do(t, "GET", "/api/v1/operations/"+itoa(id), operatorToken, "", "").json(t, &op)
			if op.State != book.Queued {
				t.Errorf("after a refused start the operation is %s, want queued", op.State)
			}
			var lots book.OperationLots
			ts.do(t, "GET", "/api/v1/operations/"+itoa(id)+"/lots", operatorToken, "", "").json(t, &lots)
			if len(lots.Consumed) != 0 || !slices.Equal(lots.Missing, []string{"warp", "yarn"}) {
				t.Errorf("after a refused start the lots are %+v, want none", lots)
			}
		})
	}
}

// TestLotsAndTrace: a start gives one lot, a later request the other (with an
// Idempotency-Key), and the trace lists the work orders by lot, as JSON and as CSV, for the
// roles that may see customers.
func TestLotsAndTrace(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.importCSV(t, "order_id,sku,quantity,customer\nA,SCARF,2,=cmd|' /C calc'!A0\nB,SCARF,1,Bo\nC,SCARF,1,Cy\n"); r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	op := func(order string) string {
		var got struct {
			WorkOrder book.WorkOrder `json:"work_order"`
		}
		ts.do(t, "GET", "/api/v1/orders/"+order, plannerToken, "", "").json(t, &got)
		var d book.WorkOrderDetail
		ts.do(t, "GET", "/api/v1/work-orders/"+itoa(got.WorkOrder.ID), plannerToken, "", "").json(t, &d)
		return "/api/v1/operations/" + itoa(d.Operations[0].ID)
	}
	a, b := op("A"), op("B")
	if r := ts.do(t, "POST", a+"/start", operatorToken, "application/json", `{"lots": {"warp": "W/7"}}`); r.status != http.StatusOK {
		t.Fatalf("start A: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", a+"/complete", operatorToken, "", ""); r.status != http.StatusOK {
		t.Fatalf("complete A: %d %s", r.status, r.body)
	}
	if r := ts.do(t, "POST", b+"/lots", operatorToken, "application/json", `{"lots": {"warp": "W/7"}}`); r.status != http.StatusConflict {
		t.Errorf("lots of a queued operation: %d %s, want 409", r.status, r.body)
	}
	if r := ts.do(t, "POST", b+"/start", operatorToken, "", ""); r.status != http.StatusOK {
		t.Fatalf("start B: %d %s", r.status, r.body)
	}
	for i := range 2 { // the retry is answered the same, and said to be a replay
		r := ts.do(t, "POST", b+"/lots", operatorToken, "application/json", `{"lots": {"warp": "W/7", "yarn": "Y-1"}}`, "Idempotency-Key", "b-lots")
		var lots book.OperationLots
		r.json(t, &lots)
		if r.status != http.StatusOK || len(lots.Consumed) != 2 || len(lots.Missing) != 0 {
			t.Fatalf("record B's lots: %d %s", r.status, r.body)
		}
		if got, want := r.header.Get("Idempotent-Replayed"), map[int]string{0: "", 1: "true"}[i]; got != want {
			t.Errorf("request %d: Idempotent-Replayed %q, want %q", i+1, got, want)
		}
	}
	for _, tc := range []struct{ token string }{{plannerToken}, {managerToken}} {
		var tr book.LotTrace
		r := ts.do(t, "GET", "/api/v1/lots/W%2F7/trace", tc.token, "", "")
		r.json(t, &tr)
		if r.status != http.StatusOK || len(tr.WorkOrders) != 2 || tr.WorkOrders[0].OrderID != "A" || tr.WorkOrders[1].OrderID != "B" || tr.Made != nil {
			t.Errorf("trace of W/7: %d %s; want A and B", r.status, r.body)
		}
		if len(tr.WorkOrders) == 2 && (len(tr.WorkOrders[0].Units) != 2 || tr.WorkOrders[0].Units[1].Serial != "A-2" ||
			tr.WorkOrders[0].Units[1].State != book.UnitLive || tr.WorkOrders[1].Units == nil || len(tr.WorkOrders[1].Units) != 0) {
			t.Errorf("trace of W/7: the units %+v and %+v, want A-1 and A-2 live and none of B", tr.WorkOrders[0].Units, tr.WorkOrders[1].Units)
		}
	}
	if r := ts.do(t, "GET", "/api/v1/lots/W%2F7/trace", operatorToken, "", ""); r.status != http.StatusForbidden {
		t.Errorf("an operator's trace: %d, want 403", r.status)
	}
	if r := ts.do(t, "GET", "/api/v1/lots/nothing/trace", managerToken, "", ""); r.status != http.StatusNotFound {
		t.Errorf("trace of an unknown lot: %d %s, want 404", r.status, r.body)
	}
	for _, ask := range []struct{ query, accept string }{{"?format=csv", ""}, {"", "text/csv"}} {
		r := ts.do(t, "GET", "/api/v1/lots/W%2F7/trace"+ask.query, managerToken, "", "", "Accept", ask.accept)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV trace: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 {
			t.Fatalf("CSV trace = %q, want a header and 3 rows", rows)
		}
		want := [][]string{TraceCSVHeader,
			{"W/7", "consumed", "warp", "A-1", "live", "A", "'=cmd|' /C calc'!A0", "winter", "SCARF", rows[1][9], "open"},
			{"W/7", "consumed", "warp", "A-2", "live", "A", "'=cmd|' /C calc'!A0", "winter", "SCARF", rows[1][9], "open"},
			{"W/7", "consumed", "warp", "", "", "B", "Bo", "winter", "SCARF", rows[3][9], "open"}}
		for i := range want {
			if !slices.Equal(rows[i], want[i]) {
				t.Errorf("CSV trace row %d = %q, want %q", i, rows[i], want[i])
			}
		}
	}
}

// TestUnitStateText: a trace's CSV says a unit's state in a word, and where and why for a
// scrapped one.
func TestUnitStateText(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state book.UnitState
		scrap *book.UnitScrap
		want  string
	}{
		{"live", book.UnitLive, nil, "live"},
		{"finished", book.UnitFinished, nil, "finished"},
		{"scrapped with a reason", book.UnitScrapped, &book.UnitScrap{Operation: 12, Reason: "broken warp"}, "scrapped at operation 12: broken warp"},
		{"scrapped without", book.UnitScrapped, &book.UnitScrap{Operation: 3}, "scrapped at operation 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := UnitStateText(tc.state, tc.scrap); got != tc.want {
				t.Errorf("UnitStateText = %q, want %q", got, tc.want)
			}
		})
	}
}
