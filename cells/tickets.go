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
	Cursor(ctx context.Context, name string) (after int64, ok bool, err error)
	SetCursor(ctx context.Context, name string, after int64) error
}

var _ TicketBook = (*book.Book)(nil)

// TicketsConfig configures [Tickets].
type TicketsConfig struct {
	Book    TicketBook
	Factory *configs.Factory
	// Current returns the factory as it is now, when a reload may change its products while
	// the tickets print (book.Book.Factory); nil: Factory, for good.
	Current func() *configs.Factory
	Printer TicketPrinter
	// BaseURL is where the work orders' pages are (the ticket's QR code points to
	// BaseURL/work-orders/ID); empty prints no QR code.
	BaseURL string
	// Tick is how often the event log is read (default 500ms).
	Tick   time.Duration
	Logger *slog.Logger
}

// ticketsCursor names the ticket printer's cursor in the book.
const ticketsCursor = "tickets"

// saveEvery is how often the cursor is stored when only events that owe no ticket passed it:
// after a restart they are read again, and still owe none.
const saveEvery = 10 * time.Second

// Tickets prints a work ticket for every work order dispatched: the first time its first
// operation is queued at a cell.
//
// The dispatch is in the event log, written in the transaction that queued the operation, and
// the book stores how far the tickets are printed (a cursor in the event log): it moves past a
// dispatch only once the printer confirmed its ticket (the driver checks the printer's status
// after sending). A ticket owed while the printer is out of paper or offline is printed once
// it is back, after a restart too. If the process dies between the printer's confirmation and
// the cursor's move, that one ticket prints again after the restart.
type Tickets struct {
	cfg TicketsConfig
	log *slog.Logger

	mu     sync.Mutex
	primed bool
	// Touched by Run's goroutine only (and Prime before Run).
	after   int64     // the last event handled: its ticket printed, or it owes none
	saved   int64     // the last event stored as handled
	savedAt time.Time // when saved was stored
}

// NewTickets returns a ticket printer that goes on where the book's cursor says.
func NewTickets(cfg TicketsConfig) *Tickets {
	if cfg.Tick <= 0 {
		cfg.Tick = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Tickets{cfg: cfg, log: cfg.Logger.With("component", "tickets")}
}

// Prime reads where tickets go on: after the last event handled, as the book stores it. The
// first time, with nothing stored, tickets start now: work orders dispatched before get none,
// every one dispatched after gets one. Call it before the book takes work; Run primes if it
// was not.
func (t *Tickets) Prime(ctx context.Context) error {
	after, ok, err := t.cfg.Book.Cursor(ctx, ticketsCursor)
	if err != nil {
		return fmt.Errorf("tickets: %w", err)
	}
	if !ok {
		if after, err = t.cfg.Book.LastEventID(ctx); err != nil {
			return fmt.Errorf("tickets: %w", err)
		}
		if err := t.cfg.Book.SetCursor(ctx, ticketsCursor, after); err != nil {
			return fmt.Errorf("tickets: %w", err)
		}
	}
	t.mu.Lock()
	t.after, t.saved, t.savedAt, t.primed = after, after, time.Now(), true
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
	defer func() {
		// What passed since the last save, stored so that a restart need not read it again.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := t.save(sctx); err != nil {
			t.log.Warn("storing the tickets' cursor", "err", err)
		}
	}()
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

// save stores the cursor if it moved.
func (t *Tickets) save(ctx context.Context) error {
	if t.after == t.saved {
		return nil
	}
	if err := t.cfg.Book.SetCursor(ctx, ticketsCursor, t.after); err != nil {
		return err
	}
	t.saved, t.savedAt = t.after, time.Now()
	return nil
}

// step prints the tickets of the events after the cursor, in order, stopping at the first
// failure: the ticket is printed at a later step.
func (t *Tickets) step(ctx context.Context) error {
	for {
		events, err := t.cfg.Book.Events(ctx, book.EventFilter{AfterID: t.after, Limit: 500})
		if err != nil {
			return fmt.Errorf("reading events: %w", err)
		}
		for _, e := range events {
			if e.Kind == book.EventOperation && e.From == book.Ready && e.To == book.Queued {
				tk, owed, err := t.dispatched(ctx, e)
				if err != nil {
					return err
				}
				if owed {
					if err := ctx.Err(); err != nil {
						return err
					}
					// Not cancelled once sent (the driver's own timeout bounds it): a ticket
					// cut off after the printer took it would print again.
					if err := t.cfg.Printer.PrintTicket(context.WithoutCancel(ctx), tk); err != nil {
						return fmt.Errorf("ticket of work order %d: %w", tk.WorkOrder, err)
					}
					t.after = e.ID
					// Stored even when ctx ends now: the ticket is on paper.
					if err := t.save(context.WithoutCancel(ctx)); err != nil {
						return fmt.Errorf("ticket of work order %d printed: %w", tk.WorkOrder, err)
					}
					t.log.Info("ticket printed", "work_order", tk.WorkOrder, "order", tk.OrderID)
					continue
				}
			}
			t.after = e.ID
		}
		if len(events) < 500 {
			break
		}
	}
	if time.Since(t.savedAt) >= saveEvery {
		return t.save(ctx)
	}
	return nil
}

// dispatched returns the ticket e owes, when e queues a work order's first operation for the
// first time.
func (t *Tickets) dispatched(ctx context.Context, e book.Event) (Ticket, bool, error) {
	wo, err := t.cfg.Book.WorkOrder(ctx, e.WorkOrder)
	if err != nil {
		return Ticket{}, false, fmt.Errorf("reading work order %d: %w", e.WorkOrder, err)
	}
	if len(wo.Operations) == 0 || wo.Operations[0].ID != e.Operation {
		return Ticket{}, false, nil
	}
	for _, h := range wo.History {
		if h.ID < e.ID && h.Operation == e.Operation && h.To == book.Queued {
			return Ticket{}, false, nil // queued before, and handed back by a cell fault since: it has its ticket
		}
	}
	o, _, err := t.cfg.Book.Order(ctx, wo.OrderID)
	if err != nil && !errors.Is(err, book.ErrUnknownOrder) {
		return Ticket{}, false, fmt.Errorf("reading order %s: %w", wo.OrderID, err)
	}
	tk := Ticket{
		WorkOrder: wo.ID, OrderID: wo.OrderID, SKU: wo.SKU, Product: wo.SKU, Quantity: wo.Quantity,
		Drop: wo.Drop, Due: wo.Due, Notes: o.Notes,
	}
	if p, ok := t.current().Product(wo.SKU); ok {
		tk.Product = p.Name
	}
	for _, op := range wo.Operations {
		tk.Steps = append(tk.Steps, op.Name)
	}
	if t.cfg.BaseURL != "" {
		tk.URL = fmt.Sprintf("%s/work-orders/%d", strings.TrimRight(t.cfg.BaseURL, "/"), wo.ID)
	}
	return tk, true, nil
}

// current returns the factory as it is now (TicketsConfig.Current).
func (t *Tickets) current() *configs.Factory {
	if t.cfg.Current != nil {
		return t.cfg.Current()
	}
	return t.cfg.Factory
}
