package postgres

import (
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

// TestReadIsReadOnly checks that Read runs in a read-only PostgreSQL transaction: a statement
// that writes fails in it.
func TestReadIsReadOnly(t *testing.T) {
	s, _ := openTest(t)
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		if _, ok := tx.(book.Tx); ok {
			t.Error("the ReadTx of Read is a Tx")
		}
		if _, err := tx.(*readTx).tx.Exec(t.Context(), "INSERT INTO sessions VALUES ('x', 'p', 'r', 0)"); err == nil {
			t.Error("a read transaction wrote")
		}
		return nil
	})
}
