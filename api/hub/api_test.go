package hub

import (
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/configs"
)

const batchPath = "/api/v1/network/drops/winter/orders"

func TestImportBatch(t *testing.T) {
	e := newEnv(t)
	planner, admin, manager := roleTokens[configs.RolePlanner], roleTokens[configs.RoleAdmin], roleTokens[configs.RoleManager]

	var res network.ImportResult
	e.do("POST", batchPath, planner, "text/csv", goodCSV, "Idempotency-Key", "k-1").decode(t, 201, &res)
	if res.Drop != "winter" || res.Rows != 3 || res.Created != 3 || res.Unchanged != 0 || res.Batch == "" {
		t.Fatalf("import: %+v", res)
	}
	var again network.ImportResult
	e.do("POST", batchPath, planner, "text/csv", goodCSV, "Idempotency-Key", "k-1").decode(t, 201, &again)
	if again != res {
		t.Errorf("the same batch with the same key: %+v, want the first answer %+v", again, res)
	}
	e.do("POST", batchPath, planner, "text/csv", goodCSV+"N-4,RUG,1,Zé,2026-12-12,40,-3\n", "Idempotency-Key", "k-1").
		refusal(t, 422, "idempotency_key_reused")
	// Without a key, the same rows change nothing.
	e.do("POST", batchPath, admin, "text/csv", goodCSV).decode(t, 201, &again)
	if again.Created != 0 || again.Unchanged != 3 {
		t.Errorf("the same batch again: %+v, want 3 unchanged", again)
	}
	jsonBatch := `[{"order_id":"J-1","sku":"SCARF","quantity":3,"customer":"Jo","lat":38.7,"lon":-9.1}]`
	e.do("POST", batchPath, admin, "application/json", jsonBatch).decode(t, 201, &res)
	if res.Created != 1 {
		t.Errorf("JSON batch: %+v", res)
	}
	if n := len(e.orders(t, "")); n != 4 {
		t.Fatalf("the book holds %d orders, want 4", n)
	}

	tests := []struct {
		name, token, ctype, body, path string
		status                         int
		code                           string
	}{
		{name: "no token", ctype: "text/csv", body: goodCSV, status: 401, code: "unauthorized"},
		{name: "a token not of the file", token: "nope-0000000000000000", ctype: "text/csv", body: goodCSV, status: 401, code: "unauthorized"},
		{name: "a manager", token: manager, ctype: "text/csv", body: goodCSV, status: 403, code: "forbidden"},
		{name: "unknown drop", token: planner, ctype: "text/csv", body: goodCSV, path: "/api/v1/network/drops/spring/orders", status: 404, code: "not_found"},
		{name: "plain text", token: planner, ctype: "text/plain", body: goodCSV, status: 415, code: "unsupported_media_type"},
		{name: "no location columns", token: planner, ctype: "text/csv", body: "order_id,sku,quantity\nB-1,RUG,1\n", status: 422, code: "batch_rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = batchPath
			}
			e.do("POST", path, tt.token, tt.ctype, tt.body).refusal(t, tt.status, tt.code)
		})
	}
	if n := len(e.orders(t, "")); n != 4 {
		t.Errorf("after the refusals the book holds %d orders, want 4", n)
	}
}

func TestBatchRowErrors(t *testing.T) {
	e := newEnv(t)
	bad := "order_id,sku,quantity,customer,lat,lon\n" +
		"B-1,RUG,1,Ok,41,-8\n" +
		"B-2,RUG,1,Far,95,-8\n" + // latitude out of range
		"B-3,HAT,1,Hat,41,-8\n" + // a SKU the drop does not sell
		"B-4,RUG,1,No lon,41,\n" +
		"B-1,RUG,2,Twice,41,-8\n"
	b := e.do("POST", batchPath, roleTokens[configs.RoleAdmin], "text/csv", bad).refusal(t, 422, "batch_rejected")
	want := map[int]string{3: "lat", 4: "sku", 5: "lon", 6: "order_id"}
	got := map[int]string{}
	for _, r := range b.Error.Rows {
		got[r.Line] = r.Column
		if r.Reason == "" {
			t.Errorf("line %d: no reason", r.Line)
		}
	}
	for line, col := range want {
		if got[line] != col {
			t.Errorf("line %d: column %q, want %q (rows %+v)", line, got[line], col, b.Error.Rows)
		}
	}
	if b.Error.BadRows != 4 {
		t.Errorf("bad rows %d, want 4", b.Error.BadRows)
	}
	if n := len(e.orders(t, "")); n != 0 {
		t.Errorf("a refused batch stored %d orders", n)
	}
}

