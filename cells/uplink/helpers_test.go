package uplink_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/book/network"
	"github.com/cellforge/cellforge/cells/planner"
	"github.com/cellforge/cellforge/cells/uplink"
)

// sent is one message a recorder took.
type sent struct {
	to, kind string
	body     []byte
}

// recorder is a Sender that keeps what it is given, as the link's queue would; it fails while
// failing is set, as a full disk would.
type recorder struct {
	mu      sync.Mutex
	msgs    []sent
	failing bool
}

var errQueueFull = errors.New("the outbound queue cannot be written")

func (r *recorder) Send(to, kind string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return errQueueFull
	}
	r.msgs = append(r.msgs, sent{to: to, kind: kind, body: raw})
	return nil
}

func (r *recorder) setFailing(f bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = f
}

// take returns the messages of a kind sent since the last take of that kind, removing them.
func (r *recorder) take(t *testing.T, kind string) [][]byte {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]byte
	r.msgs = slices.DeleteFunc(r.msgs, func(m sent) bool {
		if m.kind != kind {
			return false
		}
		if m.to != network.Hub {
			t.Errorf("%s message sent to %q, want %q", kind, m.to, network.Hub)
		}
		out = append(out, m.body)
		return true
	})
	return out
}

// count returns how many messages wait in the recorder.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// only decodes the one message of a kind sent since the last take, failing without exactly one.
func only[T any](t *testing.T, r *recorder, kind string) T {
	t.Helper()
	var v T
	msgs := r.take(t, kind)
	if len(msgs) != 1 {
		t.Fatalf("%d %s messages sent, want 1", len(msgs), kind)
	}
	if err := json.Unmarshal(msgs[0], &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// site is a site's book, planner and uplink, with the link recorded.
type site struct {
	fx      *booktest.Fixture
	book    *book.Book
	planner *planner.Planner
	link    *recorder
	dir     string
	up      *uplink.Uplink
}

func newSite(t *testing.T) *site {
	t.Helper()
	fx := booktest.New(t, "testdata/factory.yaml")
	return newSiteOn(t, fx, fx.Book)
}

// newSiteOn makes the site of a fixture with b as its book (the fixture's, or one on a store
// that can go away).
func newSiteOn(t *testing.T, fx *booktest.Fixture, b *book.Book) *site {
	t.Helper()
	p := planner.New(planner.Config{Book: b, Factory: fx.Factory, Now: fx.Clock.Now, Search: 100 * time.Millisecond, Seed: 1})
	b.UsePlan(p)
	s := &site{fx: fx, book: b, planner: p, link: &recorder{}, dir: t.TempDir()}
	s.up = s.open(t)
	return s
}

// open makes a new Uplink on the site's directory, as a restarted daemon does.
func (s *site) open(t *testing.T) *uplink.Uplink {
	t.Helper()
	up, err := uplink.New(uplink.Config{Site: "porto", Book: s.book, Planner: s.planner, Link: s.link, Dir: s.dir, Now: s.fx.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return up
}

// receive hands the uplink a message from the hub, failing t on an error.
func (s *site) receive(t *testing.T, kind string, body any) {
	t.Helper()
	if err := s.receiveErr(kind, body); err != nil {
		t.Fatal(err)
	}
}

func (s *site) receiveErr(kind string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return s.up.Receive(context.Background(), uplink.Message{From: network.Hub, Kind: kind, Body: raw})
}

// order is a routed order of net-drop, route 1, to acknowledge within two minutes.
func (s *site) order(id, sku string, quantity int) network.RoutedOrder {
	return network.RoutedOrder{OrderID: id, Drop: "net-drop", SKU: sku, Quantity: quantity, Customer: "Rui",
		Due: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Route: 1, AckBy: s.fx.Clock.Now().Add(2 * time.Minute)}
}

// route routes orders to the site and returns its acknowledgements.
func (s *site) route(t *testing.T, orders ...network.RoutedOrder) []network.Ack {
	t.Helper()
	s.receive(t, network.KindRoute, network.RouteOrders{Orders: orders})
	return only[network.Acks](t, s.link, network.KindAck).Orders
}

// lastEvent returns the id of the book's latest event.
func (s *site) lastEvent(t *testing.T) int64 {
	t.Helper()
	id, err := s.book.LastEventID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// follow reports progress and returns what was sent.
func (s *site) follow(t *testing.T) []network.Progress {
	t.Helper()
	if err := s.up.Follow(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out []network.Progress
	for _, raw := range s.link.take(t, network.KindProgress) {
		var p network.Progresses
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Orders...)
	}
	return out
}

// act applies an action to the order's operation at position seq of its work order.
func (s *site) act(t *testing.T, orderID string, seq int, a book.Action) {
	t.Helper()
	ctx := context.Background()
	_, wo, err := s.book.Order(ctx, orderID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.book.WorkOrder(ctx, wo.ID)
	if err != nil {
		t.Fatal(err)
	}
	op := d.Operations[seq]
	if _, err := s.book.Transition(ctx, book.TransitionRequest{Operation: op.ID, Action: a, Actor: "ana"}); err != nil {
		t.Fatalf("%s operation %d (%s) of order %s: %v", a, seq, op.Name, orderID, err)
	}
}

func uplinkMessage(from, kind, body string) uplink.Message {
	return uplink.Message{From: from, Kind: kind, Body: []byte(body)}
}

// openWith opens another Uplink on the site's directory, reporting its load every statusEvery.
func (s *site) openWith(statusEvery time.Duration) (*uplink.Uplink, error) {
	return uplink.New(uplink.Config{Site: "porto", Book: s.book, Planner: s.planner, Link: s.link, Dir: s.dir,
		Now: s.fx.Clock.Now, StatusEvery: statusEvery})
}

// rowsOf reads a JSON batch.
func rowsOf(t *testing.T, batch string) book.RowReader {
	t.Helper()
	r, err := intake.NewJSON(strings.NewReader(batch))
	if err != nil {
		t.Fatal(err)
	}
	return r
}
