package uplink_test

import (
	"context"
	"errors"
	"fmt"
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

// TestRouteMixedOneImport: a message of orders to take, to decline and held already is
// answered order by order as if each came alone, and the orders taken are one import: one
// batch in the book. A row past its SKU's window is declined, and a later row of the SKU that
// fits without it is taken. Redelivered to a site that lost its state (a crash after the
// import), the message is acknowledged the same and adds nothing to the book.
func TestRouteMixedOneImport(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	heldOrder := s.order("HELD", "SCARF", 1)
	if acks := s.route(t, heldOrder); len(acks) != 1 || !acks[0].Taken {
		t.Fatalf("acks = %+v, want HELD taken", acks)
	}
	if _, err := s.book.Import(ctx, book.ImportRequest{Drop: "net-drop", Actor: "ana",
		Rows: rowsOf(t, `[{"order_id":"LOCAL","sku":"SCARF","quantity":5}]`)}); err != nil {
		t.Fatal(err)
	}
	late := s.order("LATE", "SCARF", 1)
	late.AckBy = s.fx.Clock.Now().Add(5 * time.Second)
	otherContent := s.order("LOCAL", "SCARF", 2)
	msg := []network.RoutedOrder{
		s.order("GOOD1", "SCARF", 2),
		late,
		s.order("NOSKU", "BEANIE", 1),
		s.order("OVER", "SHAWL", 9), // fits the window of 10 of SHAWL
		heldOrder,
		s.order("OVER2", "SHAWL", 4), // 9 + 4 past the window of 10 as well
		otherContent,
		s.order("FITS", "SHAWL", 1), // fits once OVER and OVER2 are declined
		s.order("GOOD2", "SCARF", 1),
		s.order("GOOD1", "SCARF", 2), // the same order twice in a message
	}
	last := s.lastEvent(t)
	acks := s.route(t, msg...)
	want := []struct {
		id     string
		taken  bool
		reason string
	}{
		{"GOOD1", true, ""},
		{"LATE", false, `route 1 of order "LATE" came too late`},
		{"NOSKU", false, `unknown SKU "BEANIE"`},
		{"OVER", true, ""},
		{"HELD", true, ""},
		{"OVER2", false, `SKU window of drop "net-drop" exceeded: 13 units of SHAWL ordered with this row, the window is 10`},
		{"LOCAL", false, `order id "LOCAL" was already imported with different content`},
		{"FITS", true, ""},
		{"GOOD2", true, ""},
		{"GOOD1", true, ""},
	}
	if len(acks) != len(want) {
		t.Fatalf("acks = %+v, want %d", acks, len(want))
	}
	for i, w := range want {
		a := acks[i]
		if a.OrderID != w.id || a.Route != 1 || a.Taken != w.taken || !strings.HasPrefix(a.Reason, w.reason) || (w.reason == "") != (a.Reason == "") {
			t.Errorf("ack %d = %+v, want %s taken %v: %q...", i, a, w.id, w.taken, w.reason)
		}
	}
	imports := s.imports(t, last)
	if len(imports) != 1 || imports[0].Quantity != 4 {
		t.Fatalf("batches imported = %+v, want one of 4 orders", imports)
	}
	for _, id := range []string{"GOOD1", "OVER", "FITS", "GOOD2"} {
		if o, _, err := s.book.Order(ctx, id); err != nil || o.Batch != imports[0].Batch {
			t.Errorf("order %s: %+v, %v; want it in batch %s", id, o, err, imports[0].Batch)
		}
	}
	for _, id := range []string{"LATE", "NOSKU", "OVER2"} {
		if _, _, err := s.book.Order(ctx, id); !errors.Is(err, book.ErrUnknownOrder) {
			t.Errorf("declined order %s: in the book (err %v)", id, err)
		}
	}
	if o, _, err := s.book.Order(ctx, "LOCAL"); err != nil || o.Quantity != 5 {
		t.Errorf("order LOCAL = %+v, %v; want the site's own, 5 units", o, err)
	}

	// The state lost, as after a crash between the import and its write: the message again
	// is acknowledged the same, from the book, and changes nothing.
	s.dir = t.TempDir()
	s.up = s.open(t)
	last = s.lastEvent(t)
	again := s.route(t, msg...)
	for i := range want {
		if again[i].Taken != acks[i].Taken {
			t.Errorf("redelivered: ack %d = %+v, was %+v", i, again[i], acks[i])
		}
	}
	if now := s.lastEvent(t); now != last {
		t.Errorf("the message redelivered changed the book: last event %d, was %d", now, last)
	}
}

// TestRouteLargeOneImport: a message of 1,000 orders is one import, every order taken in one
// batch of the book; the same message again is acknowledged from the state, changing nothing.
func TestRouteLargeOneImport(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	orders := make([]network.RoutedOrder, 1000)
	for i := range orders {
		orders[i] = s.order(fmt.Sprintf("L%04d", i), "SCARF", 1)
	}
	last := s.lastEvent(t)
	acks := s.route(t, orders...)
	if len(acks) != len(orders) {
		t.Fatalf("%d acks, want %d", len(acks), len(orders))
	}
	for i, a := range acks {
		if a != (network.Ack{OrderID: orders[i].OrderID, Route: 1, Taken: true}) {
			t.Fatalf("ack %d = %+v, want %s taken", i, a, orders[i].OrderID)
		}
	}
	imports := s.imports(t, last)
	if len(imports) != 1 || imports[0].Quantity != len(orders) {
		t.Fatalf("batches imported = %+v, want one of %d orders", imports, len(orders))
	}
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.OrderID
	}
	inBook, err := s.book.Orders(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if o, ok := inBook[id]; !ok || o.Batch != imports[0].Batch {
			t.Fatalf("order %s = %+v (in the book %v), want it in batch %s", id, o, ok, imports[0].Batch)
		}
	}
	last = s.lastEvent(t)
	if acks := s.route(t, orders...); len(acks) != len(orders) || !acks[len(acks)-1].Taken {
		t.Errorf("the message again: %d acks, the last %+v; want every order taken", len(acks), acks[len(acks)-1])
	}
	if now := s.lastEvent(t); now != last {
		t.Errorf("the message again changed the book: last event %d, was %d", now, last)
	}
}

// imports returns the book's batch.imported events after the event id after.
func (s *site) imports(t *testing.T, after int64) []book.Event {
	t.Helper()
	evs, err := s.book.Events(context.Background(), book.EventFilter{Kinds: []string{book.EventBatchImported}, AfterID: after})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
