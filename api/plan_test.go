package api

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/cells/planner"
)

func TestPlanOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	if r := ts.do(t, "GET", "/api/v1/plan", plannerToken, "", ""); r.status != http.StatusServiceUnavailable || r.errorCode(t) != codePlanning {
		t.Errorf("plan before the first: %d %s, want 503 planning", r.status, r.body)
	}
	if r := ts.importCSV(t, "order_id,sku,quantity\nP1,SCARF,2\nP2,SCARF,1\n"); r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	if err := ts.planner.Replan(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	var pl struct {
		Drops []planner.DropForecast `json:"drops"`
		Late  int                    `json:"late_work_orders"`
	}
	ts.do(t, "GET", "/api/v1/plan", plannerToken, "", "").json(t, &pl)
	if len(pl.Drops) != 1 || pl.Drops[0].Drop != "winter" || !pl.Drops[0].OnTime || pl.Drops[0].Open != 2 || pl.Drops[0].Completion.IsZero() {
		t.Errorf("plan drops = %+v, want winter on time with 2 open and a predicted completion", pl.Drops)
	}
	var ops struct {
		Operations []planner.OperationSlot `json:"operations"`
	}
	ts.do(t, "GET", "/api/v1/plan/operations?cell=weave-1", plannerToken, "", "").json(t, &ops)
	if len(ops.Operations) != 2 {
		t.Fatalf("weave-1 slots = %+v, want the two weaving operations", ops.Operations)
	}
	for _, s := range ops.Operations {
		if s.Cell != "weave-1" || !s.End.After(s.Start) {
			t.Errorf("slot %+v", s)
		}
	}
	// Every operation of a work order shows its planned start and end.
	var d book.WorkOrderDetail
	ts.do(t, "GET", "/api/v1/work-orders/1", plannerToken, "", "").json(t, &d)
	for _, op := range d.Operations {
		if op.Plan == nil || op.Plan.Start.IsZero() || op.Plan.End.IsZero() {
			t.Errorf("operation %d (%s) without a planned slot: %+v", op.ID, op.State, op.Plan)
		}
	}
	var f planner.DropForecast
	ts.do(t, "GET", "/api/v1/drops/winter/forecast", plannerToken, "", "").json(t, &f)
	if !f.OnTime || f.Open != 2 {
		t.Errorf("winter forecast = %+v", f)
	}
	for path, want := range map[string]int{
		"/api/v1/plan/operations?cell=nope": http.StatusNotFound,
		"/api/v1/drops/nope/forecast":       http.StatusNotFound,
	} {
		if r := ts.do(t, "GET", path, plannerToken, "", ""); r.status != want {
			t.Errorf("GET %s: %d, want %d", path, r.status, want)
		}
	}
}

