package uplink_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/network"
)

// withdraw takes orders back from the site and returns the progress it reports.
func (s *site) withdraw(t *testing.T, ws ...network.Withdrawal) []network.Progress {
	t.Helper()
	s.receive(t, network.KindWithdraw, network.WithdrawOrders{Orders: ws})
	return only[network.Progresses](t, s.link, network.KindProgress).Orders
}

// TestWithdraw: an order taken back before it started leaves the site's open work and is
// reported withdrawn, once (taking it back again changes nothing, routing it again is
// declined); one that started is kept and reported as it stands; one the site never took is
// reported withdrawn without a change.
func TestWithdraw(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	s.route(t, s.order("N1", "SCARF", 1), s.order("N2", "SCARF", 1))
	s.act(t, "N2", 0, book.ActionStart)
	s.follow(t)

	got := s.withdraw(t,
		network.Withdrawal{OrderID: "N1", Route: 1, Reason: "no acknowledgement in time"},
		network.Withdrawal{OrderID: "N2", Route: 1, Reason: "moved by ines"},
		network.Withdrawal{OrderID: "NEVER", Route: 1, Reason: "moved by ines"})
	last := s.lastEvent(t)
	want := []struct {
		id    string
		state network.OrderState
	}{{"N1", network.Withdrawn}, {"N2", network.Started}, {"NEVER", network.Withdrawn}}
	if len(got) != len(want) {
		t.Fatalf("progress = %+v, want %d reports", got, len(want))
	}
	for i, w := range want {
		if got[i].OrderID != w.id || got[i].State != w.state || got[i].Route != 1 {
			t.Errorf("progress %d = %+v, want %s %s", i, got[i], w.id, w.state)
		}
	}
	if got[0].Version != last {
		t.Errorf("N1's version %d, want the withdrawal's event %d", got[0].Version, last)
	}
	o, _, err := s.book.Order(ctx, "N1")
	if err != nil {
		t.Fatal(err)
	}
	if o.Withdrawn == nil || !strings.Contains(o.Withdrawn.Reason, "no acknowledgement in time") || o.Withdrawn.Actor != "network" {
		t.Errorf("N1's withdrawal = %+v, want the hub's reason, by network", o.Withdrawn)
	}
	work, _, err := s.book.OpenWork(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(work) != 1 || work[0].OrderID != "N2" {
		t.Errorf("open work = %+v, want N2's only", work)
	}

	again := s.withdraw(t, network.Withdrawal{OrderID: "N1", Route: 1, Reason: "again"})
	if len(again) != 1 || again[0].State != network.Withdrawn {
		t.Errorf("taken back again: progress = %+v, want N1 withdrawn", again)
	}
	if acks := s.route(t, s.order("N1", "SCARF", 1)); len(acks) != 1 || acks[0].Taken || !strings.Contains(acks[0].Reason, "withdrawn") {
		t.Errorf("routed again after its withdrawal: acks = %+v, want declined as withdrawn", acks)
	}
	if now := s.lastEvent(t); now != last {
		t.Errorf("taking back again and routing again changed the book: last event %d, was %d", now, last)
	}
	if p := s.follow(t); len(p) != 1 || p[0].OrderID != "N1" || p[0].State != network.Withdrawn {
		t.Errorf("following the events: progress = %+v, want N1 withdrawn", p)
	}
}

// TestWithdrawnHere: an order a planner withdrew at the site is reported withdrawn, and routed
// again it is declined rather than acknowledged without being made.
func TestWithdrawnHere(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	s.route(t, s.order("N1", "SCARF", 1))
	s.follow(t)
	if _, err := s.book.Withdraw(ctx, "N1", "customer cancelled", "ines"); err != nil {
		t.Fatal(err)
	}
	if p := s.follow(t); len(p) != 1 || p[0].State != network.Withdrawn {
		t.Errorf("progress = %+v, want N1 withdrawn", p)
	}
	o := s.order("N1", "SCARF", 1)
	o.Route = 2
	if acks := s.route(t, o); len(acks) != 1 || acks[0].Taken || !strings.Contains(acks[0].Reason, "withdrawn") {
		t.Errorf("routed again: acks = %+v, want declined as withdrawn", acks)
	}
}
