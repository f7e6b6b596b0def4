package sqlite

import (
	"testing"

	"github.com/cellforge/cellforge/book"
	"github.com/cellforge/cellforge/store/storetest"
)

func TestReadIsReadOnly(t *testing.T) {
	s, _ := openTest(t)
	storetest.MustRead(t, s, func(tx book.ReadTx) error {
		if _, ok := tx.(book.Tx); ok {
			t.Error("the ReadTx of Read is a Tx")
		}
		return nil
	})
	if _, err := s.reader.Exec("INSERT INTO sessions VALUES ('x', 'p', 'r', 0)"); err == nil {
		t.Error("a reader connection wrote")
	}
}