// TestWhileTheFirstPlanIsMade: until the first plan is made, what needs it answers 503 planning
// with a Retry-After, and a cell's queue answers at once in the book's own order, saying that
// the plan is being made. A daemon that does not plan answers 404 no_plan, and its queues are
// never waiting for a plan.
func TestWhileTheFirstPlanIsMade(t *testing.T) {
	needPlan := []struct {
		name, method, path, token, body string
	}{
		{name: "plan", method: "GET", path: "/api/v1/plan", token: plannerToken},
		{name: "planned operations", method: "GET", path: "/api/v1/plan/operations?cell=weave-1", token: plannerToken},
		{name: "forecast", method: "GET", path: "/api/v1/drops/winter/forecast", token: plannerToken},
		{name: "promise", method: "POST", path: "/api/v1/drops/winter/promise", token: plannerToken, body: "order_id,sku,quantity\nQ1,SCARF,3\n"},
	}
	check := func(t *testing.T, ts *testServer, status int, code string, planning bool) {
		t.Helper()
		for _, tt := range needPlan {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.do(t, tt.method, tt.path, tt.token, "text/csv", tt.body)
				if r.status != status {
					t.Fatalf("%d %s, want %d", r.status, r.body, status)
				}
				if code != "" {
					if got := r.errorCode(t); got != code {
						t.Errorf("code %q, want %q", got, code)
					}
				}
				if retry := r.header.Get("Retry-After"); (code == codePlanning) != (retry != "") {
					t.Errorf("Retry-After %q with code %q", retry, code)
				} else if n, err := strconv.Atoi(retry); retry != "" && (err != nil || n < 1) {
					t.Errorf("Retry-After %q: want whole seconds", retry)
				}
			})
		}
		var q struct {
			Queue    []book.QueueEntry `json:"queue"`
			Planning *bool             `json:"planning"`
		}
		r := ts.do(t, "GET", "/api/v1/cells/weave-1/queue", plannerToken, "", "")
		if r.status != http.StatusOK {
			t.Fatalf("queue: %d %s", r.status, r.body)
		}
		r.json(t, &q)
		if q.Planning == nil || *q.Planning != planning || len(q.Queue) != 2 {
			t.Errorf("queue answered %s; want both queued operations and planning %v", r.body, planning)
		}
	}
	ts := newTestServer(t)
	if r := ts.importCSV(t, "order_id,sku,quantity\nP1,SCARF,2\nP2,SCARF,1\n"); r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	t.Run("being made", func(t *testing.T) { check(t, ts, http.StatusServiceUnavailable, codePlanning, true) })
	if err := ts.planner.Replan(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	t.Run("made", func(t *testing.T) { check(t, ts, http.StatusOK, "", false) })
	off := newTestServer(t, func(s *Server) { s.planner = nil })
	if r := off.importCSV(t, "order_id,sku,quantity\nP1,SCARF,2\nP2,SCARF,1\n"); r.status != http.StatusCreated {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	t.Run("planning off", func(t *testing.T) { check(t, off, http.StatusNotFound, codeNoPlan, false) })
}

func TestPromiseOverHTTP(t *testing.T) {
	ts := newTestServer(t)
	if err := ts.planner.Replan(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	promise := func(token, drop, csv string) response {
		return ts.do(t, "POST", "/api/v1/drops/"+drop+"/promise", token, "text/csv", csv)
	}
	var f planner.DropForecast
	r := promise(plannerToken, "winter", "order_id,sku,quantity\nQ1,SCARF,3\n")
	if r.status != http.StatusOK {
		t.Fatalf("promise: %d %s", r.status, r.body)
	}
	r.json(t, &f)
	if !f.OnTime || f.Open != 1 || len(f.Late) != 0 {
		t.Errorf("winter promise = %+v, want on time", f)
	}
	// The overdue drop's date has passed: every order of the batch would be late.
	r = promise(plannerToken, "overdue", "order_id,sku,quantity\nO1,SCARF,1\nO2,SCARF,1\n")
	r.json(t, &f)
	if r.status != http.StatusOK || f.OnTime || len(f.Late) != 2 || f.Late[0].LateBy <= 0 || f.Late[0].WorkOrder != 0 {
		t.Errorf("overdue promise = %d %+v, want both orders late", r.status, f)
	}
	if r := promise(plannerToken, "winter", "order_id,sku,quantity\nQ2,NOPE,1\n"); r.status != http.StatusUnprocessableEntity || r.errorCode(t) != codeBatchRejected {
		t.Errorf("bad batch: %d %s, want 422 batch_rejected", r.status, r.body)
	}
	if r := promise(operatorToken, "winter", "order_id,sku,quantity\nQ3,SCARF,1\n"); r.status != http.StatusForbidden {
		t.Errorf("operator's promise check: %d, want 403", r.status)
	}
	if r := promise(plannerToken, "nope", "order_id,sku,quantity\n"); r.status != http.StatusNotFound {
		t.Errorf("unknown drop: %d, want 404", r.status)
	}
	// Nothing was stored.
	if r := ts.do(t, "GET", "/api/v1/orders/Q1", plannerToken, "", ""); r.status != http.StatusNotFound {
		t.Errorf("order Q1 after a promise check: %d, want 404", r.status)
	}
}
