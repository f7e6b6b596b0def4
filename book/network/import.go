package network

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/book/intake"
)

// ImportRequest is a batch of orders for one of the network's drops. Rows come from book/intake's
// readers asked for the location columns lat and lon.
type ImportRequest struct {
	Drop  string
	Rows  book.RowReader
	Actor string
	// MaxErrors is how many problems a refusal lists, the first by line;
	// book.DefaultMaxErrors when zero.
	MaxErrors int
	// MaxRows is how many rows the batch may have; book.DefaultMaxRows when zero.
	MaxRows int
	// Idempotency, when set, makes a retry answer as the first request did, after a restart
	// too (see idempotency.go). Without a RequestHash, the batch's orders stand for the
	// request: the same rows in CSV or JSON are the same request.
	Idempotency *book.Idempotency
}

// ImportResult is what an accepted batch did.
type ImportResult struct {
	Drop  string `json:"drop"`
	Batch string `json:"batch,omitempty"`
	Rows  int    `json:"rows"`
	// Created counts the orders new to the book, now waiting to be routed; Unchanged those it
	// already held as they are.
	Created   int `json:"created"`
	Unchanged int `json:"unchanged"`
	// Replayed tells that the answer is the one remembered of the request's Idempotency-Key.
	Replayed bool `json:"-"`
}

// heldOrder is a good row of a batch, as the order it would be.
type heldOrder struct {
	line  int
	order Order
}

// Import reads a batch of orders for one of the network's drops and stores it whole, the new
// orders waiting to be routed, or not at all: every bad row is counted and the first by line
// reported in a *book.BatchError (malformed values, a row without the customer's location, a
// SKU the drop does not sell, an order id twice in the batch, an id the book holds with other
// content). Rows the book holds as they are change nothing. An unknown drop: ErrUnknownDrop.
// A batch with an Idempotency-Key that was answered before gets that answer, Replayed, and
// changes nothing; a key used for another request: book.ErrIdempotencyMismatch.
func (h *Rules) Import(ctx context.Context, req ImportRequest) (ImportResult, error) {
	drop, ok := h.cfg.Drops[req.Drop]
	if !ok {
		return ImportResult{}, fmt.Errorf("%w %q", ErrUnknownDrop, req.Drop)
	}
	maxRows := cmp.Or(req.MaxRows, book.DefaultMaxRows)
	bad := book.NewBatchProblems(req.MaxErrors)
	held, rows, err := readRows(drop, req.Rows, maxRows, bad)
	if err != nil {
		return ImportResult{}, err
	}
	idem := withHash(req.Idempotency, batchHash(drop.ID, held, rows))

	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if res, found, err := h.rememberedImport(ctx, idem, now); err != nil || found {
		return res, err
	}
	fresh, unchanged, err := h.checkBatch(ctx, held, bad)
	if err != nil {
		return ImportResult{}, err
	}
	if err := bad.Err(drop.ID); err != nil {
		return ImportResult{}, err
	}
	result := ImportResult{Drop: drop.ID, Rows: rows, Unchanged: unchanged, Created: len(fresh)}
	if len(fresh) == 0 && idem == nil {
		return result, nil
	}
	if len(fresh) > 0 {
		result.Batch = fmt.Sprintf("%s-%d", drop.ID, now.UnixMicro())
	}
	result, err = h.storeBatch(ctx, fresh, result, idem, now)
	if err != nil || result.Replayed || len(fresh) == 0 {
		return result, err
	}
	h.log.Info("batch imported", "drop", drop.ID, "batch", result.Batch, "actor", req.Actor, "created", len(fresh), "unchanged", unchanged)
	h.poke()
	return result, nil
}

// rememberedImport returns the answer remembered of idem's key, Replayed, when there is one.
func (h *Rules) rememberedImport(ctx context.Context, idem *book.Idempotency, now time.Time) (res ImportResult, found bool, err error) {
	if idem == nil || idem.Key == "" {
		return ImportResult{}, false, nil
	}
	err = h.store.Read(ctx, func(tx ReadTx) error {
		rec, ok, err := remembered(tx, idem, now)
		if err != nil || !ok {
			return err
		}
		found = true
		return replay(rec, &res)
	})
	if err != nil || !found {
		return ImportResult{}, false, err
	}
	res.Replayed = true
	return res, true, nil
}

