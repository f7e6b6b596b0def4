package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellforge/cellforge/book"
)

func TestExpParts(t *testing.T) {
	const n = 20000
	for _, steps := range []int{1, 1, 2, 2, 3, 3, 4, 4} {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = s.Write(context.Background(), func(tx book.Tx) error {
			for i := range n {
				o, wo, ops, ev := fixture("d", i)
				if err := tx.InsertOrder(o); err != nil {
					return err
				}
				if steps >= 2 {
					var o2 []book.Operation
					if steps >= 3 {
						o2 = ops
					}
					if err := tx.InsertWorkOrder(&wo, o2); err != nil {
						return err
					}
				}
				if steps >= 4 {
					if err := tx.AppendEvent(&ev); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("steps %d: %v/order", steps, time.Since(start)/n)
		s.Close()
	}
}
