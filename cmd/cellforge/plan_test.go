package main

import (
	"context"
	"os"
	"testing"
	"time"
)

type slot struct {
	Cell  string    `json:"cell"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

type forecast struct {
	Drop       string    `json:"drop"`
	Date       time.Time `json:"date"`
	Completion time.Time `json:"predicted_completion"`
	OnTime     bool      `json:"on_time"`
	Open       int       `json:"open_work_orders"`
	Late       []struct {
		OrderID string `json:"order_id"`
		LateBy  int64  `json:"late_by_s"`
	} `json:"late"`
}

// The demo factory plans what it is given: after a batch is imported, every operation of every
// open work order has a planned cell, start and end, in routing order, and the drop has a
// predicted completion; a planner can check a further batch against the drop date without
// committing it.
func TestDemoFactoryPlansImportedBatches(t *testing.T) {
	d := startDaemon(t, "../../configs/demo.yaml", t.TempDir(), "--sim-speed", "1")
	csv, err := os.ReadFile("../../configs/examples/spring-27.csv")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if code, err := request(ctx, "POST", d.url+"/api/v1/drops/spring-27/orders", demoPlanner, "text/csv", csv, nil); err != nil || code != 201 {
		t.Fatalf("import: %d %v\n%s", code, err, d.logs())
	}
	type operation struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
		Cell  string `json:"cell"`
		Plan  *slot  `json:"plan"`
	}
	var list struct {
		WorkOrders []struct {
			ID int64 `json:"id"`
		} `json:"work_orders"`
	}
	d.get(t, "/api/v1/work-orders?drop=spring-27", &list)
	workOrders := list.WorkOrders
	if len(workOrders) != 8 {
		t.Fatalf("%d work orders, want the batch's 8", len(workOrders))
	}
	// planned reports whether every open operation has a slot, checking the slots it finds.
	var last time.Time
	planned := func() bool {
		last = time.Time{}
		for _, w := range workOrders {
			var detail struct {
				Operations []operation `json:"operations"`
			}
			d.get(t, "/api/v1/work-orders/"+itoa(w.ID), &detail)
			var prev *slot
			for _, op := range detail.Operations {
				if op.State == "done" || op.State == "scrapped" {
					continue
				}
				if op.Plan == nil {
					return false
				}
				if !op.Plan.End.After(op.Plan.Start) && op.Plan.End != op.Plan.Start {
					t.Errorf("operation %d planned to end at %v before its start %v", op.ID, op.Plan.End, op.Plan.Start)
				}
				if prev != nil && op.Plan.Start.Before(prev.End) {
					t.Errorf("work order %d: operation %d planned at %v, before the operation before it ends at %v", w.ID, op.ID, op.Plan.Start, prev.End)
				}
				if op.Cell != "" && op.Cell != op.Plan.Cell {
					t.Errorf("operation %d is %s at %s but planned at %s", op.ID, op.State, op.Cell, op.Plan.Cell)
				}
				prev = op.Plan
				if op.Plan.End.After(last) {
					last = op.Plan.End
				}
			}
		}
		return true
	}
	deadline := time.Now().Add(20 * time.Second)
	for !planned() {
		if time.Now().After(deadline) {
			t.Fatalf("the imported batch is not planned after 20 s\n%s", d.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var f forecast
	d.get(t, "/api/v1/drops/spring-27/forecast", &f)
	if f.Drop != "spring-27" || f.Open == 0 || f.Completion.IsZero() || !f.OnTime {
		t.Errorf("spring-27 forecast = %+v, want on time with a predicted completion", f)
	}
	if f.Completion.Before(last.Add(-time.Minute)) {
		t.Errorf("drop predicted to complete at %v, before its last planned operation ends at %v", f.Completion, last)
	}
	var plan struct {
		Drops []forecast `json:"drops"`
	}
	d.get(t, "/api/v1/plan", &plan)
	if len(plan.Drops) == 0 || plan.Drops[0].Drop != "spring-27" {
		t.Errorf("plan drops = %+v, want spring-27", plan.Drops)
	}
	var p forecast
	more := []byte("order_id,sku,quantity\nSP27-9001,SCARF-GAUZE-INDIGO,2\n")
	if code, err := request(ctx, "POST", d.url+"/api/v1/drops/spring-27/promise", demoPlanner, "text/csv", more, &p); err != nil || code != 200 {
		t.Fatalf("promise check: %d %v", code, err)
	}
	if !p.OnTime || p.Open < f.Open {
		t.Errorf("promise with two more scarves = %+v, want on time", p)
	}
	if code, _ := request(ctx, "GET", d.url+"/api/v1/orders/SP27-9001", demoPlanner, "", nil, nil); code != 404 {
		t.Errorf("order of a promise check stored: %d", code)
	}
}
