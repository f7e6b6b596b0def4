package book

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cellforge/cellforge/book/intake"
	"github.com/cellforge/cellforge/configs"
)

// RowReader yields the rows of a batch; intake's CSV and JSON readers are RowReaders.
type RowReader interface {
	// Next returns the next good row, an intake.RowErrors for a bad row (after which reading
	// goes on), io.EOF at the end, or another error that ends the batch.
	Next() (intake.Row, error)
}

// ImportRequest is a batch of pre-orders for one drop.
type ImportRequest struct {
	Drop  string
	Rows  RowReader
	Actor Actor
	// Idempotency, when set, makes a retry answer as the first request did. Without a
	// RequestHash, the batch's rows stand for the request.
	Idempotency *Idempotency
	// MaxErrors is how many problems a refusal lists, the first by line; DefaultMaxErrors when
	// zero. Every problem is counted all the same.
	MaxErrors int
	// MaxRows is how many rows the batch may have; DefaultMaxRows when zero.
	MaxRows int
}

// ImportResult is what an accepted batch did.
type ImportResult struct {
	Drop  string `json:"drop"`
	Batch string `json:"batch,omitempty"`
	Rows  int    `json:"rows"`
	// Created counts the orders new to the book; Unchanged those it already held as they are.
	Created   int `json:"created"`
	Unchanged int `json:"unchanged"`
	// Queued counts the operations the dispatcher queued at cells.
	Queued   int  `json:"queued"`
	Replayed bool `json:"-"`
}

// Import reads a batch of pre-orders for a drop and stores it whole or not at all. Every bad row
// is counted, and the first ones by line reported (in a *BatchError) with their line, column
// and reason: malformed values, unknown SKUs, SKUs the drop does not sell, the drop's SKU
// window exceeded, an order id twice in the batch, an order id already imported with different
// content. Order ids are idempotency keys: rows the book already holds as they are change
// nothing, so re-sending a batch is harmless.
func (b *Book) Import(ctx context.Context, req ImportRequest) (ImportResult, error) {
	drop, ok := b.cfg().drops[req.Drop]
	if !ok {
		return ImportResult{}, fmt.Errorf("%w: %q", ErrUnknownDrop, req.Drop)
	}
	idem := req.Idempotency
	held, bad, digest, err := b.readBatch(drop, req, idem != nil && idem.RequestHash == "")
	if err != nil {
		return ImportResult{}, err
	}
	if idem != nil && idem.RequestHash == "" {
		copied := *idem
		copied.RequestHash = digest
		req.Idempotency = &copied
	}

	b.importMu.Lock()
	defer b.importMu.Unlock()

	fresh, unchanged, err := b.checkAgainstBook(ctx, drop, held, bad)
	if err != nil {
		return ImportResult{}, err
	}

	result := ImportResult{Drop: drop.ID, Rows: held.n, Unchanged: unchanged}
	if len(fresh) == 0 && (req.Idempotency == nil || req.Idempotency.Key == "") {
		return result, nil
	}
	return b.storeBatch(ctx, drop, fresh, req, result)
}

