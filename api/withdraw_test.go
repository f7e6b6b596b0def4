package api

import (
	"net/http"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// withdrawnOverHTTP is the answer to a withdrawal as a client decodes it.
type withdrawnOverHTTP struct {
	Withdrawal book.Withdrawal  `json:"withdrawal"`
	Order      book.OrderDetail `json:"order"`
}

// TestWithdrawOverHTTP: a planner withdraws an order not started; the answer and the order
// view show it withdrawn, its operation leaves the cell's queue, a retry with the key gets
// the same answer, and a started order, an unknown one, a missing reason and an operator are
// refused.
func TestWithdrawOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")
	started := ts.firstOp(t, "B")
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(started)+"/start", operatorToken, "application/json", "{}"); r.status != http.StatusOK {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	if !queued(t, ts, "weave-1")[op] {
		t.Fatalf("weave-1's queue does not hold A's operation %d", op)
	}
	path := "/api/v1/orders/A/withdraw"
	body := `{"reason":"routed to porto"}`
	for _, tc := range []struct {
		name, path, token, body string
		status                  int
		code                    string
	}{
		{"an operator", path, operatorToken, body, http.StatusForbidden, codeForbidden},
		{"a manager", path, roleTokens[configs.RoleManager], body, http.StatusForbidden, codeForbidden},
		{"no reason", path, plannerToken, `{}`, http.StatusUnprocessableEntity, codeInvalid},
		{"an unknown field", path, plannerToken, `{"reason":"x","why":"y"}`, http.StatusBadRequest, codeInvalid},
		{"an unknown order", "/api/v1/orders/Z/withdraw", plannerToken, body, http.StatusNotFound, codeNotFound},
		{"a started order", "/api/v1/orders/B/withdraw", plannerToken, body, http.StatusConflict, codeStarted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.do(t, "POST", tc.path, tc.token, "application/json", tc.body)
			if r.status != tc.status || r.errorCode(t) != tc.code {
				t.Errorf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}

	first := ts.do(t, "POST", path, plannerToken, "application/json", body, "Idempotency-Key", "withdraw-A")
	again := ts.do(t, "POST", path, plannerToken, "application/json", body, "Idempotency-Key", "withdraw-A")
	if first.status != http.StatusOK || again.status != http.StatusOK || string(first.body) != string(again.body) ||
		again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a double tap: %d %s / %d %s (replayed %q)", first.status, first.body, again.status, again.body,
			again.header.Get("Idempotent-Replayed"))
	}
	if r := ts.do(t, "POST", path, plannerToken, "application/json", `{"reason":"other"}`, "Idempotency-Key", "withdraw-A"); r.status != http.StatusUnprocessableEntity || r.errorCode(t) != codeIdemMismatch {
		t.Errorf("the key with another body: %d %s, want 422 %s", r.status, r.body, codeIdemMismatch)
	}
	var res withdrawnOverHTTP
	first.json(t, &res)
	if res.Withdrawal.OrderID != "A" || res.Withdrawal.Reason != "routed to porto" || res.Withdrawal.Actor != "token:planner-bot" ||
		res.Order.State != book.OrderWithdrawn || len(res.Order.WorkOrders) != 1 || res.Order.WorkOrders[0].State != book.WorkWithdrawn {
		t.Errorf("withdrawal %+v", res)
	}
	var view orderOverHTTP
	ts.do(t, "GET", "/api/v1/orders/A", operatorToken, "", "").json(t, &view)
	if view.State != book.OrderWithdrawn || view.Order.Withdrawn == nil || view.Order.Withdrawn.Reason != "routed to porto" {
		t.Errorf("order A after its withdrawal: %+v", view)
	}
	if queued(t, ts, "weave-1")[op] {
		t.Errorf("weave-1's queue holds operation %d of the withdrawn order", op)
	}
	var wos struct {
		WorkOrders []book.WorkOrder `json:"work_orders"`
	}
	ts.do(t, "GET", "/api/v1/work-orders?state=withdrawn", operatorToken, "", "").json(t, &wos)
	if len(wos.WorkOrders) != 1 || wos.WorkOrders[0].OrderID != "A" {
		t.Errorf("withdrawn work orders: %+v, want A's", wos.WorkOrders)
	}
}

// queued returns the operations of a cell's queue as the API shows it.
func queued(t *testing.T, ts *testServer, cell string) map[int64]bool {
	t.Helper()
	var q struct {
		Queue []book.QueueEntry `json:"queue"`
	}
	ts.do(t, "GET", "/api/v1/cells/"+cell+"/queue", operatorToken, "", "").json(t, &q)
	out := make(map[int64]bool, len(q.Queue))
	for _, e := range q.Queue {
		out[e.ID] = true
	}
	return out
}
