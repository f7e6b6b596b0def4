package uplink_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/network"
)

func newRepairSite(t *testing.T) *site {
	t.Helper()
	fx := booktest.New(t, "testdata/repairs.yaml")
	return newSiteOn(t, fx, fx.Book)
}

// routedRepair is a repair of a unit made elsewhere, route 1, to open within two minutes.
func (s *site) routedRepair(id, kind string) network.RoutedRepair {
	return network.RoutedRepair{RepairID: id, Serial: "LIS-0042", Kind: kind, Customer: "Rui", Contact: "rui@example.com",
		Description: "a moth hole", Route: 1, AckBy: s.fx.Clock.Now().Add(2 * time.Minute)}
}

func (s *site) routeRepairs(t *testing.T, repairs ...network.RoutedRepair) []network.RepairAck {
	t.Helper()
	s.receive(t, network.KindRouteRepairs, network.RouteRepairs{Repairs: repairs})
	return only[network.RepairAcks](t, s.link, network.KindRepairAck).Repairs
}

func (s *site) repairs(t *testing.T) []book.Repair {
	t.Helper()
	rs, err := s.book.Repairs(context.Background(), book.RepairFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestRoutedRepairOpensOnce: a routed repair of a unit the book does not hold opens a counter
// repair of the item "unit SERIAL made at another site", acknowledged with the book's repair
// id; the message again, and again after a crash lost the uplink's state, finds that repair
// and opens no second; a kind the site does not repair and a route past its deadline are
// declined with the reason.
func TestRoutedRepairOpensOnce(t *testing.T) {
	s := newRepairSite(t)
	r := s.routedRepair("NR-1", "textile")
	acks := s.routeRepairs(t, r)
	if len(acks) != 1 || !acks[0].Taken || acks[0].SiteRepair == "" || acks[0].Route != 1 {
		t.Fatalf("acks: %+v", acks)
	}
	rs := s.repairs(t)
	if len(rs) != 1 || rs[0].ID != acks[0].SiteRepair || rs[0].External != "NR-1" || rs[0].Source != book.SourceCounter ||
		rs[0].Item != "unit LIS-0042 made at another site" || rs[0].Kind != "textile" || rs[0].State != book.RepairReceived {
		t.Fatalf("the book's repairs: %+v", rs)
	}
	if again := s.routeRepairs(t, r); !again[0].Taken || again[0].SiteRepair != acks[0].SiteRepair {
		t.Errorf("the message again: %+v", again)
	}
	s.dir = t.TempDir() // the uplink's state lost: the book still knows the repair
	s.up = s.open(t)
	if again := s.routeRepairs(t, r); !again[0].Taken || again[0].SiteRepair != acks[0].SiteRepair {
		t.Errorf("after the state was lost: %+v", again)
	}
	if n := len(s.repairs(t)); n != 1 {
		t.Errorf("%d repairs in the book; want 1", n)
	}

	late := s.routedRepair("NR-2", "textile")
	late.AckBy = s.fx.Clock.Now().Add(5 * time.Second)
	hat := s.routedRepair("NR-3", "hat")
	acks = s.routeRepairs(t, late, hat)
	if acks[0].Taken || !strings.Contains(acks[0].Reason, "came too late") {
		t.Errorf("a late route: %+v", acks[0])
	}
	if acks[1].Taken || !strings.Contains(acks[1].Reason, "kind") || !strings.Contains(acks[1].Reason, "hat") {
		t.Errorf("a kind not repaired here: %+v", acks[1])
	}
	if n := len(s.repairs(t)); n != 1 {
		t.Errorf("%d repairs in the book after the declines; want 1", n)
	}
}

// TestRepairPromiseProgressAndWithdraw: a promise request's repairs of a kind the site repairs
// get the diagnosis's standard date; the repairs opened report their state as the book's
// events touch them; a withdrawal of one opened is declined and its state reported, one never
// opened sends nothing.
func TestRepairPromiseProgressAndWithdraw(t *testing.T) {
	s := newRepairSite(t)
	ctx := context.Background()
	req := network.PromiseRequest{ID: "p-1", Expires: s.fx.Clock.Now().Add(time.Minute),
		Repairs: []network.RoutedRepair{s.routedRepair("NR-1", "textile"), s.routedRepair("NR-2", "hat")}}
	s.receive(t, network.KindPromiseRequest, req)
	p := only[network.Promises](t, s.link, network.KindPromise)
	if len(p.Repairs) != 1 || p.Repairs[0].OrderID != "NR-1" || !p.Repairs[0].End.After(s.fx.Clock.Now()) {
		t.Fatalf("promises: %+v", p)
	}

	before := s.lastEvent(t)
	acks := s.routeRepairs(t, s.routedRepair("NR-1", "textile"))
	if err := s.up.Follow(ctx); err != nil {
		t.Fatal(err)
	}
	var got network.RepairProgresses
	raw := s.link.take(t, network.KindRepairProgress)
	if len(raw) != 1 {
		t.Fatalf("%d repair progress messages; want 1", len(raw))
	}
	if err := json.Unmarshal(raw[0], &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Repairs) != 1 || got.Repairs[0].RepairID != "NR-1" || got.Repairs[0].State != network.Accepted ||
		got.Repairs[0].SiteState != "received" || got.Repairs[0].SiteRepair != acks[0].SiteRepair || got.Repairs[0].Version <= before {
		t.Errorf("progress: %+v", got)
	}

	s.receive(t, network.KindWithdrawRepair, network.WithdrawRepairs{Repairs: []network.RepairWithdrawal{
		{RepairID: "NR-1", Route: 1, Reason: "moved by ines"}, {RepairID: "NR-9", Route: 1, Reason: "ack timeout"}}})
	w := only[network.RepairProgresses](t, s.link, network.KindRepairProgress)
	if len(w.Repairs) != 1 || w.Repairs[0].RepairID != "NR-1" || w.Repairs[0].State != network.Accepted {
		t.Errorf("after the withdrawal: %+v", w)
	}
	if r, err := s.book.Repair(ctx, acks[0].SiteRepair); err != nil || r.State != book.RepairReceived {
		t.Errorf("the repair after the withdrawal: %+v, %v", r, err)
	}
}