// readBatch reads every row of req, holding the well-formed ones, and finds the problems that
// need no look-up in the store: malformed rows, unknown SKUs, SKUs the drop does not sell, ids
// twice in the batch, rows past the most a batch may have. Past that, rows are still read and
// their problems counted, but not held. With withDigest it also returns a digest of the batch's
// content, the same for the same rows in CSV or JSON.
func (b *Book) readBatch(drop configs.Drop, req ImportRequest, withDigest bool) (*heldRows, *BatchProblems, string, error) {
	var (
		held    = newHeldRows()
		bad     = NewBatchProblems(req.MaxErrors)
		digest  = sha256.New()
		errs    []intake.RowError
		rows    int
		maxRows = req.MaxRows
	)
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	io.WriteString(digest, drop.ID)
	for {
		row, err := req.Rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		// the problems of this row, one bad row however many it has
		errs = errs[:0]
		var rowErrs intake.RowErrors
		if errors.As(err, &rowErrs) || err == nil {
			if rows++; rows == maxRows+1 {
				line := row.Line
				if len(rowErrs) > 0 {
					line = rowErrs[0].Line
				}
				errs = append(errs, intake.RowError{Line: line, Reason: fmt.Sprintf(
					"the batch has more than %d rows, the most one batch may have: split it; the rows from here on are checked but not against each other or the book", maxRows)})
			}
		}
		if len(rowErrs) > 0 {
			bad.Row(append(errs, rowErrs...)...)
			continue
		}
		if err != nil {
			return nil, nil, "", fmt.Errorf("reading batch: %w", err)
		}
		if withDigest {
			fmt.Fprintf(digest, "\n%s\x00%s", row.OrderID, hashRow(drop, row))
		}
		if _, known := b.cfg().products[row.SKU]; !known {
			errs = append(errs, intake.RowError{Line: row.Line, Column: "sku",
				Reason: fmt.Sprintf("unknown SKU %q", row.SKU)})
		} else if _, sold := drop.Windows[row.SKU]; !sold {
			errs = append(errs, intake.RowError{Line: row.Line, Column: "sku",
				Reason: fmt.Sprintf("SKU %q is not sold in drop %q (the drop has no window for it)", row.SKU, drop.ID)})
		}
		// Rows past the most a batch may have are not held: the batch is refused already. A row
		// whose id came before is not held either: the first row with the id stands for it.
		if rows <= maxRows {
			if first, ok := held.first(row.OrderID); ok {
				errs = append([]intake.RowError{{Line: row.Line, Column: "order_id",
					Reason: fmt.Sprintf("order id %q appears twice in the batch (first at line %d)", row.OrderID, first.line)}}, errs...)
			} else if err := held.add(row, len(errs) > 0); err != nil {
				return nil, nil, "", err
			}
		}
		bad.Row(errs...)
	}
	return held, bad, hex.EncodeToString(digest.Sum(nil)), nil
}

// lookupChunk is how many order ids one look-up in the store asks for.
const lookupChunk = 1000

// checkAgainstBook checks the held rows against the book (see checkHeld) and, when the batch has
// no problem at all, returns the rows to store.
func (b *Book) checkAgainstBook(ctx context.Context, drop configs.Drop, held *heldRows, bad *BatchProblems) (fresh []intake.Row, unchanged int, err error) {
	if unchanged, err = b.checkHeld(ctx, drop, held, bad); err != nil {
		return nil, 0, err
	}
	return held.fresh(), unchanged, nil
}

