package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cellforge/cellforge/book"
)

func testWriteRollsBack(t *testing.T, opener Opener) {
	errAbandon := errors.New("abandoned")
	for _, tc := range []struct {
		name string
		fail func() error // called at the end of fn: returns an error or panics
	}{
		{"error", func() error { return errAbandon }},
		{"panic", func() error { panic(errAbandon) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := opener.Open(t)
			before := ImportOrders(t, s, "drop-1", 0, 1)
			var wo book.WorkOrder
			var panicked any
			err := func() (err error) {
				defer func() { panicked = recover() }()
				return s.Write(t.Context(), func(tx book.Tx) error {
					o, w, ops, ev := Fixture("drop-1", 1)
					if err := tx.InsertOrder(o); err != nil {
						return err
					}
					if err := tx.InsertWorkOrder(&w, ops); err != nil {
						return err
					}
					wo = w
					if err := tx.AppendEvent(&ev); err != nil {
						return err
					}
					op := before[0].Ops[0]
					op.State = book.Scrapped
					if err := tx.UpdateOperation(&op); err != nil {
						return err
					}
					if err := tx.PutIdempotency(book.IdempotencyRecord{Principal: "p", Key: "k", CreatedAt: T0}); err != nil {
						return err
					}
					return tc.fail()
				})
			}()
			switch tc.name {
			case "error":
				if !errors.Is(err, errAbandon) {
					t.Errorf("Write = %v, want fn's error", err)
				}
			case "panic":
				if panicked != errAbandon {
					t.Errorf("Write's panic = %v, want fn's", panicked)
				}
			}

			MustRead(t, s, func(tx book.ReadTx) error {
				if orders, _ := tx.Orders([]string{wo.OrderID}); len(orders) != 0 {
					t.Error("order of the rolled back Write is visible")
				}
				if _, err := tx.WorkOrder(wo.ID); !errors.Is(err, book.ErrNotFound) {
					t.Errorf("work order of the rolled back Write: %v", err)
				}
				if evs, _ := tx.Events(book.EventFilter{}); len(evs) != 1 {
					t.Errorf("%d events, want the 1 from before", len(evs))
				}
				if op, _ := tx.Operation(before[0].Ops[0].ID); op.State != before[0].Ops[0].State {
					t.Errorf("operation update of the rolled back Write is visible: %s", op.State)
				}
				if _, ok, _ := tx.Idempotency("p", "k"); ok {
					t.Error("idempotency record of the rolled back Write is visible")
				}
				if units, _ := tx.DropUnits("drop-1"); len(units) != 1 {
					t.Errorf("drop units of the rolled back Write are visible: %v", units)
				}
				return nil
			})
			// the writer is usable afterwards
			ImportOrders(t, s, "drop-1", 1, 2)
		})
	}
}

func testWriteCancelled(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	ctx, cancel := context.WithCancel(t.Context())
	err := s.Write(ctx, func(tx book.Tx) error {
		for i := range 10 {
			if i == 5 {
				cancel()
			}
			o, _, _, _ := Fixture("drop-1", i)
			if err := tx.InsertOrder(o); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context = %v, want context.Canceled", err)
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		if units, _ := tx.DropUnits("drop-1"); len(units) != 0 {
			t.Errorf("cancelled Write left %v", units)
		}
		return nil
	})
	ImportOrders(t, s, "drop-1", 0, 1)
}

// testReadsSeeWholeWrites runs Reads while Writes commit, each Write adding a batch of orders
// and their events: every Read must see whole batches, the same in each of its queries.
func testReadsSeeWholeWrites(t *testing.T, opener Opener) {
	s, _ := opener.Open(t)
	const batches, batchSize = 40, 25
	ctx := t.Context()
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				err := s.Read(ctx, func(tx book.ReadTx) error {
					units, err := tx.DropUnits("drop-1")
					if err != nil {
						return err
					}
					n := units["sku"]
					if n%batchSize != 0 {
						return fmt.Errorf("reader %d saw %d orders, not whole batches of %d", r, n, batchSize)
					}
					if n < seen {
						return fmt.Errorf("reader %d saw %d orders after %d", r, n, seen)
					}
					seen = n
					// a Write committing between the two queries must not show
					evs, err := tx.Events(book.EventFilter{})
					if err != nil {
						return err
					}
					if len(evs) != n {
						return fmt.Errorf("reader %d saw %d orders and %d events", r, n, len(evs))
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for b := range batches {
		err := s.Write(ctx, func(tx book.Tx) error {
			for i := range batchSize {
				id := fmt.Sprintf("o-%d-%d", b, i)
				if err := tx.InsertOrder(book.Order{OrderID: id, Drop: "drop-1", SKU: "sku", Quantity: 1}); err != nil {
					return err
				}
				if err := tx.AppendEvent(&book.Event{Kind: book.EventOrderReceived, OrderID: id}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	MustRead(t, s, func(tx book.ReadTx) error {
		if units, _ := tx.DropUnits("drop-1"); units["sku"] != batches*batchSize {
			t.Errorf("after all Writes: %d orders, want %d", units["sku"], batches*batchSize)
		}
		return nil
	})
}