// orders lists the orders of a query through the API, every page.
func (e *testEnv) orders(t *testing.T, query string) []network.Order {
	t.Helper()
	var all []network.Order
	after := ""
	for {
		var page ordersPage
		q := "?limit=2&after=" + after
		if query != "" {
			q += "&" + query
		}
		e.do("GET", "/api/v1/network/orders"+q, roleTokens[configs.RoleManager], "", "").decode(t, 200, &page)
		all = append(all, page.Orders...)
		if page.Next == "" {
			return all
		}
		after = page.Next
	}
}

func TestOrdersAndRoutes(t *testing.T) {
	e := newEnv(t)
	e.hello()
	e.importGood()
	if n := e.route(); n != 3 {
		t.Fatalf("routed %d orders, want 3", n)
	}
	all := e.orders(t, "")
	if len(all) != 3 || all[0].OrderID != "N-1" || all[2].OrderID != "N-3" {
		t.Fatalf("orders: %+v", all)
	}
	// N-1 is due on the 2nd at noon: porto's promise (two days) is late, so the nearest of the
	// sites on time, lisbon, though Braga is next to porto. N-2 (Faro) is nearest lisbon, N-3
	// in Madrid: every site is on time for them.
	wantSite := map[string]string{"N-1": "lisbon", "N-2": "lisbon", "N-3": "madrid"}
	for _, o := range all {
		if o.Site != wantSite[o.OrderID] || o.State != network.Routed {
			t.Errorf("order %s: %s at %q, want routed at %q", o.OrderID, o.State, o.Site, wantSite[o.OrderID])
		}
	}
	if got := e.orders(t, "site=lisbon"); len(got) != 2 {
		t.Errorf("site=lisbon: %d orders, want 2", len(got))
	}
	if got := e.orders(t, "state=routed,done&drop=winter"); len(got) != 3 {
		t.Errorf("state=routed,done: %d orders, want 3", len(got))
	}
	if got := e.orders(t, "state=waiting"); len(got) != 0 {
		t.Errorf("state=waiting: %d orders, want none", len(got))
	}
	manager := roleTokens[configs.RoleManager]
	e.do("GET", "/api/v1/network/orders?state=lost", manager, "", "").refusal(t, 400, "invalid_request")
	e.do("GET", "/api/v1/network/orders?limit=0", manager, "", "").refusal(t, 400, "invalid_request")
	e.do("GET", "/api/v1/network/orders", "", "", "").refusal(t, 401, "unauthorized")

	var view orderView
	e.do("GET", "/api/v1/network/orders/N-3", manager, "", "").decode(t, 200, &view)
	if len(view.Routes) != 1 || view.Routes[0].Site != "madrid" || view.Routes[0].Why == "" || len(view.Routes[0].Ranking) != 3 {
		t.Fatalf("order N-3's routes: %+v", view.Routes)
	}
	if r := view.Routes[0].Ranking[0]; r.Site != "madrid" || r.Rank != 1 || !r.OnTime {
		t.Errorf("N-3's first choice: %+v", r)
	}
	e.do("GET", "/api/v1/network/orders/NOPE", manager, "", "").refusal(t, 404, "not_found")
}

func TestOrdersCSV(t *testing.T) {
	e := newEnv(t)
	e.hello()
	// More orders than a page of the CSV reads at a time.
	var b strings.Builder
	b.WriteString("order_id,sku,quantity,customer,lat,lon\n")
	const n = orderPage + 7
	for i := range n {
		b.WriteString(strings.Join([]string{"C-" + pad(i), "RUG", "1", "=cmd|x", "41", "-8"}, ",") + "\n")
	}
	e.do("POST", batchPath, roleTokens[configs.RolePlanner], "text/csv", b.String()).decode(t, 201, nil)
	for _, ask := range []struct{ query, accept string }{{"?format=csv", ""}, {"", "text/csv"}} {
		a := e.do("GET", "/api/v1/network/orders"+ask.query, roleTokens[configs.RoleManager], "", "", "Accept", ask.accept)
		if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV %q: %d %s", ask, a.status, a.header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(string(a.body))).ReadAll()
		if err != nil {
			t.Fatalf("the CSV does not parse: %v", err)
		}
		if len(rows) != n+1 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
			t.Fatalf("CSV: %d rows, header %v", len(rows), rows[0])
		}
		for i, r := range rows[1:] {
			if r[0] != "C-"+pad(i) || r[4] != "'=cmd|x" || r[7] != "41" || r[8] != "-8" || r[9] != "waiting" {
				t.Fatalf("CSV row %d: %v", i+1, r)
			}
		}
	}
	a := e.do("GET", "/api/v1/network/orders?format=csv&limit=5&state=waiting", roleTokens[configs.RoleManager], "", "")
	if rows, err := csv.NewReader(strings.NewReader(string(a.body))).ReadAll(); err != nil || len(rows) != 6 {
		t.Errorf("CSV with limit=5: %d rows, %v", len(rows), err)
	}
}

func pad(i int) string { return fmt.Sprintf("%05d", i) }
