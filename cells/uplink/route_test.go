package uplink_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/network"
)

// TestRouteTaken: a routed order before its deadline is in the site's book, as routed, and
// acknowledged taken; routed again, it changes nothing and is acknowledged again.
func TestRouteTaken(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	o := s.order("N1", "SCARF", 3)
	o.Notes = "gift wrap"
	acks := s.route(t, o)
	if len(acks) != 1 || acks[0] != (network.Ack{OrderID: "N1", Route: 1, Taken: true}) {
		t.Fatalf("acks = %+v, want N1 route 1 taken", acks)
	}
	got, wo, err := s.book.Order(ctx, "N1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Drop != "net-drop" || got.SKU != "SCARF" || got.Quantity != 3 || got.Customer != "Rui" || got.Notes != "gift wrap" ||
		!got.Due.Equal(o.Due) || wo.State != book.WorkOpen {
		t.Errorf("order in the book = %+v, work order %+v; want the routed row, open", got, wo)
	}

	last := s.lastEvent(t)
	acks = s.route(t, o)
	if len(acks) != 1 || !acks[0].Taken {
		t.Errorf("the same route again: acks = %+v, want taken", acks)
	}
	if now := s.lastEvent(t); now != last {
		t.Errorf("the same route again changed the book: last event %d, was %d", now, last)
	}

	// Past its deadline now, the site still holds it: taken again all the same.
	s.fx.Clock.Advance(time.Hour)
	if acks = s.route(t, o); len(acks) != 1 || !acks[0].Taken {
		t.Errorf("the same route again after its deadline: acks = %+v, want taken", acks)
	}
	// A new route of the same order to this site (it came back after a move) takes it too.
	o.Route, o.AckBy = 3, s.fx.Clock.Now().Add(time.Minute)
	if acks = s.route(t, o); len(acks) != 1 || acks[0] != (network.Ack{OrderID: "N1", Route: 3, Taken: true}) {
		t.Errorf("route 3 of an order held: acks = %+v, want taken", acks)
	}
	if now := s.lastEvent(t); now != last {
		t.Errorf("route 3 of an order held changed the book: last event %d, was %d", now, last)
	}
}

// TestRouteDeclined: each order the site cannot take is declined with the reason, the others
// of the same message taken; nothing of a declined order is in the book.
func TestRouteDeclined(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	late := s.order("LATE", "SCARF", 1)
	late.AckBy = s.fx.Clock.Now().Add(9 * time.Second) // inside the margin of 10s
	unknownSKU := s.order("NOSKU", "BEANIE", 1)
	otherDrop := s.order("NODROP", "SCARF", 1)
	otherDrop.Drop = "summer"
	notSold := s.order("NOTSOLD", "SHAWL", 1)
	notSold.Quantity = 11 // the window of SHAWL in net-drop is 10
	bad := s.order("BAD", "SCARF", 0)
	good := s.order("GOOD", "SCARF", 1)

	acks := s.route(t, late, unknownSKU, otherDrop, notSold, bad, good)
	want := []struct {
		id, reason string
	}{
		{"LATE", "route 1 of order \"LATE\" came too late: it had to be taken by 2026-11-02T07:59:59Z"},
		{"NOSKU", `unknown SKU "BEANIE"`},
		{"NODROP", `drop "summer" is not one of this site's drops`},
		{"NOTSOLD", `SKU window of drop "net-drop" exceeded: 11 units of SHAWL ordered with this row, the window is 10`},
		{"BAD", `quantity "0" is not a positive integer`},
	}
	if len(acks) != len(want)+1 {
		t.Fatalf("acks = %+v, want %d", acks, len(want)+1)
	}
	for i, w := range want {
		if a := acks[i]; a.OrderID != w.id || a.Taken || !strings.HasPrefix(a.Reason, w.reason) {
			t.Errorf("ack %d = %+v, want %s declined: %s...", i, a, w.id, w.reason)
		}
		if _, _, err := s.book.Order(ctx, w.id); !errors.Is(err, book.ErrUnknownOrder) {
			t.Errorf("declined order %s: in the book (err %v)", w.id, err)
		}
	}
	if a := acks[len(want)]; !a.Taken || a.OrderID != "GOOD" {
		t.Errorf("last ack = %+v, want GOOD taken", a)
	}
}

// TestRouteWhileTheBookIsAway: while the book's database is away the message is not answered
// (the link hands it over again); once back, it is taken as if it came then, once.
func TestRouteWhileTheBookIsAway(t *testing.T) {
	fx := booktest.New(t, "testdata/factory.yaml")
	away := booktest.NewAway(fx.Store)
	b := book.New(book.Config{Store: away, Factory: fx.Factory, Now: fx.Clock.Now})
	s := newSiteOn(t, fx, b)
	o := s.order("N1", "SCARF", 1)

	away.SetAway(true)
	err := s.receiveErr(network.KindRoute, network.RouteOrders{Orders: []network.RoutedOrder{o}})
	if !errors.Is(err, book.ErrUnavailable) {
		t.Fatalf("routing while the book is away: err = %v, want ErrUnavailable", err)
	}
	if n := s.link.count(); n != 0 {
		t.Errorf("%d messages sent while the book was away, want none", n)
	}
	away.SetAway(false)
	if acks := s.route(t, o); len(acks) != 1 || !acks[0].Taken {
		t.Errorf("acks = %+v, want N1 taken", acks)
	}

	// The link's queue failing: the order is taken and recorded, the acknowledgement is not
	// sent; handed over again, it is acknowledged without a second import.
	o2 := s.order("N2", "SCARF", 1)
	s.link.setFailing(true)
	if err := s.receiveErr(network.KindRoute, network.RouteOrders{Orders: []network.RoutedOrder{o2}}); !errors.Is(err, errQueueFull) {
		t.Fatalf("routing with the queue failing: err = %v, want errQueueFull", err)
	}
	s.link.setFailing(false)
	last := s.lastEvent(t)
	if acks := s.route(t, o2); len(acks) != 1 || !acks[0].Taken {
		t.Errorf("acks = %+v, want N2 taken", acks)
	}
	if now := s.lastEvent(t); now != last {
		t.Errorf("the route handed over again changed the book: last event %d, was %d", now, last)
	}
}

// TestReceiveRefuses: a message not from the hub, of an unknown kind or with a body that does
// not decode is dropped (no error, which would make the link hand it over for ever) and changes
// nothing.
func TestReceiveRefuses(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	last := s.lastEvent(t)
	route := []byte(`{"orders":[{"order_id":"N1","drop":"net-drop","sku":"SCARF","quantity":1,"route":1,"ack_by":"2030-01-01T00:00:00Z"}]}`)
	for _, m := range []struct{ from, kind, body string }{
		{"lisbon", network.KindRoute, string(route)},
		{network.Hub, "reroute", string(route)},
		{network.Hub, network.KindRoute, `{"orders":`},
		{network.Hub, network.KindPromiseRequest, `[1,2]`},
	} {
		if err := s.up.Receive(ctx, uplinkMessage(m.from, m.kind, m.body)); err != nil {
			t.Errorf("%s from %s: err = %v, want nil (dropped)", m.kind, m.from, err)
		}
	}
	if n := s.link.count(); n != 0 {
		t.Errorf("%d messages sent, want none", n)
	}
	if now := s.lastEvent(t); now != last {
		t.Errorf("refused messages changed the book: last event %d, was %d", now, last)
	}
}
