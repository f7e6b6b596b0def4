package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// finishAll starts and completes every operation of the open work orders, in routing order.
func (s *site) finishAll(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for {
		work, _, err := s.book.OpenWork(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(work) == 0 {
			return
		}
		for _, op := range work[0].Operations {
			if op.State == book.Done {
				continue
			}
			if op.State == book.Queued {
				if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: book.ActionStart, Actor: "person:ana"}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: book.ActionComplete, Actor: "person:ana"}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
}

// TestShortList scraps a unit of an order from the tablet: the planner's drop page and the
// dashboard list the order as short, with where and why, and a button that makes the unit
// again under a key of the shortfall; pressed twice it makes one remake, which the list then
// shows as being made again. A drop whose units were lost and not made again is short, not
// done.
func TestShortList(t *testing.T) {
	s := newSite(t)
	s.importCSV(t, "order_id,sku,quantity,customer\ns-1,SCARF,2,Zoë Quist\ns-2,SCARF,1,Bo Lind\n")
	ctx := context.Background()
	_, wo, err := s.book.Order(ctx, "s-1")
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	op := first.Operations[0]

	operator := s.browser(t)
	operator.signInPIN("dye-1", "ana", "1234")
	if r := operator.post(fmt.Sprintf("/api/v1/operations/%d/scrap", op.ID), `{"reason":"moth holes","quantity":1}`, "tab-1", false); r.status != http.StatusOK {
		t.Fatalf("scrap from the tablet: %d %s", r.status, r.body)
	}
	planner := s.browser(t)
	planner.signIn("pia", "weft-and-warp")
	manager := s.browser(t)
	manager.signIn("max", "loom-and-lantern")
	d, err := s.book.OrderDetail(ctx, "s-1")
	if err != nil {
		t.Fatal(err)
	}
	key := remakeKey(d)
	for _, c := range []struct {
		name   string
		b      *browser
		path   string
		button bool
	}{
		{"the planner's drop page", planner, "/planner/drops/winter", true},
		{"the dashboard", manager, "/manager", true},
		{"the list alone", planner, "/planner/short?drop=winter", true},
		{"the dashboard of an operator", operator, "/manager", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.b.get(c.path)
			if p.status != http.StatusOK {
				t.Fatalf("%d %s", p.status, p.body)
			}
			for _, want := range []string{`id="short"`, `1 order short of units`, `data-order="s-1" data-short="1"`, `Zoë Quist`,
				`1 at Dye the silk (dye-1), work order ` + fmt.Sprint(wo.ID) + `: moth holes`, `<td class="num">2</td>`, `0 / 1`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("lacks %s", want)
				}
			}
			if strings.Contains(p.body, `data-order="s-2"`) {
				t.Errorf("lists s-2, which lost nothing")
			}
			hasButton := strings.Contains(p.body, `data-remake="s-1" data-key="`+key+`">Make 1 again</button>`)
			if hasButton != c.button {
				t.Errorf("offers to make it again: %v, want %v\n%s", hasButton, c.button, p.body)
			}
		})
	}

	path := "/api/v1/orders/s-1/remake"
	a := planner.post(path, `{}`, key, false)
	b := planner.post(path, `{}`, key, false)
	if a.status != http.StatusCreated || b.status != http.StatusCreated || a.body != b.body || b.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a double tap: %d %s / %d %s", a.status, a.body, b.status, b.body)
	}
	if r := manager.post(path, `{}`, "another-"+key, false); r.status != http.StatusConflict || !strings.Contains(r.body, "not_short") {
		t.Errorf("the manager's tap after it: %d %s, want 409 not_short", r.status, r.body)
	}
	d, _ = s.book.OrderDetail(ctx, "s-1")
	if len(d.WorkOrders) != 2 {
		t.Fatalf("s-1 has %d work orders after a double tap, want 2", len(d.WorkOrders))
	}
	remake := d.WorkOrders[1]
	p := planner.get("/planner/short?drop=winter")
	for _, want := range []string{`0 orders short of units`, `data-order="s-1" data-short="0"`, `Being made again</span> <span class="by">1 by work order ` + fmt.Sprint(remake.ID) + `</span>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("after the remake the list lacks %s\n%s", want, p.body)
		}
	}
	if strings.Contains(p.body, "data-remake=") {
		t.Errorf("after the remake the list still offers to make it again")
	}
	if p := planner.get("/planner/short?drop=autumn"); p.status != http.StatusNotFound {
		t.Errorf("the list of an unknown drop: %d", p.status)
	}

	// s-2 is scrapped whole, and the rest made: the drop lacks a unit that nobody makes.
	_, wo2, _ := s.book.Order(ctx, "s-2")
	w2, _ := s.book.WorkOrder(ctx, wo2.ID)
	if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: w2.Operations[0].ID, Action: book.ActionScrap,
		Actor: "person:ana", Reason: "dye lot spoilt"}); err != nil {
		t.Fatal(err)
	}
	s.finishAll(t)
	if err := s.planner.Replan(ctx, false); err != nil {
		t.Fatal(err)
	}
	home := planner.get("/planner")
	if !strings.Contains(home.body, `data-drop="winter" data-status="short"`) || !strings.Contains(home.body, "Units short") {
		t.Errorf("a drop whose lost units nobody makes again:\n%s", home.body)
	}
	if p := manager.get("/manager"); !strings.Contains(p.body, `data-order="s-2" data-short="1"`) || strings.Contains(p.body, `data-order="s-1"`) {
		t.Errorf("the dashboard once s-1 is made whole and s-2 scrapped:\n%s", p.body)
	}
}