// storeBatch stores the fresh orders of batch result.Batch and, in the same transaction, the
// answer under idem's key. Should the key have been answered meanwhile (by another hub on the
// same book), that answer is returned, Replayed, and nothing is stored.
func (h *Rules) storeBatch(ctx context.Context, fresh []Order, result ImportResult, idem *book.Idempotency, now time.Time) (ImportResult, error) {
	for i := range fresh {
		fresh[i].Batch, fresh[i].CreatedAt, fresh[i].UpdatedAt = result.Batch, now, now
	}
	answer := result
	err := h.store.Write(ctx, func(tx Tx) error {
		answer = result
		rec, found, err := remembered(tx, idem, now)
		if err != nil {
			return err
		} else if found {
			answer = ImportResult{Replayed: true}
			return replay(rec, &answer)
		}
		if len(fresh) > 0 {
			if err := tx.InsertOrders(fresh); err != nil {
				return err
			}
		}
		return remember(tx, idem, now, statusCreated, result)
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("storing a batch of drop %s: %w", result.Drop, err)
	}
	return answer, nil
}

// batchHash identifies a batch's content: its drop, its rows and its good orders (their ids and
// contents), in order. A batch with a bad row is refused, so its bad rows need not count.
func batchHash(drop string, held []heldOrder, rows int) string {
	h := sha256.New()
	fmt.Fprintf(h, "batch\x00%s\x00%d\x00", drop, rows)
	for _, ho := range held {
		fmt.Fprintf(h, "%s\x00%s\x00", ho.order.OrderID, ho.order.Hash)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// readRows reads every row, holding the good ones as orders and noting the problems that need
// no look-up in the book. It returns the rows read.
func readRows(drop Drop, rr book.RowReader, maxRows int, bad *book.BatchProblems) ([]heldOrder, int, error) {
	var (
		held  []heldOrder
		first = make(map[string]int)
		rows  int
	)
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return held, rows, nil
		}
		var rowErrs intake.RowErrors
		if err != nil && !errors.As(err, &rowErrs) {
			return nil, 0, fmt.Errorf("reading batch: %w", err)
		}
		rows++
		var errs []intake.RowError
		if rows == maxRows+1 {
			line := row.Line
			if len(rowErrs) > 0 {
				line = rowErrs[0].Line
			}
			errs = append(errs, intake.RowError{Line: line, Reason: fmt.Sprintf(
				"the batch has more than %d rows, the most one batch may have: split it", maxRows)})
		}
		if len(rowErrs) > 0 {
			bad.Row(append(errs, rowErrs...)...)
			continue
		}
		errs = append(errs, checkRow(drop, row)...)
		if line, twice := first[row.OrderID]; twice {
			errs = append(errs, intake.RowError{Line: row.Line, Column: "order_id",
				Reason: fmt.Sprintf("order id %q appears twice in the batch (first at line %d)", row.OrderID, line)})
		} else if rows <= maxRows {
			first[row.OrderID] = row.Line
		}
		if len(errs) > 0 || rows > maxRows {
			bad.Row(errs...) // past the most rows the batch is refused already: nothing more is held
			continue
		}
		held = append(held, heldOrder{line: row.Line, order: newOrder(drop, row)})
	}
}

// checkRow finds the problems of a well-formed row against its drop.
func checkRow(drop Drop, r intake.Row) []intake.RowError {
	var errs []intake.RowError
	if !drop.sells(r.SKU) {
		errs = append(errs, intake.RowError{Line: r.Line, Column: "sku",
			Reason: fmt.Sprintf("SKU %q is not sold in drop %q", r.SKU, drop.ID)})
	}
	p := Point{Lat: r.Lat, Lon: r.Lon}
	switch {
	case !r.HasLocation:
		errs = append(errs, intake.RowError{Line: r.Line, Column: "lat",
			Reason: "the row has no customer location: the network needs the columns lat and lon to route it"})
	case !(Point{Lat: p.Lat}).Valid():
		errs = append(errs, intake.RowError{Line: r.Line, Column: "lat",
			Reason: fmt.Sprintf("latitude %g is outside -90..90", p.Lat)})
	case !p.Valid():
		errs = append(errs, intake.RowError{Line: r.Line, Column: "lon",
			Reason: fmt.Sprintf("longitude %g is outside -180..180", p.Lon)})
	}
	return errs
}

// newOrder is the waiting order of a batch row.
func newOrder(drop Drop, r intake.Row) Order {
	due := drop.Date
	if !r.Due.IsZero() {
		due = r.Due
	}
	o := Order{OrderID: r.OrderID, Drop: drop.ID, SKU: r.SKU, Quantity: r.Quantity, Customer: r.Customer,
		Priority: r.Priority, Due: due.UTC(), Notes: r.Notes, Location: Point{Lat: r.Lat, Lon: r.Lon}, State: Waiting}
	o.Hash = hashOrder(o)
	return o
}

// hashOrder identifies the content of an order's row.
func hashOrder(o Order) string {
	h := sha256.New()
	for _, f := range []string{o.Drop, o.SKU, strconv.Itoa(o.Quantity), o.Customer, strconv.Itoa(o.Priority),
		o.Due.UTC().Format(time.RFC3339Nano), o.Notes,
		strconv.FormatFloat(o.Location.Lat, 'g', -1, 64), strconv.FormatFloat(o.Location.Lon, 'g', -1, 64)} {
		io.WriteString(h, f)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// lookupChunk is how many order ids one look-up in the store asks for.
const lookupChunk = 1000

// checkBatch looks the held orders up in the book: those it holds as they are are unchanged,
// those it holds with other content are conflicts; the rest are returned, to store.
func (h *Rules) checkBatch(ctx context.Context, held []heldOrder, bad *book.BatchProblems) (fresh []Order, unchanged int, err error) {
	err = h.store.Read(ctx, func(tx ReadTx) error {
		for start := 0; start < len(held); start += lookupChunk {
			chunk := held[start:min(start+lookupChunk, len(held))]
			ids := make([]string, len(chunk))
			for i, ho := range chunk {
				ids[i] = ho.order.OrderID
			}
			stored, err := tx.OrdersByID(ids)
			if err != nil {
				return fmt.Errorf("looking up order ids: %w", err)
			}
			byID := make(map[string]Order, len(stored))
			for _, o := range stored {
				byID[o.OrderID] = o
			}
			for _, ho := range chunk {
				old, ok := byID[ho.order.OrderID]
				switch {
				case !ok:
					fresh = append(fresh, ho.order)
				case old.Hash == ho.order.Hash:
					unchanged++
				default:
					bad.Row(intake.RowError{Line: ho.line, Column: "order_id", Reason: fmt.Sprintf(
						"order id %q was already imported with different content (drop %s, sku %s, quantity %d)",
						old.OrderID, old.Drop, old.SKU, old.Quantity)})
				}
			}
		}
		return nil
	})
	return fresh, unchanged, err
}