// checkHeld goes through the held rows that are good so far, in chunks: it counts those the book
// already holds as they are, and finds the conflicts (the same id with different content) and
// the rows past the drop's SKU windows. It returns the batch's *BatchError when it has any
// problem; the rows left good are then the ones to store.
func (b *Book) checkHeld(ctx context.Context, drop configs.Drop, held *heldRows, bad *BatchProblems) (unchanged int, err error) {
	held.forgetIDs() // every row is in: no more ids to find
	var units map[string]int
	err = b.store.Read(ctx, func(tx ReadTx) error {
		var err error
		if units, err = tx.DropUnits(drop.ID); err != nil {
			return fmt.Errorf("counting units of drop %s: %w", drop.ID, err)
		}
		var (
			ix   []int
			rows []intake.Row
			ids  []string
		)
		for start := 0; start < held.n; start += lookupChunk {
			ix, rows, ids = ix[:0], rows[:0], ids[:0]
			for i := start; i < min(start+lookupChunk, held.n); i++ {
				if hr := held.row(i); !held.bad(hr) {
					r := held.intakeRow(hr)
					ix, rows, ids = append(ix, i), append(rows, r), append(ids, r.OrderID)
				}
			}
			stored, err := tx.Orders(ids)
			if err != nil {
				return fmt.Errorf("looking up order ids: %w", err)
			}
			for k, r := range rows {
				if old, ok := stored[r.OrderID]; ok {
					held.setBad(held.row(ix[k]))
					if old.Hash == hashRow(drop, r) {
						unchanged++
						continue
					}
					bad.Row(intake.RowError{Line: r.Line, Column: "order_id",
						Reason: fmt.Sprintf("order id %q was already imported with different content (%s)", r.OrderID, describe(old))})
					continue
				}
				units[r.SKU] += r.Quantity
				if window := drop.Windows[r.SKU]; units[r.SKU] > window {
					held.setBad(held.row(ix[k]))
					bad.Row(intake.RowError{Line: r.Line, Column: "quantity",
						Reason: fmt.Sprintf("SKU window of drop %q exceeded: %d units of %s ordered with this row, the window is %d",
							drop.ID, units[r.SKU], r.SKU, window)})
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return unchanged, bad.Err(drop.ID)
}

func (b *Book) insertBatch(tx Tx, drop configs.Drop, rows []intake.Row, batch string, actor Actor, now time.Time) error {
	for _, r := range rows {
		o := newOrder(drop, r, batch, now)
		if err := tx.InsertOrder(o); err != nil {
			return fmt.Errorf("storing order %q (line %d): %w", r.OrderID, r.Line, err)
		}
		wo := newWorkOrder(o)
		if err := tx.InsertWorkOrder(&wo, b.routing(o)); err != nil {
			return fmt.Errorf("storing work order of order %q (line %d): %w", r.OrderID, r.Line, err)
		}
		if err := b.event(tx, Event{At: now, Actor: string(actor), Kind: EventOrderReceived, Drop: drop.ID,
			OrderID: o.OrderID, WorkOrder: wo.ID, Quantity: o.Quantity, Batch: batch}); err != nil {
			return err
		}
	}
	return b.event(tx, Event{At: now, Actor: string(actor), Kind: EventBatchImported, Drop: drop.ID,
		Quantity: len(rows), Batch: batch})
}

// newOrder is the order of a batch row.
func newOrder(drop configs.Drop, r intake.Row, batch string, now time.Time) Order {
	due := drop.Date
	if !r.Due.IsZero() {
		due = r.Due
	}
	return Order{OrderID: r.OrderID, Drop: drop.ID, SKU: r.SKU, Quantity: r.Quantity, Customer: r.Customer,
		Priority: r.Priority, Due: due.UTC(), Notes: r.Notes, Hash: hashRow(drop, r), IntakeAt: now, Batch: batch}
}

// newWorkOrder returns the open work order that makes a new order.
func newWorkOrder(o Order) WorkOrder {
	return WorkOrder{OrderID: o.OrderID, Drop: o.Drop, SKU: o.SKU, Quantity: o.Quantity, Priority: o.Priority,
		Due: o.Due, State: WorkOpen, IntakeAt: o.IntakeAt}
}

// routing returns the operations of a new work order for o: the first ready, the rest pending.
func (b *Book) routing(o Order) []Operation {
	p, _ := b.product(o.SKU)
	steps := p.Routing
	ops := make([]Operation, len(steps))
	for i, s := range steps {
		ops[i] = Operation{Seq: i, Step: i, Name: s.Name, Capability: s.Capability, Quantity: o.Quantity,
			UnitTime: s.UnitTime, Setup: s.Setup, State: Pending}
		if s.Changeover != nil {
			ops[i].ChangeoverAttr = s.Changeover.Attribute
			ops[i].ChangeoverValue = s.Changeover.Value
		}
	}
	if len(ops) > 0 {
		ops[0].State = Ready
	}
	return ops
}

// product returns the product of a SKU: one of the factory's products, or the routing of a
// repair's work order (configs.IsRepairSKU), which no batch may order.
func (b *Book) product(sku string) (configs.Product, bool) {
	cv := b.cfg()
	if p, ok := cv.products[sku]; ok {
		return p, true
	}
	if configs.IsRepairSKU(sku) {
		return cv.factory.Product(sku)
	}
	return configs.Product{}, false
}

// hashRow identifies the content of an order row within a drop.
func hashRow(drop configs.Drop, r intake.Row) string {
	due := ""
	if !r.Due.IsZero() {
		due = r.Due.UTC().Format(time.RFC3339)
	}
	h := sha256.New()
	for _, f := range []string{drop.ID, r.SKU, strconv.Itoa(r.Quantity), r.Customer, strconv.Itoa(r.Priority), due, r.Notes} {
		io.WriteString(h, f)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func describe(o Order) string {
	parts := []string{"drop " + o.Drop, "sku " + o.SKU, "quantity " + strconv.Itoa(o.Quantity)}
	if o.Customer != "" {
		parts = append(parts, "customer "+o.Customer)
	}
	return strings.Join(parts, ", ")
}
