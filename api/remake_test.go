package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// orderOverHTTP is the order view as a client decodes it.
type orderOverHTTP struct {
	book.OrderDetail
	WorkOrder book.WorkOrder `json:"work_order"`
}

// TestRemakeOverHTTP scraps a unit of an order and makes it again: the order view shows the
// shortfall and where the unit was lost, a manager's remake makes one work order however often
// it is sent, and the order view then lists both work orders.
func TestRemakeOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")
	manager := roleTokens[configs.RoleManager]
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/scrap", operatorToken, "application/json",
		`{"reason":"moth holes","quantity":1}`); r.status != http.StatusOK {
		t.Fatalf("scrap: %d %s", r.status, r.body)
	}
	var before orderOverHTTP
	ts.do(t, "GET", "/api/v1/orders/A", operatorToken, "", "").json(t, &before)
	s := before.Shortfall
	if before.State != book.OrderOpen || s.Ordered != 2 || s.Making != 1 || s.Short != 1 || s.Lost != 1 || len(before.WorkOrders) != 1 ||
		before.WorkOrder.ID != before.WorkOrders[0].ID {
		t.Fatalf("order A after a scrap: %+v", before)
	}
	if len(s.Losses) != 1 || s.Losses[0].Operation != op || s.Losses[0].Reason != "moth holes" || s.Losses[0].Cell != "weave-1" {
		t.Errorf("losses %+v, want 1 unit at operation %d at weave-1 for moth holes", s.Losses, op)
	}

	path := "/api/v1/orders/A/remake"
	if r := ts.do(t, "POST", path, operatorToken, "application/json", "{}"); r.status != http.StatusForbidden || r.errorCode(t) != codeForbidden {
		t.Errorf("an operator's remake: %d %s, want 403", r.status, r.body)
	}
	if r := ts.do(t, "POST", path, manager, "application/json", `{"quantity":3}`); r.status != http.StatusBadRequest || r.errorCode(t) != codeInvalid {
		t.Errorf("a remake with a quantity: %d %s, want 400", r.status, r.body)
	}
	if r := ts.do(t, "POST", "/api/v1/orders/Z/remake", manager, "", ""); r.status != http.StatusNotFound || r.errorCode(t) != codeNotFound {
		t.Errorf("a remake of an unknown order: %d %s, want 404", r.status, r.body)
	}
	first := ts.do(t, "POST", path, manager, "", "", "Idempotency-Key", "remake-A-1")
	again := ts.do(t, "POST", path, manager, "", "", "Idempotency-Key", "remake-A-1")
	if first.status != http.StatusCreated || again.status != http.StatusCreated || string(first.body) != string(again.body) ||
		again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a double tap: %d %s / %d %s (replayed %q)", first.status, first.body, again.status, again.body,
			again.header.Get("Idempotent-Replayed"))
	}
	var res book.RemakeResult
	first.json(t, &res)
	if res.WorkOrder.Quantity != 1 || res.WorkOrder.RemakeOf != before.WorkOrder.ID || len(res.Operations) != 2 ||
		res.Operations[0].State != book.Queued || res.Operations[0].Cell != "weave-1" || res.Order.Shortfall.Short != 0 {
		t.Errorf("remake %+v", res)
	}
	r := ts.do(t, "POST", path, manager, "", "")
	if r.status != http.StatusConflict || r.errorCode(t) != codeNotShort || !strings.Contains(string(r.body), `order \"A\" is not short`) {
		t.Errorf("a remake of an order no longer short: %d %s, want 409 not_short", r.status, r.body)
	}

	var after orderOverHTTP
	ts.do(t, "GET", "/api/v1/orders/A", plannerToken, "", "").json(t, &after)
	if len(after.WorkOrders) != 2 || after.WorkOrders[1].ID != res.WorkOrder.ID || after.WorkOrder.ID != res.WorkOrder.ID ||
		after.Shortfall.Remaking != 1 || after.Shortfall.Short != 0 || after.Shortfall.Making != 2 {
		t.Errorf("order A after its remake: %+v", after)
	}
	var events struct {
		Events []book.Event `json:"events"`
	}
	ts.do(t, "GET", "/api/v1/events?work_order="+itoa(res.WorkOrder.ID), plannerToken, "", "").json(t, &events)
	if len(events.Events) == 0 || events.Events[0].Kind != book.EventWorkOrderRemake || events.Events[0].Actor != "token:boss" {
		t.Errorf("the remake's events: %+v, want workorder.remake by token:boss first", events.Events)
	}
}

// TestRemakesAtOnceOverHTTP sends ten remakes of one shortfall at once, by a planner and a
// manager: one is made, the others are refused as not short.
func TestRemakesAtOnceOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	op := ts.firstOp(t, "A")
	if r := ts.do(t, "POST", "/api/v1/operations/"+itoa(op)+"/scrap", operatorToken, "", `{"reason":"moth holes"}`); r.status != http.StatusOK {
		t.Fatalf("scrap: %d %s", r.status, r.body)
	}
	const n = 10
	status := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			token := plannerToken
			if i%2 == 1 {
				token = roleTokens[configs.RoleManager]
			}
			status[i] = ts.do(t, "POST", "/api/v1/orders/A/remake", token, "", "").status
		}()
	}
	wg.Wait()
	created, refused := 0, 0
	for _, s := range status {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			refused++
		}
	}
	if created != 1 || refused != n-1 {
		t.Errorf("statuses %v: want one 201 and %d 409", status, n-1)
	}
	var after orderOverHTTP
	ts.do(t, "GET", "/api/v1/orders/A", plannerToken, "", "").json(t, &after)
	if len(after.WorkOrders) != 2 || after.WorkOrders[1].Quantity != 2 {
		t.Errorf("order A has work orders %+v, want its scrapped one and one remake of 2", after.WorkOrders)
	}
}
