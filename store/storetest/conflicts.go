package storetest

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/cellforge/cellforge/book"
)

// testInsertOrderDuplicate checks that an order id stored twice fails the Write with
// ErrConflict and an error that names it, wherever the duplicate surfaces, and leaves
// nothing of the Write behind.
func testInsertOrderDuplicate(t *testing.T, opener Opener) {
	stored, _, _, _ := Fixture("drop-1", 0)
	fresh, _, _, _ := Fixture("drop-1", 1)
	for _, tc := range []struct {
		name string
		fn   func(tx book.Tx) error
		// immediate tells that InsertOrder itself fails, rather than a later call or the commit
		immediate bool
	}{
		{"stored before, found at commit", func(tx book.Tx) error {
			if err := tx.InsertOrder(fresh); err != nil {
				return err
			}
			return tx.InsertOrder(stored)
		}, false},
		{"stored before, found at a read", func(tx book.Tx) error {
			if err := tx.InsertOrder(stored); err != nil {
				return err
			}
			_, err := tx.Orders([]string{stored.OrderID})
			return err
		}, false},
		{"twice in the Write", func(tx book.Tx) error {
			if err := tx.InsertOrder(fresh); err != nil {
				return err
			}
			return tx.InsertOrder(fresh)
		}, true},
		{"twice in the Write, sent in between", func(tx book.Tx) error {
			if err := tx.InsertOrder(fresh); err != nil {
				return err
			}
			if _, err := tx.DropUnits("drop-1"); err != nil {
				return err
			}
			return tx.InsertOrder(fresh)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			if opener.OpenLogging == nil {
				t.Fatal("the opener opens no store with a logger")
			}
			s, _ := opener.OpenLogging(t, slog.New(slog.NewTextHandler(&log, nil)))
			ImportOrders(t, s, "drop-1", 0, 1)
			var insertErr error
			err := s.Write(t.Context(), func(tx book.Tx) error {
				err := tc.fn(tx)
				insertErr = err
				return err
			})
			if !errors.Is(err, opener.ErrConflict) {
				t.Fatalf("Write = %v, want ErrConflict", err)
			}
			if !strings.Contains(err.Error(), `"drop-1-000000`) {
				t.Errorf("error %q does not name the order", err)
			}
			if tc.immediate && insertErr == nil {
				t.Error("InsertOrder of an id twice in the Write succeeded")
			}
			MustRead(t, s, func(tx book.ReadTx) error {
				if got, _ := tx.Orders([]string{fresh.OrderID}); len(got) != 0 {
					t.Errorf("the failed Write stored %v", got)
				}
				if units, _ := tx.DropUnits("drop-1"); units[stored.SKU] != stored.Quantity || len(units) != 1 {
					t.Errorf("drop units after the failed Write = %v", units)
				}
				return nil
			})
			// the writer is healthy: not discarded, and usable
			if strings.Contains(log.String(), "discarding") {
				t.Errorf("the writer connection was discarded:\n%s", log.String())
			}
			ImportOrders(t, s, "drop-1", 1, 3)
		})
	}
}
