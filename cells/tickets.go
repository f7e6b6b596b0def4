package cells

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/configs"
)

// TicketPrinter prints work tickets.
type TicketPrinter interface {
	PrintTicket(ctx context.Context, t Ticket) error
}

// Ticket is the traveler that goes with a work order through the floor.
type Ticket struct {
	WorkOrder int64
	OrderID   string
	SKU       string
	Product   string
	Quantity  int
	Drop      string
	Due       time.Time
	// Steps are the routing's steps in order, by name.
	Steps []string
	Notes string
	// URL is the work order's page, printed as a QR code.
	URL string
}

// TicketBook is what [Tickets] needs of the order book; *book.Book satisfies it.
type TicketBook interface {
	LastEventID(ctx context.Context) (int64, error)
	Events(ctx context.Context, f book.EventFilter) ([]book.Event, error)
	WorkOrder(ctx context.Context, id int64) (book.WorkOrderDetail, error)
	Order(ctx context.Context, orderID string) (book.Order, book.WorkOrder, error)
}

var _ TicketBook = (*book.Book)(nil)

// TicketsConfig configures [Tickets].
type TicketsConfig struct {
	Book    TicketBook
	Factory *configs.Factory
	Printer TicketPrinter
	// BaseURL is where the work orders' pages are (the ticket's QR code points to
	// BaseURL/work-orders/ID); empty prints no QR code.
	BaseURL string
	// Tick is how often the event log is read (default 500ms).
	Tick   time.Duration
	Logger *slog.Logger
}

// Tickets prints a work ticket for every work order dispatched: the first time its first
// operation is queued at a cell.
type Tickets struct {
	cfg TicketsConfig
	log *slog.Logger

	mu     sync.Mutex
	owed   []Ticket
	after  int64
	primed bool
}

// NewTickets returns a ticket printer that prints for what is dispatched from now on.
func NewTickets(cfg TicketsConfig) *Tickets {
	if cfg.Tick <= 0 {
		cfg.Tick = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Tickets{cfg: cfg, log: cfg.Logger.With("component", "tickets")}
}

// Owed returns how many tickets wait for the printer.
func (t *Tickets) Owed() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.owed)
}

// Prime marks where tickets start: work orders dispatched before it get none, every one
// dispatched after it gets one. Call it before the book takes work; Run primes if it was not.
func (t *Tickets) Prime(ctx context.Context) error {
	after, err := t.cfg.Book.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	t.mu.Lock()
	t.after, t.primed = after, true
	t.mu.Unlock()
	return nil
}

// Run follows the event log and prints tickets until ctx is cancelled; it returns nil then.
func (t *Tickets) Run(ctx context.Context) error {
	t.mu.Lock()
	primed := t.primed
	t.mu.Unlock()
	if !primed {
		if err := t.Prime(ctx); err != nil {
			return err
		}
	}
	tick := time.NewTicker(t.cfg.Tick)
	defer tick.Stop()
	for {
		if err := t.step(ctx); err != nil && ctx.Err() == nil {
			t.log.Warn("printing tickets", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (t *Tickets) step(ctx context.Context) error {
	for {
		events, err := t.cfg.Book.Events(ctx, book.EventFilter{AfterID: t.after, Limit: 500})
		if err != nil {
			return fmt.Errorf("reading events: %w", err)
		}
		for _, e := range events {
			if e.Kind == book.EventOperation && e.From == book.Ready && e.To == book.Queued {
				if err := t.dispatched(ctx, e); err != nil {
					return err
				}
			}
			t.after = e.ID
		}
		if len(events) < 500 {
			break
		}
	}
	return t.print(ctx)
}

// dispatched owes a ticket when e queues a work order's first operation for the first time.
func (t *Tickets) dispatched(ctx context.Context, e book.Event) error {
	wo, err := t.cfg.Book.WorkOrder(ctx, e.WorkOrder)
	if err != nil {
		return fmt.Errorf("reading work order %d: %w", e.WorkOrder, err)
	}
	if len(wo.Operations) == 0 || wo.Operations[0].ID != e.Operation {
		return nil
	}
	for _, h := range wo.History {
		if h.ID < e.ID && h.Operation == e.Operation && h.To == book.Queued {
			return nil // queued before, and handed back by a cell fault since: it has its ticket
		}
	}
	o, _, err := t.cfg.Book.Order(ctx, wo.OrderID)
	if err != nil && !errors.Is(err, book.ErrUnknownOrder) {
		return fmt.Errorf("reading order %s: %w", wo.OrderID, err)
	}
	tk := Ticket{
		WorkOrder: wo.ID, OrderID: wo.OrderID, SKU: wo.SKU, Product: wo.SKU, Quantity: wo.Quantity,
		Drop: wo.Drop, Due: wo.Due, Notes: o.Notes,
	}
	if p, ok := t.cfg.Factory.Product(wo.SKU); ok {
		tk.Product = p.Name
	}
	for _, op := range wo.Operations {
		tk.Steps = append(tk.Steps, op.Name)
	}
	if t.cfg.BaseURL != "" {
		tk.URL = fmt.Sprintf("%s/work-orders/%d", strings.TrimRight(t.cfg.BaseURL, "/"), wo.ID)
	}
	t.mu.Lock()
	t.owed = append(t.owed, tk)
	t.mu.Unlock()
	return nil
}

// print prints the tickets owed, oldest first, stopping at the first failure.
func (t *Tickets) print(ctx context.Context) error {
	for {
		t.mu.Lock()
		if len(t.owed) == 0 {
			t.mu.Unlock()
			return nil
		}
		tk := t.owed[0]
		t.mu.Unlock()
		if err := t.cfg.Printer.PrintTicket(ctx, tk); err != nil {
			return fmt.Errorf("ticket of work order %d: %w", tk.WorkOrder, err)
		}
		t.log.Info("ticket printed", "work_order", tk.WorkOrder, "order", tk.OrderID)
		t.mu.Lock()
		t.owed = t.owed[1:]
		t.mu.Unlock()
	}
}
