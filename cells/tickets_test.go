package cells_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/booktest"
	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/drivers/escpos"
	"github.com/cellforge/cellforge/drivers/rawport"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// ticketPrinter prints tickets on the ESC/POS driver and counts, per order, the attempts and
// the tickets the driver confirmed.
type ticketPrinter struct {
	p *escpos.Printer

	mu                  sync.Mutex
	attempts, confirmed map[string]int
}

func newTicketPrinter(p *escpos.Printer) *ticketPrinter {
	return &ticketPrinter{p: p, attempts: map[string]int{}, confirmed: map[string]int{}}
}

func (tp *ticketPrinter) PrintTicket(ctx context.Context, tk cells.Ticket) error {
	tp.mu.Lock()
	tp.attempts[tk.OrderID]++
	tp.mu.Unlock()
	err := tp.p.Print(ctx, escpos.Ticket{WorkOrder: "WO " + tk.OrderID, SKU: tk.SKU, Quantity: tk.Quantity, Drop: tk.Drop,
		Due: tk.Due, Steps: tk.Steps})
	if err == nil {
		tp.mu.Lock()
		tp.confirmed[tk.OrderID]++
		tp.mu.Unlock()
	}
	return err
}

func (tp *ticketPrinter) count(m map[string]int, order string) int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return m[order]
}

// TestTicketsOwedOutliveARestart: the tickets of work orders dispatched while the printer is
// offline print once it is back, after a restart too, each once.
func TestTicketsOwedOutliveARestart(t *testing.T) {
	f := booktest.Factory(t, "testdata/factory.yaml")
	p, err := plant.New(plant.Spec{Devices: []plant.Device{{ID: "stamp-1", Kind: configs.KindMicroPrinter, Listen: "127.0.0.1:0"}}}, plant.Config{})
	if err != nil {
		t.Fatal(err)
	}
	plantCtx, stopPlant := context.WithCancel(context.Background())
	plantDone := make(chan error, 1)
	go func() { plantDone <- p.Run(plantCtx) }()
	t.Cleanup(func() { stopPlant(); <-plantDone })
	driver, err := escpos.New(rawport.Config{Name: "stamp-1", Address: p.Addr("stamp-1"), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { driver.Close() })
	path := booktest.Addr(t, "book.db")

	// start opens the book and runs a ticket printer on it, as a daemon does; the returned
	// func stops it and closes the store.
	start := func(printer *ticketPrinter) (*book.Book, func()) {
		st := booktest.Open(t, path)
		b := book.New(book.Config{Store: st, Factory: f})
		tickets := cells.NewTickets(cells.TicketsConfig{Book: b, Factory: f, Printer: printer, Tick: 20 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		if err := tickets.Prime(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- tickets.Run(ctx) }()
		return b, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("tickets: %v", err)
			}
			st.Close()
		}
	}
	importCSV := func(b *book.Book, csv string) {
		t.Helper()
		rr, err := intake.NewCSV(strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Import(context.Background(), book.ImportRequest{Drop: "winter", Rows: rr, Actor: "planner"}); err != nil {
			t.Fatal(err)
		}
	}
	printed := func() map[string]int {
		tickets, err := p.Tickets("stamp-1")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, tk := range tickets {
			for _, order := range []string{"S0", "S1", "S2", "S3", "S4"} {
				if strings.Contains(tk.Text(), "WO "+order) {
					out[order]++
				}
			}
		}
		return out
	}

	first := newTicketPrinter(driver)
	b, stop := start(first)
	importCSV(b, "order_id,sku,quantity\nS0,SCARF,1\n")
	// Confirmed, not only printed: the printer going offline during the status check after
	// sending would fail the print, which is tried again.
	eventually(t, "S0's ticket", func() bool { return first.count(first.confirmed, "S0") == 1 })
	if err := p.SetFaults("stamp-1", plant.Faults{Offline: true}); err != nil {
		t.Fatal(err)
	}
	importCSV(b, "order_id,sku,quantity\nS1,SCARF,1\nS2,YARN,1\n")
	eventually(t, "a try at S1's ticket", func() bool { return first.count(first.attempts, "S1") > 0 })
	stop()

	second := newTicketPrinter(driver)
	b, stop = start(second)
	defer stop()
	if err := p.SetFaults("stamp-1", plant.Faults{}); err != nil {
		t.Fatal(err)
	}
	importCSV(b, "order_id,sku,quantity\nS3,SCARF,1\n")
	eventually(t, "S3's ticket", func() bool { return printed()["S3"] > 0 })
	// Tickets print in the order of their dispatch: once S4's is out, any ticket printed twice
	// before it would show.
	importCSV(b, "order_id,sku,quantity\nS4,SCARF,1\n")
	eventually(t, "S4's ticket", func() bool { return printed()["S4"] > 0 })
	want := map[string]int{"S0": 1, "S1": 1, "S2": 1, "S3": 1, "S4": 1}
	if got := printed(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("printed %v, want %v", got, want)
	}
}
